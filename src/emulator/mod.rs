//! An emulator of the Rackspace Spot public API, served over real HTTP on 127.0.0.1.
