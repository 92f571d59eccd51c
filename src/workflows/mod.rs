//! Workflows for external orchestrators (the registration ledger).
