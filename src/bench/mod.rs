//! `smoothscale bench`: a fixed workload timed stage by stage (decode, RIFE, the upscalers,
//! encode, end to end), after warm-up, as medians of repeated runs, with the peak memory and the
//! machine, written as JSON and compared with a baseline.
//!
//! The JSON (`schema: "smoothscale-bench/1"`) has `tool_version`, `backend` (`"cpu"`; a CUDA
//! backend adds `"cuda"`), `settings` (`repeat`, `warmup`), `machine` ([`Machine`]), `workload`
//! ([`Workload`]: its name, clips and stages with their sizes and models), `stages`
//! ([`StageResult`]: status, runs, median, per frame, frames/s, host and device peak memory),
//! `memory` (the whole run's `host_peak_bytes`, and `device_peak_bytes`, `null` on the CPU) and
//! `elapsed_s`. A CUDA run fills the device memory fields and brings its own workload (the
//! 1920x1088 sizes) under another name; reports compare only when their workloads are equal.

mod clips;
mod compare;
pub mod cost;
mod figures;
pub mod gpu;
mod machine;
mod measure;
pub mod plan;
pub mod roofline;
mod stages;
pub mod synthetic;
mod workload;
mod workload_cuda;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use clips::{pattern_frame, write_clip};
pub use compare::{check_compatible, compare, Comparison, Row};
pub use figures::{CopiesPerFrame, GpuFigures};
pub use machine::{cpu_model, peak_rss_bytes, reset_peak_rss, Gpu, Machine};
pub use measure::median;
pub use stages::{StageResult, StageStatus};
pub use workload::{ClipSpec, EncodeSpec, StageKind, StageSpec, TileSpec, Workload, SRVGG_FILE};
pub use workload_cuda::{JOB_CLIP, JOB_FRAMES, JOB_SIZE, SCRIPT_SECONDS};

use crate::pipeline::PipelineError;
use crate::video::VideoError;

/// The version tag of the JSON layout.
pub const SCHEMA: &str = "smoothscale-bench/1";

/// Where the work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// FFmpeg software decode and encode, models on ONNX Runtime's CPU provider.
    Cpu,
    /// NVDEC, our CUDA kernels, TensorRT and NVENC (the `cuda-1088p` workload).
    Cuda,
}

/// An engine a CUDA run needed, built or found in the cache before its stage was timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRecord {
    /// The stage that asked for it.
    pub stage: String,
    /// `hit` (the cache had it) or `built`.
    pub cache: String,
    /// The plan file (a hit), or the build's seconds (a build).
    pub plan: Option<String>,
    pub build_s: Option<f64>,
}

/// How many times each stage runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Timed runs; the median is reported.
    pub repeat: u32,
    /// Untimed runs first.
    pub warmup: u32,
}

/// Peak memory of the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Peak resident set of the process (`VmHWM`).
    pub host_peak_bytes: Option<u64>,
    /// Peak device memory (`null` on the CPU).
    pub device_peak_bytes: Option<u64>,
}

/// A bench run, as written to `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema: String,
    pub tool_version: String,
    pub backend: Backend,
    pub settings: Settings,
    pub machine: Machine,
    pub workload: Workload,
    pub stages: Vec<StageResult>,
    pub memory: Memory,
    pub elapsed_s: f64,
    /// The roofline row of this GPU (`null`: no peak known, or the CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<roofline::Peak>,
    /// Whether the encode stage found NVENC (CUDA runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nvenc: Option<bool>,
    /// The engines a CUDA run built or loaded, outside the timed runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<EngineRecord>,
}

/// Why a bench run or a comparison failed. Variants with a `source` leave it out of their own
/// message: the command line prints the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot read the baseline {}", path.display())]
    BaselineRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the baseline {} is not a bench report: {reason}", path.display())]
    BaselineFormat { path: PathBuf, reason: String },
    #[error(
        "the baseline is of a different workload ({field}: baseline {baseline}, now {now}); \
         only runs of the same workload compare"
    )]
    WorkloadMismatch {
        field: String,
        baseline: String,
        now: String,
    },
    #[error(
        "the baseline was measured on a different machine ({field}: baseline {baseline}, \
         now {now})"
    )]
    MachineMismatch {
        field: String,
        baseline: String,
        now: String,
    },
    #[error("bad workload: {0}")]
    BadWorkload(String),
    #[error("cannot create a temporary folder: {0}")]
    TempDir(std::io::Error),
    #[error("cannot make the workload clip {name}")]
    Clip {
        name: String,
        source: Box<VideoError>,
    },
    #[error("stage {stage}")]
    Stage {
        stage: String,
        source: Box<PipelineError>,
    },
    /// `--backend cuda` on a machine where the GPU path cannot start: what is missing.
    #[error("bench --backend cuda needs a CUDA GPU: {0}")]
    NoDevice(String),
    #[error("cannot write the made-up model {path}: {source}")]
    Synthetic {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl BenchReport {
    /// Reads a report written by `--json`, checking its schema tag.
    pub fn load(path: &Path) -> Result<Self, BenchError> {
        let text = std::fs::read_to_string(path).map_err(|source| BenchError::BaselineRead {
            path: path.to_path_buf(),
            source,
        })?;
        let format = |reason: String| BenchError::BaselineFormat {
            path: path.to_path_buf(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => serde_json::from_value(value).map_err(|e| format(e.to_string())),
            other => Err(format(format!("schema {other:?}, expected {SCHEMA:?}"))),
        }
    }

    /// A report with no stages yet, for checking a baseline before the work starts.
    pub fn empty(
        backend: Backend,
        settings: Settings,
        machine: Machine,
        workload: Workload,
    ) -> Self {
        BenchReport {
            schema: SCHEMA.into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            backend,
            settings,
            machine,
            workload,
            stages: Vec::new(),
            memory: Memory {
                host_peak_bytes: None,
                device_peak_bytes: None,
            },
            elapsed_s: 0.0,
            peak: None,
            nvenc: None,
            engines: Vec::new(),
        }
    }
}

/// Makes the clips in a temporary folder and runs every stage of `report.workload`, calling
/// `each` after each stage. A stage whose model or model runtime is absent is skipped.
pub fn run(
    mut report: BenchReport,
    mut each: impl FnMut(&StageResult),
) -> Result<BenchReport, BenchError> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("smoothscale-bench-")
        .tempdir()
        .map_err(BenchError::TempDir)?;
    let workload = report.workload.clone();
    let needs_models = workload
        .stages
        .iter()
        .any(|s| s.rife_model.is_some() || s.upscale_model.is_some());
    let runtime = if needs_models {
        crate::models::runtime::init().map_err(|e| e.to_string())
    } else {
        Ok(())
    };
    let cx = stages::Context {
        dir: dir.path(),
        workload: &workload,
        settings: report.settings,
        runtime,
    };
    let settings = workload.encode_settings();
    for clip in &workload.clips {
        clips::write_clip(&cx.clip_path(&clip.name), clip, &settings).map_err(|source| {
            BenchError::Clip {
                name: clip.name.clone(),
                source: Box::new(source),
            }
        })?;
    }
    // The stages reset the peak to measure their own: the whole run's is the largest of them all.
    let mut peak = peak_rss_bytes();
    for spec in &workload.stages {
        let result = stages::run(spec, &cx)?;
        peak = peak.max(result.host_peak_bytes);
        each(&result);
        report.stages.push(result);
    }
    report.memory.host_peak_bytes = peak;
    report.elapsed_s = started.elapsed().as_secs_f64();
    Ok(report)
}
