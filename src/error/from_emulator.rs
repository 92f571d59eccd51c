//! The emulator's errors as the library's: a test or program that starts the emulator with `?`
//! in a function returning [`crate::Result`] gets a configuration or file error.

use super::Error;

impl From<rsspot_emulator::Error> for Error {
    fn from(e: rsspot_emulator::Error) -> Self {
        match e {
            rsspot_emulator::Error::SeedRead { path, source } => Error::io(path, source),
            other => Error::config(other.to_string()),
        }
    }
}
