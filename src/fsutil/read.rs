//! Bounded reads of the files a user names: a file argument is read up to a limit and refused
//! past it, so `/dev/zero` or `/dev/urandom` given by mistake fails at once instead of eating
//! memory or running forever.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Limit for a file holding one secret or key (refresh token, ledger URL, SSH public key).
pub const SECRET_FILE_MAX: u64 = 64 * 1024;

/// Limit for a document (config file, kubeconfig, seed, request body, cloudspace file).
pub const DOCUMENT_MAX: u64 = 16 * 1024 * 1024;

/// Limit for a bulk data file (registration records to import).
pub const BULK_FILE_MAX: u64 = 512 * 1024 * 1024;

/// A byte count as people read it (`64 KiB`, `16 MiB`).
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads at most `limit` bytes from `reader`; more is an error naming `name` (the file or
/// `<stdin>`), `what` it should hold and the limit.
pub fn read_bounded_from(
    reader: impl Read,
    limit: u64,
    name: &Path,
    what: &str,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(name, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::io_message(
            name,
            format!(
                "larger than {} (the limit for {what}); is it the right file?",
                human_size(limit)
            ),
        ));
    }
    Ok(bytes)
}

/// Reads the file at `path`, refusing it past `limit` bytes (as `read_bounded_from` does).
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_bounded_from(file, limit, path, what)
}

/// [`read_bounded`] for text: bytes that are not UTF-8 are an error naming the file.
pub fn read_bounded_text(path: &Path, limit: u64, what: &str) -> Result<String> {
    text(read_bounded(path, limit, what)?, path)
}

/// Reads standard input as text, refusing it past `limit` bytes.
pub fn read_stdin_text(limit: u64, what: &str) -> Result<String> {
    let name = Path::new("<stdin>");
    text(
        read_bounded_from(std::io::stdin().lock(), limit, name, what)?,
        name,
    )
}

fn text(bytes: Vec<u8>, name: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        Error::io_message(
            name,
            format!(
                "not UTF-8 text (byte {} is not valid)",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}
