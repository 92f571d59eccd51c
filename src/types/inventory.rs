//! VM cloudspaces, VM pools and organization events (not in the public spec).
