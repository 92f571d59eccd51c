//! Locks around read-modify-write cycles: [`FileLock`] (rsspot's own `flock` on a sibling lock
//! file, for the config file) and [`KubeconfigLock`] (kubectl's `<file>.lock`, for kubeconfigs).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::dest::{Destination, destination};
use super::{create_private_dir, parent_dir, resolve_link};
use crate::error::{Error, Result};

/// How long [`FileLock::acquire`] and [`KubeconfigLock::acquire`] wait before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// An exclusive advisory lock on a sibling lock file, released on drop.
///
/// Only processes that take the same lock are kept out; that is every rsspot process, which is
/// what keeps parallel `configure` runs from losing each other's work. The lock file is left in
/// place afterwards on purpose: deleting it would let a waiting process lock an unlinked inode
/// while a third one creates a new file. A target that is not a regular file (`/dev/null`, a
/// FIFO) is written in place and takes no lock, so no lock file appears beside it.
#[derive(Debug)]
pub struct FileLock {
    // Closing the file releases the lock; `None` for a target that needs no lock.
    _file: Option<File>,
    path: PathBuf,
}

impl FileLock {
    /// Locks `<path>.lock` beside `path` (after following a symbolic link at `path`, so every
    /// name of one file shares one lock). Waits up to [`LOCK_TIMEOUT`].
    pub fn for_file(path: &Path) -> Result<FileLock> {
        Self::for_file_with_suffix(path, ".lock")
    }

    /// Like [`FileLock::for_file`] with another suffix.
    pub fn for_file_with_suffix(path: &Path, suffix: &str) -> Result<FileLock> {
        let target = resolve_link(path)?;
        let mut name = target.as_os_str().to_os_string();
        name.push(suffix);
        if !destination(path)?.is_file() {
            return Ok(FileLock {
                _file: None,
                path: PathBuf::from(name),
            });
        }
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
                        _file: Some(file),
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

/// kubectl's lock on a kubeconfig, taken as client-go takes it (`clientcmd` `lockFile`): the
/// file `<kubeconfig>.lock` is created with `O_CREAT|O_EXCL`; whoever created it holds the
/// lock until it removes the file. kubectl gives up at once when the file exists; rsspot
/// retries for up to a bound, then fails naming the file (a kubectl or rsspot killed while it
/// held the lock leaves it behind, and only a person can tell that no writer is left).
///
/// When the kubeconfig is a symbolic link, both `<link>.lock` and `<target>.lock` are taken
/// (in sorted order, as client-go sorts), so kubectl runs given either name are kept out.
/// Nothing is left beside the kubeconfig once the lock is dropped. A kubeconfig that is not a
/// regular file (`/dev/null`, a FIFO) is written in place and takes no lock.
#[derive(Debug)]
pub struct KubeconfigLock {
    held: Vec<PathBuf>,
}

impl KubeconfigLock {
    /// Takes the lock of the kubeconfig at `path`, waiting up to `timeout`.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<KubeconfigLock> {
        let mut lock = KubeconfigLock { held: Vec::new() };
        let Destination::File(target) = destination(path)? else {
            return Ok(lock);
        };
        let mut files = vec![lock_name(path)];
        if target != path {
            files.push(lock_name(&target));
        }
        files.sort();
        let started = Instant::now();
        for file in files {
            create_exclusive(&file, path, started, timeout)?;
            // Pushed at once: a later failure drops `lock`, which removes what it holds.
            lock.held.push(file);
        }
        Ok(lock)
    }

    /// The lock files held (none for a target that is not a regular file).
    pub fn paths(&self) -> &[PathBuf] {
        &self.held
    }
}

impl Drop for KubeconfigLock {
    fn drop(&mut self) {
        for file in self.held.drain(..).rev() {
            let _ = std::fs::remove_file(file);
        }
    }
}

fn lock_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn create_exclusive(
    lock: &Path,
    kubeconfig: &Path,
    started: Instant,
    timeout: Duration,
) -> Result<()> {
    // client-go creates the kubeconfig's directory first (0755 there; ours are private).
    create_private_dir(parent_dir(lock))?;
    let mut pause = Duration::from_millis(2);
    loop {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(lock) {
            Ok(mut file) => {
                // Who holds it, for a person looking at a lock left behind (kubectl ignores it).
                let _ = std::io::Write::write_all(
                    &mut file,
                    format!("rsspot {}\n", std::process::id()).as_bytes(),
                );
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if started.elapsed() >= timeout {
                    return Err(Error::Timeout {
                        what: format!(
                            "{lock} to go away (kubectl and rsspot create it while they write \
                             {kubeconfig} and remove it after; one killed meanwhile leaves it \
                             behind: if no kubectl or rsspot is running, remove {lock} and try \
                             again)",
                            lock = lock.display(),
                            kubeconfig = kubeconfig.display()
                        ),
                        elapsed: started.elapsed(),
                        last_seen: None,
                    });
                }
                // Jitter keeps a crowd of waiters from retrying in step.
                std::thread::sleep(pause + Duration::from_micros(fastrand::u64(0..2_000)));
                pause = (pause * 2).min(Duration::from_millis(25));
            }
            Err(e) => return Err(Error::io(lock, e)),
        }
    }
}
