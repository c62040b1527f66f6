//! fp8 calibration of an upscaler: the ranges of the activations its fp8 convolutions read,
//! measured on crops of real frames, and a report of what fp8 costs in quality on other crops of
//! the same clip. Both run on the CPU through ONNX Runtime, so a calibration is made, checked and
//! kept anywhere and serves every GPU; TensorRT builds the fp8 engine from it
//! ([`crate::models::onnx::fp8`]).
//!
//! Only the upscalers are calibrated. Real-ESRGAN x2plus costs about 18.7 TFLOP per 1080p frame
//! and is compute-bound, which is what fp8 tensor cores speed up; RIFE costs about 0.12 TFLOP per
//! interpolated frame and is memory-bound, so fp8 would cost its flow precision for little gain.
//! RIFE stays fp16.

mod measure;
pub mod samples;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use measure::{calibrate, measure_ranges, Progress};
pub use samples::Settings;

use crate::models::onnx::GraphError;
use crate::models::runtime::RuntimeError;
use crate::video::VideoError;

/// Version of the calibration file's layout.
pub const CALIBRATION_FORMAT: u32 = 1;
/// Below this PSNR against fp32 on its worst held-out crop, a calibration comes with a warning:
/// 40 dB is the run's own bar for the CUDA path against the CPU path.
pub const FP8_WARN_PSNR_DB: f64 = 40.0;
/// Calibration files larger than this are refused unread (a real one is a few KiB).
pub const MAX_CALIBRATION_BYTES: u64 = 4 << 20;

/// What `smoothscale calibrate` writes: the ranges an fp8 engine is built from and the quality
/// report of those ranges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// [`CALIBRATION_FORMAT`].
    pub format: u32,
    /// sha256 of the model file the ranges belong to.
    pub model_sha256: String,
    /// The network, in words.
    pub architecture: String,
    /// The clip the crops came from.
    pub clip: String,
    /// Crops the ranges were measured on.
    pub samples: usize,
    /// Side of each crop, in input pixels.
    pub crop: usize,
    /// Factor between a measured range and the range its fp8 scale covers.
    pub headroom: f32,
    /// Largest activation magnitude read by each fp8 convolution, by weight name.
    pub ranges: BTreeMap<String, f32>,
    /// fp8 and fp16 against fp32 on crops the ranges were not measured on.
    pub quality: Quality,
}

/// PSNR over crops: the worst and the mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Lowest PSNR of a crop, dB.
    pub min: f64,
    /// Mean PSNR, dB.
    pub mean: f64,
}

/// How far the reduced-precision graphs are from the fp32 graph, on held-out crops (outputs
/// clamped to [0, 1] as frames are).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Held-out crops.
    pub samples: usize,
    /// fp8 graph (fp16 elsewhere) against fp32.
    pub fp8_psnr_db: Spread,
    /// Largest absolute difference of the fp8 graph.
    pub fp8_max_abs: f32,
    /// fp16 graph against fp32, for comparison.
    pub fp16_psnr_db: Spread,
    /// Largest absolute difference of the fp16 graph.
    pub fp16_max_abs: f32,
}

/// Why a calibration could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// A file could not be read or written.
    #[error("cannot {what} {path}: {source}")]
    Io {
        /// Read or write.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a calibration this version reads.
    #[error("{path} is not a smoothscale fp8 calibration: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The calibration was made for another model file.
    #[error(
        "the fp8 calibration {path} was made for the model with sha256 {made_for}, not {model} \
         (sha256 {actual}); run `smoothscale calibrate` for this model"
    )]
    OtherModel {
        /// The calibration file.
        path: PathBuf,
        /// The model file.
        model: PathBuf,
        /// The calibration's model hash.
        made_for: String,
        /// The model's hash.
        actual: String,
    },
    /// Only upscalers are calibrated.
    #[error("fp8 calibration is for the Real-ESRGAN upscalers; {0} stays fp16")]
    NotUpscaler(String),
    /// The clip has too few frames.
    #[error("{clip} has {got} frames; calibration needs at least {need}")]
    TooFewFrames {
        /// The clip.
        clip: PathBuf,
        /// Frames decoded.
        got: usize,
        /// Frames needed.
        need: usize,
    },
    /// The clip could not be decoded.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// ONNX Runtime failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The graph could not be built or rewritten.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl std::fmt::Display for Quality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "on {} held-out crops, against fp32: fp8 PSNR {:.1} dB (worst {:.1}, max abs {:.4}); \
             fp16 PSNR {:.1} dB (worst {:.1}, max abs {:.4})",
            self.samples,
            self.fp8_psnr_db.mean,
            self.fp8_psnr_db.min,
            self.fp8_max_abs,
            self.fp16_psnr_db.mean,
            self.fp16_psnr_db.min,
            self.fp16_max_abs
        )
    }
}

impl Quality {
    /// A warning when fp8 loses visibly on some crop (worst PSNR under [`FP8_WARN_PSNR_DB`]).
    pub fn warning(&self) -> Option<String> {
        let worst = self.fp8_psnr_db.min;
        (worst < FP8_WARN_PSNR_DB).then(|| {
            format!(
                "fp8 is {worst:.1} dB from fp32 on its worst held-out crop (under \
                 {FP8_WARN_PSNR_DB} dB): compare an fp8 run with an fp16 one before relying on it"
            )
        })
    }
}

impl Calibration {
    /// A short stable fingerprint of what an engine depends on (model, headroom and ranges; not
    /// the report): the first 16 hex digits of a sha256.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.format.to_le_bytes());
        h.update(self.model_sha256.as_bytes());
        h.update(self.headroom.to_le_bytes());
        for (weight, range) in &self.ranges {
            h.update((weight.len() as u64).to_le_bytes());
            h.update(weight.as_bytes());
            h.update(range.to_le_bytes());
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads a calibration file.
    pub fn read(path: &Path) -> Result<Self, CalibrationError> {
        let io = |source| CalibrationError::Io {
            what: "read",
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_CALIBRATION_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let invalid = |reason: String| CalibrationError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() as u64 > MAX_CALIBRATION_BYTES {
            return Err(invalid(format!(
                "larger than {MAX_CALIBRATION_BYTES} bytes"
            )));
        }
        let cal: Calibration =
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if cal.format != CALIBRATION_FORMAT {
            return Err(invalid(format!(
                "format {} (this version reads {CALIBRATION_FORMAT})",
                cal.format
            )));
        }
        if let Some((w, r)) = cal
            .ranges
            .iter()
            .find(|(_, r)| !(r.is_finite() && **r >= 0.0))
        {
            return Err(invalid(format!("the range of `{w}` is {r}")));
        }
        if !(cal.headroom.is_finite() && cal.headroom >= 1.0) {
            return Err(invalid(format!("headroom {}", cal.headroom)));
        }
        Ok(cal)
    }

    /// Writes the calibration as JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), CalibrationError> {
        let mut json = serde_json::to_vec_pretty(self).expect("a calibration always serializes");
        json.push(b'\n');
        crate::atomic_file::write_atomically(path, &json).map_err(|source| CalibrationError::Io {
            what: "write",
            path: path.to_path_buf(),
            source,
        })
    }

    /// Checks that the calibration (read from `path`) belongs to `model`, whose sha256 is
    /// `model_sha256`.
    pub fn check_model(
        &self,
        path: &Path,
        model: &Path,
        model_sha256: &str,
    ) -> Result<(), CalibrationError> {
        if self.model_sha256 == model_sha256 {
            return Ok(());
        }
        Err(CalibrationError::OtherModel {
            path: path.to_path_buf(),
            model: model.to_path_buf(),
            made_for: self.model_sha256.clone(),
            actual: model_sha256.to_string(),
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
