//! An output directory that is replaced whole or not at all.
//!
//! A command builds its output set in a hidden sibling of `--out`
//! (`.NAME.nexus-mc-new-XXXXXX`), then swaps the two directories in one
//! `renameat2(RENAME_EXCHANGE)` and deletes the earlier set. A process killed
//! at any instant therefore leaves `--out` holding either the complete
//! earlier set or the complete new one. Where the file system cannot
//! exchange, the earlier set is first renamed to `.NAME.nexus-mc-old-XXXXXX`;
//! if the process dies between the two renames, the next command on the
//! same `--out` puts it back. Every staging directory holds a lock for as
//! long as its process lives, so the next command removes only leftovers of
//! dead processes. Nothing is created before [`OutDir::begin`]: a command
//! stopped earlier leaves no directory behind.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::manifest::{files_of_earlier_outputs, ManifestJson, MANIFEST_FILE, OUTPUT_FILES};
use crate::error::{Error, Result};

const NEW: &str = "nexus-mc-new-";
const OLD: &str = "nexus-mc-old-";
const LOCK: &str = ".nexus-mc-lock";
/// Random characters tempfile appends to a staging name.
const RANDOM_CHARS: usize = 6;
/// Longest file name most file systems take, in bytes.
const NAME_MAX: usize = 255;

/// An output directory made ready for a command's files.
pub struct OutDir {
    /// The directory as the user gave it.
    pub path: PathBuf,
    /// The directory, absolute, with links resolved.
    target: PathBuf,
    /// Entries nexus-mc did not write, kept with `--force`.
    carry: Vec<String>,
    /// The set under construction, from [`OutDir::begin`] on.
    stage: Option<Stage>,
}

/// The set under construction. Fields drop in order: the lock's file
/// descriptor is closed before the directory is removed, so a command that
/// failed for want of file descriptors can still remove its staging.
struct Stage {
    /// Closed first when the stage is dropped, freeing a file descriptor
    /// for the removal.
    lock: Option<File>,
    /// `None` once kept (renamed into place).
    dir: Option<tempfile::TempDir>,
}

impl Stage {
    fn path(&self) -> &Path {
        self.dir.as_ref().expect("a stage not yet kept").path()
    }

    /// Leaves the directory on disk: it has been renamed into place.
    fn keep(mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
    }
}

impl Drop for Stage {
    /// Removes the staging directory (and the files written into it) with
    /// one file descriptor at a time: a command that failed for want of
    /// descriptors (`ulimit -n 4`) still leaves nothing behind.
    fn drop(&mut self) {
        drop(self.lock.take());
        if let Some(dir) = self.dir.take() {
            let path = dir.keep();
            // With no descriptor to list it, an empty directory still goes.
            if remove_tree(&path).is_err() {
                let _ = std::fs::remove_dir(&path);
            }
        }
    }
}

/// Removes the directory `path` and everything in it, holding at most one
/// directory open at a time: each directory's entries are listed and the
/// listing closed before anything in it is removed.
fn remove_tree(path: &Path) -> std::io::Result<()> {
    let entries: Vec<(PathBuf, bool)> = std::fs::read_dir(path)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?.is_dir()))))
        .collect::<std::io::Result<_>>()?;
    for (entry, is_dir) in entries {
        if is_dir {
            remove_tree(&entry)?;
        } else {
            std::fs::remove_file(&entry)?;
        }
    }
    std::fs::remove_dir(path)
}

impl OutDir {
    /// Checks that `path` can take a command's output set, creating
    /// nothing. An existing directory must be empty or hold only an earlier
    /// nexus-mc output set, unless `force` is given (other entries are then
    /// kept in the new set). `inputs` are the files and directories the
    /// command reads: none may be inside `path`, nor `path` inside an input
    /// directory. Leftovers of killed
    /// commands on the same `path` are cleaned up.
    pub fn prepare(path: &Path, force: bool, inputs: &[PathBuf]) -> Result<OutDir> {
        let bad = |why: String| Error::Usage(format!("--out {}: {why}", path.display()));
        let target = resolve(path).map_err(|e| bad(format!("cannot create it: {e}")))?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(bad(
                "is the root of the file system; choose a directory".into()
            ));
        };
        if std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(&target)) {
            return Err(bad(
                "is the current directory or contains it; an output set is replaced by \
                 swapping directories, which would move the directory you are in: choose a \
                 subdirectory such as out/run"
                    .into(),
            ));
        }
        for input in inputs {
            let input = resolve(input).unwrap_or_else(|_| input.clone());
            if input == target {
                return Err(bad(
                    "is an input of this command; the output set replaces the whole directory, \
                     so choose another --out"
                        .into(),
                ));
            }
            if target.starts_with(&input) && input.is_dir() {
                return Err(bad(format!(
                    "lies inside {}, an input of this command, whose output set would gain a \
                     directory it does not list; choose another --out",
                    input.display()
                )));
            }
            if input.starts_with(&target) {
                return Err(bad(format!(
                    "holds {}, an input of this command, and the output set replaces the whole \
                     directory; choose another --out",
                    input.display()
                )));
            }
        }
        // The set is built in a sibling `.NAME.nexus-mc-new-XXXXXX`: a name
        // too long for that would fail only after all the work.
        let longest = name.len() + 1 + 1 + NEW.len().max(OLD.len()) + RANDOM_CHARS;
        if longest > NAME_MAX {
            return Err(bad(format!(
                "its last part is {} bytes; nexus-mc builds the output set beside it as \
                 `.NAME.{NEW}XXXXXX`, which must fit the file system's {NAME_MAX} bytes: use a \
                 name of at most {} bytes",
                name.len(),
                NAME_MAX - (longest - name.len())
            )));
        }
        clean_leftovers(parent, &name.to_string_lossy(), &target);
        let carry = match std::fs::symlink_metadata(&target) {
            Ok(m) if !m.is_dir() => return Err(bad("exists and is not a directory".into())),
            Ok(_) => foreign_entries(&target, force).map_err(bad)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(bad(format!("cannot read it: {e}"))),
        };
        check_writable(&target).map_err(bad)?;
        Ok(OutDir {
            path: path.to_path_buf(),
            target,
            carry,
            stage: None,
        })
    }

    /// Creates the staging directory the set is written into: call it once
    /// the results are computed.
    pub(crate) fn begin(&mut self) -> Result<()> {
        let parent = self.target.parent().expect("checked in prepare");
        let failed = |source| Error::Write {
            path: self.target.clone(),
            source,
        };
        std::fs::create_dir_all(parent).map_err(failed)?;
        let name = self.target.file_name().expect("checked in prepare");
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{}.{NEW}", name.to_string_lossy()))
            .rand_bytes(RANDOM_CHARS)
            .tempdir_in(parent)
            .map_err(failed)?;
        // A stage from the start, so that a failure below removes it.
        let mut stage = Stage {
            lock: None,
            dir: Some(dir),
        };
        let lock = File::create(stage.path().join(LOCK)).map_err(failed)?;
        lock.try_lock().map_err(|e| failed(e.into()))?;
        stage.lock = Some(lock);
        self.stage = Some(stage);
        Ok(())
    }

    /// The path `file` is written to: in the staging directory.
    ///
    /// # Panics
    /// Before [`OutDir::begin`].
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.staging().join(name)
    }

    /// The staging directory, where the set is being built.
    ///
    /// # Panics
    /// Before [`OutDir::begin`].
    pub(crate) fn staging(&self) -> &Path {
        self.stage.as_ref().expect("OutDir::begin first").path()
    }

    /// Writes the manifest (pretty JSON) into the set.
    pub(crate) fn write_manifest(&self, manifest: &impl ManifestJson) -> Result<()> {
        super::write_atomic(&self.file(MANIFEST_FILE), |w| {
            serde_json::to_writer_pretty(&mut *w, manifest).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
    }

    /// Puts the finished set in place of `--out` in one step and deletes the
    /// earlier set.
    pub(crate) fn commit(mut self) -> Result<()> {
        let stage = self.stage.take().expect("OutDir::begin first");
        let failed = |source| Error::Write {
            path: self.target.clone(),
            source,
        };
        for entry in &self.carry {
            link_tree(&self.target.join(entry), &stage.path().join(entry)).map_err(|e| {
                Error::Write {
                    path: self.target.join(entry),
                    source: std::io::Error::new(
                        e.kind(),
                        format!("cannot keep it in the new output set (--force): {e}"),
                    ),
                }
            })?;
        }
        sync_dir(stage.path()).map_err(failed)?;
        let parent = self.target.parent().expect("checked in prepare");
        let staged = stage.path().to_path_buf();
        if std::fs::symlink_metadata(&self.target).is_err() {
            std::fs::rename(&staged, &self.target).map_err(failed)?;
            stage.keep();
        } else if exchange(&staged, &self.target).map_err(failed)? {
            // The stage's path now names the earlier set, which its drop
            // deletes.
            drop(stage);
        } else {
            let name = self.target.file_name().expect("checked in prepare");
            let old = tempfile::Builder::new()
                .prefix(&format!(".{}.{OLD}", name.to_string_lossy()))
                .rand_bytes(RANDOM_CHARS)
                .tempdir_in(parent)
                .map_err(failed)?;
            std::fs::rename(&self.target, old.path()).map_err(failed)?;
            std::fs::rename(&staged, &self.target).map_err(failed)?;
            stage.keep();
            drop(old);
        }
        let _ = std::fs::remove_file(self.target.join(LOCK));
        sync_dir(parent).map_err(failed)
    }
}

/// `path` made absolute with every link resolved, for a path that need not
/// exist: its nearest existing ancestor is resolved, the rest appended.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(real) => {
                let mut out = real;
                for part in rest.iter().rev() {
                    out.push(part);
                }
                return Ok(lexical(&out));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (Some(parent), Some(last)) =
                    (existing.parent(), existing.components().next_back())
                else {
                    return Err(e);
                };
                rest.push(last.as_os_str().to_os_string());
                existing = parent;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes `.` and resolves `..` without touching the file system (only
/// the part of a path that does not exist yet can have them).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The entries of `dir` that no nexus-mc command wrote; an error unless
/// `force` keeps them.
fn foreign_entries(dir: &Path, force: bool) -> std::result::Result<Vec<String>, String> {
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read it: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let previous = files_of_earlier_outputs(dir);
    let ours = |e: &str| {
        e == MANIFEST_FILE
            || e == LOCK
            || OUTPUT_FILES.contains(&e)
            || e.starts_with(".nexus-mc-")
            || previous.iter().any(|p| p == e)
    };
    let foreign: Vec<String> = entries.into_iter().filter(|e| !ours(e)).collect();
    if foreign.is_empty() || force {
        return Ok(foreign);
    }
    let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
    let listed = format!(
        "{}{}",
        shown.join(", "),
        if foreign.len() > 5 { ", ..." } else { "" }
    );
    Err(if dir.join(MANIFEST_FILE).is_file() {
        format!(
            "holds an earlier nexus-mc output set and also files nexus-mc did not write \
             ({listed}); pass --force to replace the set and keep those files, or choose \
             another directory"
        )
    } else {
        format!(
            "the directory is not empty ({listed}) and holds no earlier nexus-mc outputs; \
             choose an empty or new directory, or pass --force to write into it (its files \
             are kept)"
        )
    })
}

/// Checks that the nearest existing ancestor of `target` (itself, if it
/// exists) is a directory this process may write into.
fn check_writable(target: &Path) -> std::result::Result<(), String> {
    let mut dir = target;
    while !dir.exists() {
        dir = dir.parent().ok_or("no part of the path exists")?;
    }
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let parent_of_target = target.parent().unwrap_or(target);
    let check = if dir == target { parent_of_target } else { dir };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(check.as_os_str().as_bytes())
            .map_err(|_| "the path holds a NUL byte".to_string())?;
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
            return Err(format!(
                "cannot write in {}: {}",
                check.display(),
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Removes what killed commands on the same output directory left beside
/// it, and puts back an earlier set a killed swap had moved aside.
fn clean_leftovers(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let new = format!(".{name}.{NEW}");
    let old = format!(".{name}.{OLD}");
    for entry in entries.filter_map(|e| e.ok()) {
        let file = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_new = file.starts_with(&new);
        if !(is_new || file.starts_with(&old)) || in_use(&path) {
            continue;
        }
        if !is_new && !target.exists() && path.join(MANIFEST_FILE).is_file() {
            let _ = std::fs::rename(&path, target);
        } else {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Whether a living process holds the lock of the staging directory `dir`.
fn in_use(dir: &Path) -> bool {
    File::open(dir.join(LOCK)).is_ok_and(|f| f.try_lock().is_err())
}

/// Exchanges two directories atomically; `Ok(false)` where the file system
/// or the platform cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| std::io::Error::other("path holds a NUL byte"))
        };
        let (a, b) = (c(a)?, c(b)?);
        // SAFETY: both are valid NUL-terminated paths that outlive the call;
        // AT_FDCWD makes them relative to the current directory as usual.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Makes `to` a copy of `from` that shares its files: directories are
/// created, files hard-linked, links recreated.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.is_dir() {
        std::fs::create_dir(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            link_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if meta.file_type().is_symlink() {
        #[cfg(unix)]
        return std::os::unix::fs::symlink(std::fs::read_link(from)?, to);
        #[cfg(not(unix))]
        return std::fs::copy(from, to).map(drop);
    } else {
        std::fs::hard_link(from, to)
    }
}

/// Flushes a directory's entries to disk, so a rename in it survives a
/// power cut.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_handles_paths_that_do_not_exist_yet() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let got = resolve(&dir.path().join("a/./b/../c")).unwrap();
        assert_eq!(got, real.join("a/c"));
    }

    #[cfg(unix)]
    #[test]
    fn resolve_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("x")).unwrap();
        std::os::unix::fs::symlink(real.join("x"), real.join("link")).unwrap();
        assert_eq!(
            resolve(&real.join("link/f.csv")).unwrap(),
            real.join("x/f.csv")
        );
    }

    #[test]
    fn link_tree_keeps_files_and_subdirectories() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        std::fs::create_dir_all(from.join("sub")).unwrap();
        std::fs::write(from.join("sub/a.txt"), "a").unwrap();
        link_tree(&from, &dir.path().join("to")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("to/sub/a.txt")).unwrap(),
            "a"
        );
    }
}
