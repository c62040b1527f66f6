//! The clips of an input folder and the output name of each.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::BatchError;

/// One video of the input folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    /// The input's file name (what sharding hashes).
    pub name: String,
    pub input: PathBuf,
    /// `OUT_DIR/<input stem>.<container>`.
    pub output: PathBuf,
    /// Set when an earlier clip (in name order) already has this output name.
    pub collides_with: Option<String>,
}

impl Clip {
    /// The output's file name.
    pub fn output_name(&self) -> String {
        self.output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The files of `in_dir` (not its subfolders) whose extension is one of `extensions`
/// (case-insensitive), sorted by name. Hidden files (a leading `.`) and names that are not UTF-8
/// are left out. Each output is `out_dir/<stem>.<container>`.
pub fn discover(
    in_dir: &Path,
    out_dir: &Path,
    extensions: &[String],
    container: &str,
) -> Result<Vec<Clip>, BatchError> {
    if !matches!(container, "mp4" | "m4v" | "mov" | "mkv") {
        return Err(BatchError::BadContainer(container.to_string()));
    }
    let entries = fs::read_dir(in_dir).map_err(BatchError::io(in_dir, "read the folder"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(BatchError::io(in_dir, "read the folder"))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            log::warn!("{}: not a UTF-8 name, left out", path.display());
            continue;
        };
        let wanted = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)));
        // is_file follows links, so a link to a video counts.
        if wanted && !name.starts_with('.') && path.is_file() {
            names.push(name);
        }
    }
    names.sort();
    let mut owners: HashMap<String, String> = HashMap::new();
    Ok(names
        .into_iter()
        .map(|name| {
            let stem = Path::new(&name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let output_name = format!("{stem}.{container}");
            let collides_with = owners.get(&output_name).cloned();
            owners.entry(output_name.clone()).or_insert(name.clone());
            Clip {
                input: in_dir.join(&name),
                output: out_dir.join(&output_name),
                name,
                collides_with,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_filtered_and_collisions_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.MOV",
            "a.mp4",
            "a.mkv",
            ".a.mp4.1.partial",
            "notes.txt",
            ".hidden.mp4",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        fs::create_dir(dir.path().join("sub.mp4")).unwrap();
        let exts: Vec<String> = ["mp4", "mov", "mkv"].map(String::from).to_vec();
        let out = Path::new("/out");
        let clips = discover(dir.path(), out, &exts, "mp4").unwrap();
        let names: Vec<_> = clips.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a.mkv", "a.mp4", "b.MOV"]);
        assert_eq!(clips[0].output, out.join("a.mp4"));
        assert_eq!(clips[0].collides_with, None);
        assert_eq!(clips[1].collides_with.as_deref(), Some("a.mkv"));
        assert_eq!(clips[2].output_name(), "b.mp4");
        assert!(matches!(
            discover(dir.path(), out, &exts, "webm"),
            Err(BatchError::BadContainer(_))
        ));
    }
}
