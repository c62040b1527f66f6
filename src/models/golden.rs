//! Golden cases (the format of `../shared/golden`): a `manifest.json` listing cases, each with a
//! model file, `.npy` inputs and the reference output. `smoothscale verify` runs them on the CPU;
//! the TensorRT tests run the same cases through engines.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::npy::{self, NpyError};
use super::weights::Tensor;

/// Why a golden folder or case could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// No `manifest.json`.
    #[error("no golden folder at {} (missing manifest.json)", .0.display())]
    NoManifest(PathBuf),
    /// The manifest could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The manifest.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest is not what it should be.
    #[error("{} {reason}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A case lacks a field or names a file outside the folder.
    #[error("case {case}: {reason}")]
    Case {
        /// The case's name.
        case: String,
        /// What is wrong.
        reason: String,
    },
    /// A tensor file could not be read.
    #[error("case {case}: {source}")]
    Tensor {
        /// The case's name.
        case: String,
        /// The reader's error.
        source: NpyError,
    },
}

/// What a case runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CaseKind {
    /// RIFE between `img0` and `img1` at `timestep`.
    Rife {
        /// The timestep.
        timestep: f32,
    },
    /// An upscaler on `input`.
    Upscale,
}

/// One golden case.
#[derive(Debug, Clone)]
pub struct GoldenCase {
    /// Its name.
    pub name: String,
    /// The largest absolute error allowed.
    pub tol_max_abs: f64,
    /// The model file, as the manifest names it (relative to the shared root).
    pub weights_file: Result<String, String>,
    /// What it runs (`Err`: why that could not be told).
    pub kind: Result<CaseKind, String>,
    value: Value,
}

/// A golden folder and its cases.
#[derive(Debug, Clone)]
pub struct GoldenSet {
    /// The folder.
    pub dir: PathBuf,
    /// Its cases, in manifest order (never empty).
    pub cases: Vec<GoldenCase>,
}

impl GoldenSet {
    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self, GoldenError> {
        let path = dir.join("manifest.json");
        if !path.is_file() {
            return Err(GoldenError::NoManifest(dir.to_path_buf()));
        }
        let text = std::fs::read_to_string(&path).map_err(|source| GoldenError::Io {
            path: path.clone(),
            source,
        })?;
        let bad = |reason: String| GoldenError::Manifest {
            path: path.clone(),
            reason,
        };
        let manifest: Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("is not JSON: {e}")))?;
        let Some(cases) = manifest["cases"].as_array().filter(|c| !c.is_empty()) else {
            return Err(bad("lists no cases".into()));
        };
        let cases = cases.iter().map(GoldenCase::from_value).collect();
        Ok(GoldenSet {
            dir: dir.to_path_buf(),
            cases,
        })
    }

    /// Reads tensor `key` (`img0`, `img1`, `input`, `out`) of a case.
    pub fn tensor(&self, case: &GoldenCase, key: &str) -> Result<Tensor, GoldenError> {
        let err = |reason: String| GoldenError::Case {
            case: case.name.clone(),
            reason,
        };
        let file = case.value["tensors"][key]["file"]
            .as_str()
            .ok_or_else(|| err(format!("no tensor {key:?}")))?;
        if Path::new(file).is_absolute() || file.split(['/', '\\']).any(|c| c == "..") {
            return Err(err(format!(
                "tensor path {file:?} leaves the golden folder"
            )));
        }
        npy::read(&self.dir.join(file)).map_err(|source| GoldenError::Tensor {
            case: case.name.clone(),
            source,
        })
    }
}

impl GoldenCase {
    fn from_value(v: &Value) -> GoldenCase {
        let kind = match v["kind"].as_str() {
            Some("rife") => v["timestep"]
                .as_f64()
                .map(|t| CaseKind::Rife { timestep: t as f32 })
                .ok_or_else(|| "RIFE case has no timestep".to_string()),
            Some(_) => Ok(CaseKind::Upscale),
            None => Err("case has no kind".to_string()),
        };
        GoldenCase {
            name: v["name"].as_str().unwrap_or("?").to_string(),
            tol_max_abs: v["tol_max_abs"].as_f64().unwrap_or(0.0),
            weights_file: v["weights_file"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| "case has no weights_file".to_string()),
            kind,
            value: v.clone(),
        }
    }

    /// The model file under `root`; a `models/` prefix is dropped when `root` is the models
    /// folder itself.
    pub fn weights_path(&self, root: &Path) -> Result<PathBuf, GoldenError> {
        let weights = self.weights_file.as_ref().map_err(|e| GoldenError::Case {
            case: self.name.clone(),
            reason: e.clone(),
        })?;
        let path = root.join(weights);
        if !path.exists() {
            if let Some(rest) = weights.strip_prefix("models/") {
                return Ok(root.join(rest));
            }
        }
        Ok(path)
    }
}

/// The largest absolute difference of two equally long value lists; NaN when either holds a NaN.
pub fn max_abs_err(got: &[f32], want: &[f32]) -> f32 {
    got.iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, |m, d| {
            if d.is_nan() || m.is_nan() {
                f32::NAN
            } else {
                m.max(d)
            }
        })
}

/// Peak signal-to-noise ratio in dB of `got` against `want`, for values in [0, 1] (both clamped
/// to it first, as when they become pixels); infinite when they are equal.
pub fn psnr(got: &[f32], want: &[f32]) -> f64 {
    let n = got.len().min(want.len()).max(1) as f64;
    let mse = got
        .iter()
        .zip(want)
        .map(|(a, b)| {
            let d = f64::from(a.clamp(0.0, 1.0)) - f64::from(b.clamp(0.0, 1.0));
            d * d
        })
        .sum::<f64>()
        / n;
    -10.0 * mse.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_psnr() {
        assert_eq!(max_abs_err(&[0.0, 0.5, 1.0], &[0.0, 0.25, 1.0]), 0.25);
        assert!(max_abs_err(&[f32::NAN], &[0.0]).is_nan());
        assert!(psnr(&[0.5; 4], &[0.5; 4]).is_infinite());
        // A uniform error of 0.01 is 40 dB.
        assert!((psnr(&[0.51; 8], &[0.5; 8]) - 40.0).abs() < 1e-3);
    }

    #[test]
    fn cases_are_read_and_paths_kept_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"cases": [{"name": "a", "kind": "rife", "timestep": 0.5, "tol_max_abs": 0.002,
                "weights_file": "models/x.pkl", "tensors": {"out": {"file": "../out.npy"}}},
               {"name": "b", "kind": "esrgan"}]}"#,
        )
        .unwrap();
        let set = GoldenSet::load(dir.path()).unwrap();
        assert_eq!(set.cases[0].kind, Ok(CaseKind::Rife { timestep: 0.5 }));
        assert_eq!(set.cases[1].kind, Ok(CaseKind::Upscale));
        assert!(set.cases[1].weights_file.is_err());
        let root = Path::new("/nonexistent");
        assert_eq!(set.cases[0].weights_path(root).unwrap(), root.join("x.pkl"));
        let err = set.tensor(&set.cases[0], "out").unwrap_err().to_string();
        assert!(err.contains("leaves the golden folder"), "{err}");
        assert!(GoldenSet::load(&dir.path().join("none")).is_err());
    }
}
