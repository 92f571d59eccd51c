//! Files rsspot writes: atomic private writes, symlink-aware targets, advisory locks.
//!
//! Every file rsspot owns is written as: temp file in the same directory → fsync → chmod 0600 →
//! rename over the target. A crash or a failed write therefore leaves the previous file intact.
//! A target that is a symbolic link is written through the link: the link's final target is
//! replaced and the link itself stays (dotfile managers keep configs as links).
//!
//! Read-modify-write cycles of files that several processes may update at once (the config
//! file, a merged kubeconfig) hold a [`FileLock`]: an exclusive advisory lock (`flock` on Unix)
//! on a sibling lock file. The lock file is left in place afterwards on purpose: deleting it
//! would let a waiting process lock an unlinked inode while a third one creates a new file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long [`FileLock::acquire`] waits for another process before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Symbolic links followed before a path is declared a loop (as Linux's `MAXSYMLINKS`).
const MAX_LINK_HOPS: usize = 40;

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
    for _ in 0..MAX_LINK_HOPS {
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

/// Writes `contents` to `path` atomically with mode 0600, creating the parent directory (0700).
/// A symbolic link at `path` is written through (see the module docs).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let target = resolve_link(path)?;
    let dir = parent_dir(&target);
    create_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".rsspot-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    set_private(tmp.path())?;
    tmp.write_all(contents).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(&target)
        .map_err(|e| Error::io(&target, e.error))?;
    Ok(())
}

/// Reads `path`; `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
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

/// An exclusive advisory lock on a sibling lock file, released on drop.
///
/// Only processes that take the same lock are kept out; that is every rsspot process, which is
/// what keeps parallel `configure` and `kubeconfig --merge` runs from losing each other's work.
#[derive(Debug)]
pub struct FileLock {
    // Closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// Locks `<path>.lock` beside `path` (after following a symbolic link at `path`, so every
    /// name of one file shares one lock). Waits up to [`LOCK_TIMEOUT`].
    pub fn for_file(path: &Path) -> Result<FileLock> {
        Self::for_file_with_suffix(path, ".lock")
    }

    /// Like [`FileLock::for_file`] with another suffix (`~/.kube/config.lock` means "held" to
    /// kubectl as long as it exists, so the kubeconfig lock needs a name of its own).
    pub fn for_file_with_suffix(path: &Path, suffix: &str) -> Result<FileLock> {
        let target = resolve_link(path)?;
        let mut name = target.as_os_str().to_os_string();
        name.push(suffix);
        Self::acquire(Path::new(&name), LOCK_TIMEOUT)
    }

    /// Locks the file at `lock_path` (created 0600 with its directory when missing), waiting
    /// up to `timeout` for another holder.
    pub fn acquire(lock_path: &Path, timeout: Duration) -> Result<FileLock> {
        create_private_dir(parent_dir(lock_path))?;
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(lock_path).map_err(|e| Error::io(lock_path, e))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(FileLock {
                        _file: file,
                        path: lock_path.to_path_buf(),
                    });
                }
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::config(format!(
                        "{} is locked by another process for more than {}s; \
                         wait for it to finish (or end it) and try again",
                        lock_path.display(),
                        timeout.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(lock_path, e)),
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
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
