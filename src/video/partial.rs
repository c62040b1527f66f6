//! Output files that appear only when complete: everything is written to a temporary file beside
//! the destination and renamed over it at the end. A failed or interrupted run removes the
//! temporary file and never leaves anything at the destination.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::VideoError;

/// The temporary files of this process not yet committed or removed, for an exit that cannot
/// wait for the runs to unwind ([`remove_pending`]).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary file of this process not yet committed (for an exit on a signal that
/// the run did not stop by itself in time); how many there were.
pub fn remove_pending() -> usize {
    let paths = std::mem::take(&mut *pending());
    remove_all(&paths);
    paths.len()
}

fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("could not remove {}: {e}", path.display()),
        }
    }
}

/// A temporary file that becomes `target` on [`PartialFile::commit`] and is deleted otherwise.
#[derive(Debug)]
pub struct PartialFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl PartialFile {
    /// Reserves a temporary name beside `target`. Refuses an existing `target` unless `overwrite`,
    /// a missing folder, and a `target` that is the input itself.
    pub fn new(target: &Path, input: &Path, overwrite: bool) -> Result<Self, VideoError> {
        let name = target
            .file_name()
            .ok_or_else(|| VideoError::BadOutput(target.to_path_buf(), "has no file name"))?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(VideoError::BadOutput(
                target.to_path_buf(),
                "is in a folder that does not exist",
            ));
        }
        let same = match (fs::canonicalize(input), fs::canonicalize(&parent)) {
            (Ok(i), Ok(p)) => i == p.join(name),
            _ => false,
        };
        if same {
            return Err(VideoError::BadOutput(
                target.to_path_buf(),
                "is the input file",
            ));
        }
        if target.exists() && !overwrite {
            return Err(VideoError::BadOutput(
                target.to_path_buf(),
                "already exists (pass --overwrite to replace it)",
            ));
        }
        for (path, pid) in leftovers(target) {
            if !process_exists(pid) {
                match fs::remove_file(&path) {
                    Ok(()) => log::info!(
                        "removed {}, left by process {pid}, which no longer exists",
                        path.display()
                    ),
                    Err(e) => log::warn!("cannot remove {}: {e}", path.display()),
                }
            }
        }
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.partial", std::process::id()));
        let temp = parent.join(temp_name);
        pending().push(temp.clone());
        Ok(PartialFile {
            temp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Moves the finished file to its destination.
    pub fn commit(mut self) -> Result<PathBuf, VideoError> {
        fs::rename(&self.temp, &self.target).map_err(|e| VideoError::Io {
            path: self.target.clone(),
            what: "move the finished file into place",
            source: e,
        })?;
        self.committed = true;
        Ok(self.target.clone())
    }

    fn forget(&self) {
        pending().retain(|p| *p != self.temp);
    }
}

/// The temporary files of runs writing `target` (`.NAME.PID.partial` beside it), with the pid of
/// the process that named each; a run removes those whose process is gone, a batch worker (which
/// holds the clip's lock) all of them.
pub fn leftovers(target: &Path) -> Vec<(PathBuf, u32)> {
    let (Some(name), Some(parent)) = (target.file_name(), target.parent()) else {
        return Vec::new();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let pid = file.strip_prefix(&prefix)?.strip_suffix(".partial")?;
            let pid = pid
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| pid.parse().ok())??;
            Some((entry.path(), pid))
        })
        .collect()
}

/// Whether process `pid` exists (Linux: it has a `/proc` entry).
fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        self.forget();
        if !self.committed && self.temp.exists() {
            if let Err(e) = fs::remove_file(&self.temp) {
                log::warn!("could not remove {}: {e}", self.temp.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_moves_and_drop_cleans() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mp4");
        fs::write(&input, b"x").unwrap();
        let target = dir.path().join("out.mp4");
        let p = PartialFile::new(&target, &input, false).unwrap();
        fs::write(p.path(), b"done").unwrap();
        assert!(!target.exists());
        p.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"done");

        let p = PartialFile::new(&target, &input, true).unwrap();
        let temp = p.path().to_path_buf();
        fs::write(&temp, b"half").unwrap();
        drop(p);
        assert!(!temp.exists());
        assert_eq!(
            fs::read(&target).unwrap(),
            b"done",
            "the earlier output is untouched"
        );
    }

    #[test]
    fn leftovers_of_gone_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mp4");
        fs::write(&input, b"x").unwrap();
        let target = dir.path().join("out.mp4");
        // A pid above the kernel's maximum (4194304) never exists; ours does.
        let gone = dir.path().join(".out.mp4.99999999.partial");
        let alive = dir
            .path()
            .join(format!(".out.mp4.{}.partial", std::process::id()));
        let other = dir.path().join(".other.mp4.99999999.partial");
        let odd = dir.path().join(".out.mp4.12x.partial");
        for f in [&gone, &alive, &other, &odd] {
            fs::write(f, b"half").unwrap();
        }
        let mut found = leftovers(&target);
        found.sort();
        assert_eq!(
            found,
            [
                (alive.clone(), std::process::id()),
                (gone.clone(), 99999999)
            ]
        );
        let p = PartialFile::new(&target, &input, false).unwrap();
        assert!(!gone.exists(), "the dead process's file is removed");
        assert!(alive.exists() && other.exists() && odd.exists());
        drop(p);
    }

    #[test]
    fn pending_files_are_removed_on_demand_and_forgotten_when_done() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mp4");
        fs::write(&input, b"x").unwrap();
        let open = PartialFile::new(&dir.path().join("a.mp4"), &input, false).unwrap();
        let done = PartialFile::new(&dir.path().join("b.mp4"), &input, false).unwrap();
        fs::write(open.path(), b"half").unwrap();
        fs::write(done.path(), b"all").unwrap();
        let (open_temp, done_temp) = (open.path().to_path_buf(), done.path().to_path_buf());
        done.commit().unwrap();
        assert!(pending().contains(&open_temp) && !pending().contains(&done_temp));
        // (`remove_pending` itself would take the other tests' files too.)
        remove_all(&[open_temp.clone(), dir.path().join("never-written")]);
        assert!(!open_temp.exists());
        assert!(dir.path().join("b.mp4").exists(), "a committed file stays");
        drop(open);
        assert!(!pending().contains(&open_temp));
    }

    #[test]
    fn refuses_existing_missing_folder_and_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.mp4");
        fs::write(&input, b"x").unwrap();
        let err = |t: &Path| PartialFile::new(t, &input, false).unwrap_err().to_string();
        assert!(err(&input).contains("is the input file"));
        assert!(err(&dir.path().join("nope/out.mp4")).contains("does not exist"));
        let existing = dir.path().join("old.mp4");
        fs::write(&existing, b"old").unwrap();
        assert!(err(&existing).contains("--overwrite"));
    }
}
