//! Files rsspot writes, and the files it reads for a user: the one place that touches them.
//!
//! **Regular files** rsspot owns are written as: temp file in the same directory → fsync →
//! chmod 0600 → rename over the target. A crash or a failed write therefore leaves the previous
//! file intact. A target that is a symbolic link is written through the link: the link's final
//! target is replaced and the link itself stays (dotfile managers keep configs as links).
//! Temp files are named `.rsspot-<pid>-<random>.tmp`; ones left by a writer that was killed
//! (its process is gone, or the file is older than [`STALE_TEMP_AGE`]) are removed by the next
//! write into the same directory.
//!
//! **Anything else** — a character device (`/dev/null`), a FIFO, a socket, `/dev/stdout` or a
//! `/proc/self/fd/N` name — is written in place, never replaced: no rename, no backup and no
//! lock file beside it (see [`Destination`]). A FIFO nobody reads fails at once.
//!
//! **Backups** ([`backup`]) are numbered and never overwrite one another: `X.bak`, then
//! `X.bak.1`, `X.bak.2`, … (the first free name; the highest number is the newest). When the
//! newest backup already holds the same bytes, it is reused instead of adding another copy.
//!
//! **Locks**: [`FileLock`] (rsspot's `flock`, for the config file) and [`KubeconfigLock`]
//! (kubectl's own `<file>.lock`, for kubeconfigs).
//!
//! **Reads** of files a user names are bounded ([`read_bounded`]).

// Some helpers serve only the bundled binary (through `cli_support`).
#![cfg_attr(not(feature = "cli"), allow(unused_imports))]

mod dest;
mod lock;
mod read;
#[cfg(test)]
mod special_tests;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use dest::{Destination, destination};
pub use lock::{FileLock, KubeconfigLock, LOCK_TIMEOUT};
pub use read::{
    BULK_FILE_MAX, DOCUMENT_MAX, SECRET_FILE_MAX, human_size, read_bounded, read_bounded_text,
    read_stdin_text,
};

use crate::error::{Error, Result};

/// Temp files of ours older than this are another writer's leftovers, whatever their process.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Backups tried before giving up (`X.bak` … `X.bak.9999`).
const MAX_BACKUPS: usize = 10_000;

/// Creates `dir` (and parents) with mode 0700 where it does not exist yet.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| Error::io(dir, e))
}

/// The file a write to `path` must replace: `path` itself, or, when it is a symbolic link, the
/// link's final target (which need not exist yet). Relative link targets are resolved against
/// the link's directory.
pub fn resolve_link(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..dest::MAX_LINK_HOPS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|e| Error::io(&current, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(Error::io(&current, e)),
        }
    }
    Err(Error::config(format!(
        "{}: too many levels of symbolic links; fix the link before rsspot writes it",
        path.display()
    )))
}

/// The directory a file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// What [`write_private_with_backup`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Where the previous content is kept, when a backup was made (or an identical one found).
    pub backup: Option<PathBuf>,
    /// Whether the target was written in place (not a regular file: no backup, no rename).
    pub in_place: bool,
}

/// Writes `contents` to `path` with mode 0600: a regular file atomically (creating the parent
/// directory, 0700), anything else in place (see the module docs).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    match destination(path)? {
        Destination::File(target) => replace(&target, contents),
        other => dest::write_through(&other, contents),
    }
}

/// Like [`write_private`], first keeping `previous` (the file's content before this write) in a
/// numbered backup beside `path` when the target is a regular file and the content changes.
pub fn write_private_with_backup(
    path: &Path,
    previous: Option<&[u8]>,
    contents: &[u8],
) -> Result<Written> {
    match destination(path)? {
        Destination::File(target) => {
            let backup = match previous {
                Some(old) if old != contents => Some(backup(path, old)?),
                _ => None,
            };
            replace(&target, contents)?;
            Ok(Written {
                backup,
                in_place: false,
            })
        }
        other => {
            dest::write_through(&other, contents)?;
            Ok(Written {
                backup: None,
                in_place: true,
            })
        }
    }
}

/// The `n`-th backup name of `path`: `X.bak`, `X.bak.1`, `X.bak.2`, …
fn backup_name(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".bak");
    if n > 0 {
        name.push(format!(".{n}"));
    }
    PathBuf::from(name)
}

/// Keeps `bytes` in a new backup of `path` (0600) and returns its name: the first free one of
/// `X.bak`, `X.bak.1`, `X.bak.2`, …; an existing backup is never overwritten. When the newest
/// existing backup holds exactly `bytes`, its name is returned and nothing is written.
pub fn backup(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let mut n = 0;
    while n < MAX_BACKUPS && std::fs::symlink_metadata(backup_name(path, n)).is_ok() {
        n += 1;
    }
    if n > 0 {
        let newest = backup_name(path, n - 1);
        let limit = bytes.len() as u64;
        if read_bounded(&newest, limit, "a backup").is_ok_and(|old| old == bytes) {
            return Ok(newest);
        }
    }
    let dir = parent_dir(path);
    create_private_dir(dir)?;
    let mut tmp = new_temp(dir)?;
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    while n < MAX_BACKUPS {
        let name = backup_name(path, n);
        // A hard link never replaces an existing name: a backup made meanwhile by another
        // process (or the user's own `X.bak`) stays as it is.
        match tmp.persist_noclobber(&name) {
            Ok(_) => return Ok(name),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                tmp = e.file;
                n += 1;
            }
            Err(e) => return Err(Error::io(&name, e.error)),
        }
    }
    Err(Error::io_message(
        path,
        format!("has {MAX_BACKUPS} backups already; remove old ones"),
    ))
}

/// A private temp file of ours in `dir`, after removing stale ones.
fn new_temp(dir: &Path) -> Result<tempfile::NamedTempFile> {
    remove_stale_temps(dir);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".rsspot-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    set_private(tmp.path())?;
    Ok(tmp)
}

/// Replaces the regular file `target` atomically with `contents` (0600).
fn replace(target: &Path, contents: &[u8]) -> Result<()> {
    let dir = parent_dir(target);
    create_private_dir(dir)?;
    let mut tmp = new_temp(dir)?;
    tmp.write_all(contents).map_err(|e| Error::io(target, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(target, e))?;
    tmp.persist(target)
        .map_err(|e| Error::io(target, e.error))?;
    Ok(())
}

/// Removes `.rsspot-*.tmp` files in `dir` whose writer is gone: its process no longer runs
/// (Linux, from the pid in the name), or the file is older than [`STALE_TEMP_AGE`]. Best
/// effort: what cannot be removed (another user's) stays.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(middle) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".rsspot-"))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        let writer_gone = middle
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .is_some_and(|pid| !process_runs(pid));
        if old || writer_gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` runs; true when that cannot be known (no `/proc`).
fn process_runs(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// Reads `path`; `None` when it does not exist. Refused past [`DOCUMENT_MAX`].
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match read_bounded(path, DOCUMENT_MAX, "a document") {
        Ok(b) => Ok(Some(b)),
        Err(Error::Io {
            source: Some(e), ..
        }) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets mode 0600 on `path` (no-op on non-Unix platforms).
pub fn set_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777
        }
        #[cfg(not(unix))]
        {
            let _ = p;
            0o600
        }
    }

    #[test]
    fn writes_atomically_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/file.yml");
        write_private(&path, b"a: 1\n").unwrap();
        write_private(&path, b"a: 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn failed_write_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg.json");
        write_private(&path, b"{}").unwrap();
        // Writing to a path whose parent is a file fails and leaves the original untouched.
        let bad = path.join("nested");
        assert!(write_private(&bad, b"x").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symlinks_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/config.yml");
        write_private(&real, b"old\n").unwrap();
        // A chain: link2 -> link1 (relative) -> real.
        let link1 = dir.path().join("link1.yml");
        std::os::unix::fs::symlink("dotfiles/config.yml", &link1).unwrap();
        let link2 = dir.path().join("link2.yml");
        std::os::unix::fs::symlink(&link1, &link2).unwrap();
        assert_eq!(
            resolve_link(&link2).unwrap(),
            dir.path().join("dotfiles/config.yml")
        );
        write_private(&link2, b"new\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link2)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(&link1)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("made/here", &dangling).unwrap();
        write_private(&dangling, b"x").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made/here")).unwrap(),
            "x"
        );
        // A loop is an error, not a hang.
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let e = write_private(&a, b"x").unwrap_err().to_string();
        assert!(e.contains("too many levels of symbolic links"), "{e}");
    }

    #[test]
    fn lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("c.yml");
        let first = FileLock::for_file(&target).unwrap();
        assert_eq!(first.path(), dir.path().join("c.yml.lock"));
        assert_eq!(mode(first.path()), 0o600);
        let e = FileLock::acquire(first.path(), Duration::from_millis(50))
            .unwrap_err()
            .to_string();
        assert!(e.contains("locked by another process"), "{e}");
        drop(first);
        let again = FileLock::acquire(&dir.path().join("c.yml.lock"), Duration::from_millis(50));
        assert!(again.is_ok());
    }

    #[test]
    fn lock_serialises_threads() {
        let dir = tempfile::tempdir().unwrap();
        let counter = dir.path().join("n");
        std::fs::write(&counter, "0").unwrap();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let _lock = FileLock::for_file(&counter).unwrap();
                        let n: u32 = std::fs::read_to_string(&counter).unwrap().parse().unwrap();
                        write_private(&counter, (n + 1).to_string().as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(std::fs::read_to_string(&counter).unwrap(), "80");
    }
}
