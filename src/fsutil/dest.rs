//! Where a write lands: a regular file is replaced atomically; anything else (a character
//! device such as `/dev/null`, a FIFO, a socket, the process's own stdout) is written in place,
//! never replaced, never backed up, never locked.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Symbolic links followed before a path is declared a loop (as Linux's `MAXSYMLINKS`).
pub(super) const MAX_LINK_HOPS: usize = 40;

/// How long a write in place waits for a slow reader (a FIFO whose reader stopped reading).
pub const IN_PLACE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a write to a path lands (see [`destination`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A regular file, or no file yet: replaced atomically (temp file, fsync, rename). The path
    /// is the final target after following symbolic links.
    File(PathBuf),
    /// This process's standard output (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`).
    Stdout,
    /// This process's standard error (`/dev/stderr`, `/dev/fd/2`, `/proc/self/fd/2`).
    Stderr,
    /// A character device, FIFO or socket, or a file reached through `/proc` or `/dev/fd`:
    /// opened and written in place.
    InPlace(PathBuf),
}

impl Destination {
    /// Whether the write replaces a regular file (and so may keep a backup and take a lock).
    pub fn is_file(&self) -> bool {
        matches!(self, Destination::File(_))
    }
}

fn std_stream(path: &Path) -> Option<Destination> {
    match path.to_str()? {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(Destination::Stdout),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(Destination::Stderr),
        _ => None,
    }
}

/// Paths that name an open file of some process rather than a place in a directory: replacing
/// them would replace the link, not the file (or fail).
fn is_descriptor_path(path: &Path) -> bool {
    path.starts_with("/proc") || path.starts_with("/dev/fd")
}

/// Where a write to `path` lands, following symbolic links (relative link targets resolve
/// against the link's directory). A directory or a block device is refused.
pub fn destination(path: &Path) -> Result<Destination> {
    let mut current = path.to_path_buf();
    let mut through_descriptor = false;
    for _ in 0..MAX_LINK_HOPS {
        if let Some(stream) = std_stream(&current) {
            return Ok(stream);
        }
        through_descriptor |= is_descriptor_path(&current);
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(if through_descriptor {
                    Destination::InPlace(current)
                } else {
                    Destination::File(current)
                });
            }
            Err(e) => return Err(Error::io(&current, e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = std::fs::read_link(&current).map_err(|e| Error::io(&current, e))?;
            current = match current.parent() {
                Some(dir) if target.is_relative() => dir.join(target),
                _ => target,
            };
            continue;
        }
        if kind.is_file() {
            return Ok(if through_descriptor {
                Destination::InPlace(current)
            } else {
                Destination::File(current)
            });
        }
        if kind.is_dir() {
            return Err(Error::io_message(
                path,
                "is a directory; name a file inside it",
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_block_device() {
                return Err(Error::io_message(
                    path,
                    "is a block device; rsspot writes only to files, character devices and FIFOs",
                ));
            }
        }
        return Ok(Destination::InPlace(current));
    }
    Err(Error::config(format!(
        "{}: too many levels of symbolic links; fix the link before rsspot writes it",
        path.display()
    )))
}

/// Writes `contents` to a [`Destination`] that is not a regular file.
pub(super) fn write_through(dest: &Destination, contents: &[u8]) -> Result<()> {
    match dest {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(contents)
                .and_then(|()| out.flush())
                .map_err(|e| Error::io("<stdout>", e))
        }
        Destination::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_all(contents)
                .and_then(|()| err.flush())
                .map_err(|e| Error::io("<stderr>", e))
        }
        Destination::InPlace(path) | Destination::File(path) => {
            write_in_place(path, contents, IN_PLACE_TIMEOUT)
        }
    }
}

/// Opens `path` for writing without creating, truncating or blocking (a FIFO nobody reads fails
/// at once instead of hanging) and writes `contents`, waiting at most `timeout` for a reader.
pub(super) fn write_in_place(path: &Path, contents: &[u8], timeout: Duration) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = opts.open(path).map_err(|e| open_error(path, e))?;
    let deadline = Instant::now() + timeout;
    let mut rest = contents;
    while !rest.is_empty() {
        match file.write(rest) {
            Ok(0) => {
                return Err(Error::io_message(path, "accepted no more bytes"));
            }
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(Error::io_message(
                        path,
                        format!(
                            "its reader took nothing for {}s; {} of {} bytes were not written",
                            timeout.as_secs(),
                            rest.len(),
                            contents.len()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(())
}

fn open_error(path: &Path, e: std::io::Error) -> Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ENXIO) {
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata(path).map(|m| m.file_type()).ok();
        if kind.is_some_and(|k| k.is_fifo()) {
            return Error::io_message(
                path,
                "is a FIFO that no process reads; start its reader first",
            );
        }
        if kind.is_some_and(|k| k.is_socket()) {
            return Error::io_message(path, "is a socket; rsspot cannot write a file to it");
        }
    }
    Error::io(path, e)
}
