//! Configuration: profiles, the figment precedence chain, legacy migration.
