//! Workflows for external orchestrators (the registration ledger).
//!
//! rsspot never talks to the systems VMs are registered into; it only keeps a durable,
//! concurrency-safe record of which VMs an orchestrator has processed. See
//! [`RegistrationWorkflow`].

pub mod registration;

pub use registration::{
    Clock, DiscoverReport, ImportReport, LedgerStore, MarkUpdate, ReconcileReport, ReconcileScope,
    RegistrationCandidate, RegistrationEvent, RegistrationRecord, RegistrationStatus,
    RegistrationWorkflow, Scan, SkippedRow, candidates, registration_key,
};
