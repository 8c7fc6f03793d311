//! Atomic file replacement: write a sibling temp file, fsync it, rename it over the target.
//!
//! Owns only the write-then-rename mechanics. Must not know any file format; callers wrap
//! the `io::Error`s it returns with the path and their own context.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temp file on drop (error or panic) unless disarmed after the rename.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// Writes `path` atomically: `write` fills a unique temp file in the same directory
/// (`.<name>.tmp-<pid>-<n>`), which is flushed, fsynced and renamed over `path`. On any
/// error (or a panic in `write`) the temp file is removed and an existing `path` is untouched.
/// An existing file's permissions are carried over to the new one.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{n}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let mut guard = TempGuard(Some(tmp.clone()));

    let mut w = BufWriter::new(file);
    write(&mut w)?;
    let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
    if let Ok(meta) = fs::metadata(path) {
        file.set_permissions(meta.permissions())?;
    }
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    guard.0 = None;
    // Best effort: make the rename itself durable.
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// [`write_atomic`] of a byte slice.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Removes a temp directory on drop unless disarmed.
struct TempDirGuard(Option<PathBuf>);

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

fn sibling(path: &Path, tag: &str) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let file = format!(
        ".{}.{tag}-{}-{n}",
        name.to_string_lossy(),
        std::process::id()
    );
    Ok(match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(file),
        _ => PathBuf::from(file),
    })
}

/// Writes a whole directory atomically: the files are written into a sibling temp directory,
/// which then replaces `dir` by rename. An existing `dir` is an `AlreadyExists` error unless
/// `overwrite`, and is checked before anything is written; with `overwrite` the old
/// directory is moved aside, replaced, then deleted (restored if the replacement fails).
pub fn write_dir_atomic(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    overwrite: bool,
) -> io::Result<()> {
    let exists = dir.exists();
    if exists && !overwrite {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "exists; pass --overwrite to replace it",
        ));
    }
    let tmp = sibling(dir, "tmp")?;
    fs::create_dir(&tmp)?;
    let mut guard = TempDirGuard(Some(tmp.clone()));
    for (name, bytes) in files {
        let mut f = File::create(tmp.join(name))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    if exists {
        let old = sibling(dir, "old")?;
        fs::rename(dir, &old)?;
        if let Err(e) = fs::rename(&tmp, dir) {
            let _ = fs::rename(&old, dir);
            return Err(e);
        }
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, dir)?;
    }
    guard.0 = None;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    #[test]
    fn writes_content_and_replaces_existing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.bin");
        write_bytes_atomic(&p, b"first").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"first");
        write_atomic(&p, |w| {
            w.write_all(b"sec")?;
            w.write_all(b"ond")
        })
        .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn failing_writer_keeps_existing_file_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("keep.txt");
        fs::write(&p, b"original").unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial garbage")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(fs::read(&p).unwrap(), b"original");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn panicking_writer_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        fs::write(&p, b"original").unwrap();
        let r = std::panic::catch_unwind(|| write_atomic(&p, |_| panic!("writer panicked")));
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"original");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/f");
        assert!(write_bytes_atomic(&p, b"x").is_err());
        assert!(write_bytes_atomic(Path::new("/"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_of_replaced_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("script");
        fs::write(&p, b"a").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o750)).unwrap();
        write_bytes_atomic(&p, b"b").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o750
        );
    }

    #[test]
    fn directory_is_replaced_only_with_overwrite() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("proj");
        let files = |text: &str| vec![("a.h".to_string(), text.as_bytes().to_vec())];
        write_dir_atomic(&out, &files("one"), false).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.h")).unwrap(), "one");
        let err = write_dir_atomic(&out, &files("two"), false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(out.join("a.h")).unwrap(), "one");
        write_dir_atomic(&out, &files("three"), true).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.h")).unwrap(), "three");
        let leftovers: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != "proj")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn failed_write_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("proj");
        let bad = vec![("no/such/dir/a.h".to_string(), vec![1])];
        assert!(write_dir_atomic(&out, &bad, false).is_err());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
