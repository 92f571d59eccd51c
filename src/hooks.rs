//! Stub
#[derive(Clone, Debug)]
pub struct Inner;
