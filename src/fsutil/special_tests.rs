//! Unit tests of backups, stale temp files, special targets, kubectl's lock and bounded reads.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::*;

#[cfg(unix)]
fn is_char_device(p: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(p).unwrap().file_type().is_char_device()
}

#[test]
fn backups_are_numbered_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    // The user's own X.bak is kept as it is.
    std::fs::write(dir.path().join("config.bak"), "mine\n").unwrap();
    assert_eq!(
        backup(&path, b"one\n").unwrap(),
        dir.path().join("config.bak.1")
    );
    assert_eq!(
        backup(&path, b"two\n").unwrap(),
        dir.path().join("config.bak.2")
    );
    // The newest backup holding the same bytes is reused, not copied again.
    assert_eq!(
        backup(&path, b"two\n").unwrap(),
        dir.path().join("config.bak.2")
    );
    assert_eq!(
        backup(&path, b"one\n").unwrap(),
        dir.path().join("config.bak.3")
    );
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
    assert_eq!(read("config.bak"), "mine\n");
    assert_eq!(read("config.bak.1"), "one\n");
    assert_eq!(read("config.bak.2"), "two\n");
    assert_eq!(read("config.bak.3"), "one\n");
    // Running a write twice over an existing file keeps the original.
    let file = dir.path().join("kube");
    std::fs::write(&file, "original\n").unwrap();
    let first = write_private_with_backup(&file, Some(b"original\n"), b"a\n").unwrap();
    let second = write_private_with_backup(&file, Some(b"a\n"), b"b\n").unwrap();
    assert_eq!(first.backup.unwrap(), dir.path().join("kube.bak"));
    assert_eq!(second.backup.unwrap(), dir.path().join("kube.bak.1"));
    assert_eq!(read("kube.bak"), "original\n");
    // Unchanged content needs no backup.
    let same = write_private_with_backup(&file, Some(b"b\n"), b"b\n").unwrap();
    assert_eq!(same.backup, None);
    assert!(!same.in_place);
}

#[test]
fn stale_temp_files_are_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    // A writer that is gone (no such pid), an old file of the former naming, and one of ours.
    let dead = dir.path().join(".rsspot-4000000-abcdef.tmp");
    let old = dir.path().join(".rsspot-AbCdEf.tmp");
    let live = dir
        .path()
        .join(format!(".rsspot-{}-live.tmp", std::process::id()));
    let fresh_unknown = dir.path().join(".rsspot-XyZ123.tmp");
    let unrelated = dir.path().join(".other-1-x.tmp");
    for p in [&dead, &old, &live, &fresh_unknown, &unrelated] {
        std::fs::write(p, "secret").unwrap();
    }
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    write_private(&dir.path().join("config.toml"), b"x = 1\n").unwrap();
    assert!(!dead.exists(), "a dead writer's temp file stays");
    assert!(!old.exists(), "an old temp file stays");
    assert!(live.exists() && fresh_unknown.exists() && unrelated.exists());
}

#[cfg(unix)]
#[test]
fn special_targets_are_written_in_place() {
    assert_eq!(
        destination(Path::new("/dev/null")).unwrap(),
        Destination::InPlace("/dev/null".into())
    );
    assert_eq!(
        destination(Path::new("/dev/stdout")).unwrap(),
        Destination::Stdout
    );
    assert_eq!(
        destination(Path::new("/dev/fd/2")).unwrap(),
        Destination::Stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let e = destination(dir.path()).unwrap_err().to_string();
    assert!(e.contains("is a directory"), "{e}");
    let missing = dir.path().join("new");
    assert_eq!(destination(&missing).unwrap(), Destination::File(missing));
    // /dev/null stays a character device, with nothing beside it.
    let w = write_private_with_backup(Path::new("/dev/null"), Some(b"old"), b"new").unwrap();
    assert_eq!(
        w,
        Written {
            backup: None,
            in_place: true
        }
    );
    let lock = FileLock::for_file(Path::new("/dev/null")).unwrap();
    let kube = KubeconfigLock::acquire(Path::new("/dev/null"), Duration::from_secs(1)).unwrap();
    assert!(kube.paths().is_empty());
    drop((lock, kube));
    assert!(is_char_device(Path::new("/dev/null")));
    for sibling in ["/dev/null.bak", "/dev/null.lock", "/dev/null.rsspot-lock"] {
        assert!(!Path::new(sibling).exists(), "{sibling}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_without_reader_fails_at_once_and_one_with_a_reader_gets_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let started = Instant::now();
    let e = write_private(&fifo, b"data").unwrap_err().to_string();
    assert!(e.contains("FIFO that no process reads"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    // The reader is blocked in open() once it counts as a reader.
    let mut result = write_private(&fifo, b"kubeconfig\n");
    for _ in 0..100 {
        if result.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        result = write_private(&fifo, b"kubeconfig\n");
    }
    result.unwrap();
    assert_eq!(reader.join().unwrap(), b"kubeconfig\n");
    // Still a FIFO: nothing replaced it, nothing appeared beside it.
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn kubectl_lock_is_created_exclusively_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    let lock = KubeconfigLock::acquire(&cfg, Duration::from_secs(1)).unwrap();
    let lock_file = dir.path().join("config.lock");
    assert_eq!(lock.paths(), std::slice::from_ref(&lock_file));
    assert!(lock_file.exists());
    let started = Instant::now();
    let e = KubeconfigLock::acquire(&cfg, Duration::from_millis(200)).unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let text = e.to_string();
    assert!(text.contains(&lock_file.display().to_string()), "{text}");
    assert!(text.contains("remove"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(lock);
    assert!(!lock_file.exists());
    // A lock left behind (kubectl killed) blocks for the bound only, and stays for a person.
    std::fs::write(&lock_file, "").unwrap();
    assert!(KubeconfigLock::acquire(&cfg, Duration::from_millis(100)).is_err());
    assert!(lock_file.exists());
    std::fs::remove_file(&lock_file).unwrap();
}

#[cfg(unix)]
#[test]
fn kubectl_lock_covers_both_names_of_a_symlinked_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    let link = dir.path().join("link");
    std::fs::write(&real, "").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let lock = KubeconfigLock::acquire(&link, Duration::from_secs(1)).unwrap();
    assert_eq!(lock.paths().len(), 2);
    // kubectl given the real name is kept out too.
    assert!(KubeconfigLock::acquire(&real, Duration::from_millis(50)).is_err());
    drop(lock);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 2, "lock files left behind");
}

#[test]
fn bounded_reads_refuse_endless_files_fast() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("token");
    std::fs::write(&small, "rt-1\n").unwrap();
    assert_eq!(
        read_bounded_text(&small, SECRET_FILE_MAX, "a token").unwrap(),
        "rt-1\n"
    );
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'a'; 1025]).unwrap();
    let e = read_bounded(&big, 1024, "a key").unwrap_err().to_string();
    assert!(e.contains("larger than 1 KiB (the limit for a key)"), "{e}");
    assert!(e.contains(&big.display().to_string()), "{e}");
    #[cfg(unix)]
    for endless in ["/dev/zero", "/dev/urandom"] {
        let started = Instant::now();
        let e = read_bounded(Path::new(endless), SECRET_FILE_MAX, "a token")
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than 64 KiB"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let e = read_bounded_text(Path::new("/nonexistent/x"), 10, "a token").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x"), "{e}");
    assert_eq!(human_size(16 * 1024 * 1024), "16 MiB");
    assert_eq!(human_size(100), "100 bytes");
}
