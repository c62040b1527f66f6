//! Engine cache keys and the hit / miss / rebuild decision.
//!
//! A plan is only valid for the exact model file, graph version, TensorRT version, GPU, shapes,
//! precision and builder options it was built with. All of these form the [`EngineKey`], stored in
//! a manifest (`<stem>.json`) beside the plan (`<stem>.plan`) and compared before deserializing.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::manifest::{read_manifest, Manifest, MANIFEST_FORMAT};

/// GPU compute capability (Thor: 11.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeCapability {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The precision an engine was built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnginePrecision {
    /// Full precision.
    Fp32,
    /// Half precision (the RIFE warp kept fp32 by the graph's casts).
    Fp16,
    /// bfloat16.
    Bf16,
    /// 8-bit float.
    Fp8,
}

impl fmt::Display for EnginePrecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            EnginePrecision::Fp32 => "fp32",
            EnginePrecision::Fp16 => "fp16",
            EnginePrecision::Bf16 => "bf16",
            EnginePrecision::Fp8 => "fp8",
        };
        f.write_str(s)
    }
}

/// The shapes one input accepts (min = opt = max for a static engine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProfile {
    /// Input tensor name.
    pub name: String,
    /// Smallest shape.
    pub min: Vec<i64>,
    /// Shape tuned for.
    pub opt: Vec<i64>,
    /// Largest shape.
    pub max: Vec<i64>,
}

/// Everything a built plan depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineKey {
    /// sha256 of the model file, lowercase hex.
    pub model_sha256: String,
    /// Version of our ONNX graph builder for this model.
    pub graph_version: String,
    /// TensorRT version of the loaded library ("10.16.0").
    pub tensorrt_version: String,
    /// GPU name as the driver reports it.
    pub gpu_name: String,
    /// GPU compute capability.
    pub compute_capability: ComputeCapability,
    /// Input shapes, in the graph's input order.
    pub inputs: Vec<InputProfile>,
    /// Precision.
    pub precision: EnginePrecision,
    /// Other builder options (workspace, optimization level, ...), sorted by name.
    pub options: BTreeMap<String, String>,
}

impl EngineKey {
    /// A short stable fingerprint of the whole key (first 16 hex digits of the sha256 of its JSON).
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).expect("an EngineKey always serializes");
        hex(&Sha256::digest(&json))[..16].to_string()
    }

    /// What differs between `self` (wanted) and `built`, one readable line per field.
    pub fn differences(&self, built: &EngineKey) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |what: &str, want: String, have: String| {
            if want != have {
                out.push(format!("{what}: engine has {have}, wanted {want}"));
            }
        };
        cmp(
            "model file sha256",
            self.model_sha256.clone(),
            built.model_sha256.clone(),
        );
        cmp(
            "graph version",
            self.graph_version.clone(),
            built.graph_version.clone(),
        );
        cmp(
            "TensorRT version",
            self.tensorrt_version.clone(),
            built.tensorrt_version.clone(),
        );
        cmp("GPU", self.gpu_name.clone(), built.gpu_name.clone());
        cmp(
            "compute capability",
            self.compute_capability.to_string(),
            built.compute_capability.to_string(),
        );
        cmp(
            "input shapes",
            format!("{:?}", self.inputs),
            format!("{:?}", built.inputs),
        );
        cmp(
            "precision",
            self.precision.to_string(),
            built.precision.to_string(),
        );
        cmp(
            "builder options",
            format!("{:?}", self.options),
            format!("{:?}", built.options),
        );
        out
    }
}

/// What to do with the cache entry for a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheDecision {
    /// The plan matches the key: deserialize it.
    Hit {
        /// The plan file.
        plan: PathBuf,
    },
    /// No engine was built for this entry yet.
    Miss,
    /// An engine exists but cannot be used; build again.
    Rebuild {
        /// Why, in words for the user.
        reason: String,
    },
}

/// A directory of plans with their manifests.
#[derive(Clone, Debug)]
pub struct EngineCache {
    dir: PathBuf,
}

impl EngineCache {
    /// The cache in `dir` (created when an engine is written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EngineCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The plan file of entry `stem` (for example `rife-1920x1088-fp16`).
    pub fn plan_path(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.plan"))
    }

    /// The manifest of entry `stem`.
    pub fn manifest_path(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.json"))
    }

    /// Decides whether entry `stem` can serve `key`. Never panics; every problem with the files
    /// on disk becomes a [`CacheDecision::Rebuild`] with its reason.
    pub fn decide(&self, stem: &str, key: &EngineKey) -> CacheDecision {
        let plan = self.plan_path(stem);
        let manifest_path = self.manifest_path(stem);
        let plan_meta = std::fs::metadata(&plan).ok().filter(|m| m.is_file());
        if !manifest_path.exists() {
            return match plan_meta {
                None => CacheDecision::Miss,
                Some(_) => rebuild(format!("{} has no manifest beside it", plan.display())),
            };
        }
        let manifest = match read_manifest(&manifest_path) {
            Ok(m) => m,
            Err(e) => return rebuild(format!("unusable manifest: {e}")),
        };
        decide_with(&manifest, &plan, plan_meta.map(|m| m.len()), key)
    }
}

fn rebuild(reason: String) -> CacheDecision {
    CacheDecision::Rebuild { reason }
}

/// The decision once the manifest is read: `plan_len` is the plan file's size, `None` if absent.
fn decide_with(
    manifest: &Manifest,
    plan: &Path,
    plan_len: Option<u64>,
    key: &EngineKey,
) -> CacheDecision {
    if manifest.format != MANIFEST_FORMAT {
        return rebuild(format!(
            "manifest format {} (this smoothscale writes {MANIFEST_FORMAT})",
            manifest.format
        ));
    }
    let diffs = key.differences(&manifest.key);
    if !diffs.is_empty() {
        return rebuild(diffs.join("; "));
    }
    match plan_len {
        None => rebuild(format!("{} is missing", plan.display())),
        Some(len) if len != manifest.plan_bytes => rebuild(format!(
            "{} has {len} bytes, the manifest says {}",
            plan.display(),
            manifest.plan_bytes
        )),
        Some(_) => match sha256_file(plan) {
            Ok(sum) if sum == manifest.plan_sha256 => CacheDecision::Hit {
                plan: plan.to_path_buf(),
            },
            Ok(_) => rebuild(format!(
                "{} is not the plan its manifest describes (sha256 differs)",
                plan.display()
            )),
            Err(e) => rebuild(format!("cannot read {}: {e}", plan.display())),
        },
    }
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// sha256 of a reader's bytes, lowercase hex.
pub(crate) fn sha256_reader(mut r: impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// sha256 of a file (the model file of the key, or a plan), lowercase hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    sha256_reader(File::open(path)?)
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
