//! The small JSON manifest written beside each plan: the key it was built for, and the plan's
//! size and hash. Reading is bounded and never panics, whatever the file holds.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cache::EngineKey;

/// The manifest format this code reads and writes.
pub const MANIFEST_FORMAT: u32 = 1;

/// Manifests larger than this are rejected unread (a real one is well under 4 KiB).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// What is recorded beside a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`] when written.
    pub format: u32,
    /// Everything the plan depends on.
    pub key: EngineKey,
    /// Size of the plan file in bytes.
    pub plan_bytes: u64,
    /// sha256 of the plan file, lowercase hex.
    pub plan_sha256: String,
    /// How long the build took, in seconds.
    pub build_seconds: f64,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The manifest path.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is larger than [`MAX_MANIFEST_BYTES`].
    #[error("{path} is larger than {MAX_MANIFEST_BYTES} bytes")]
    TooLarge {
        /// The manifest path.
        path: String,
    },
    /// The JSON is malformed or does not describe a manifest.
    #[error("{path} is not a valid manifest: {reason}")]
    Invalid {
        /// The manifest path.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Reads and checks a manifest, reading at most [`MAX_MANIFEST_BYTES`] + 1 bytes.
pub fn read_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let p = path.display().to_string();
    let io_err = |source| ManifestError::Io {
        path: p.clone(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    parse(&bytes, p)
}

/// Checks a manifest held in memory, as [`read_manifest`] does a file's bytes; errors name the
/// path `(in memory)`.
pub fn manifest_from_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    parse(bytes, "(in memory)".to_owned())
}

/// The size limit, the JSON and the field checks; `p` names the source in errors.
fn parse(bytes: &[u8], p: String) -> Result<Manifest, ManifestError> {
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge { path: p });
    }
    let invalid = |reason: String| ManifestError::Invalid {
        path: p.clone(),
        reason,
    };
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
    validate(&manifest).map_err(invalid)?;
    Ok(manifest)
}

/// Field checks serde cannot express.
fn validate(m: &Manifest) -> Result<(), String> {
    let is_sha256 = |s: &str| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !is_sha256(&m.key.model_sha256) {
        return Err("key.model_sha256 is not 64 lowercase hex digits".into());
    }
    if !is_sha256(&m.plan_sha256) {
        return Err("plan_sha256 is not 64 lowercase hex digits".into());
    }
    if m.key
        .inputs
        .iter()
        .any(|i| i.min.len() != i.opt.len() || i.opt.len() != i.max.len())
    {
        return Err("an input's min/opt/max shapes have different ranks".into());
    }
    if !m.build_seconds.is_finite() || m.build_seconds < 0.0 {
        return Err("build_seconds is not a duration".into());
    }
    Ok(())
}

/// Writes a manifest atomically (temporary file, then rename), creating the directory.
pub fn write_manifest(path: &Path, manifest: &Manifest) -> io::Result<()> {
    let mut json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
    json.push(b'\n');
    write_atomically(path, &json)
}

/// Writes `bytes` to `path` atomically ([`crate::atomic_file::write_atomically`]), creating the
/// directory first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic_file::write_atomically(path, bytes)
}
