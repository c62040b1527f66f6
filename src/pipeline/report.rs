//! The machine-readable summary of a run (`--report FILE`).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Job;
use crate::timeline::Rational;
use crate::video::VideoInfo;

/// The process's peak resident set so far (`VmHWM` of /proc/self/status), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What a run did, as written to `--report`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool_version: &'static str,
    pub input: PathBuf,
    pub output: PathBuf,
    pub backend: &'static str,
    pub width: u32,
    pub height: u32,
    pub input_fps: String,
    pub output_fps: String,
    pub source_frames: usize,
    pub output_frames: u64,
    /// Pairs across a scene cut, repeated instead of interpolated.
    pub scene_cuts: usize,
    /// Runs of RIFE's feature encoder: one per source frame that takes part in a pair.
    pub rife_encoder_runs: usize,
    pub duration_s: f64,
    pub elapsed_s: f64,
    pub output_frames_per_s: f64,
    /// How the upscaler cut frames (`tile` 0: whole frames), where one ran on the CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiling: Option<TilingReport>,
    /// What the CPU run was estimated to hold at once (its memory check), in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_memory_bytes: Option<u64>,
    /// The process's peak resident memory when the run ended (Linux `VmHWM`), in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
}

/// The upscaler's tiling, as decided for the run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TilingReport {
    pub tile: usize,
    pub pad: usize,
    pub batch: usize,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        job: &Job,
        output: PathBuf,
        info: &VideoInfo,
        source_frames: usize,
        output_frames: u64,
        rate: Rational,
        duration: Rational,
        elapsed: Duration,
    ) -> Self {
        let secs = elapsed.as_secs_f64();
        Report {
            tool_version: env!("CARGO_PKG_VERSION"),
            input: job.input.clone(),
            output,
            backend: "cpu",
            width: info.width,
            height: info.height,
            input_fps: info.rate.to_string(),
            output_fps: rate.to_string(),
            source_frames,
            output_frames,
            scene_cuts: 0,
            rife_encoder_runs: 0,
            duration_s: duration.to_f64(),
            elapsed_s: secs,
            output_frames_per_s: if secs > 0.0 {
                output_frames as f64 / secs
            } else {
                0.0
            },
            tiling: None,
            estimated_memory_bytes: None,
            peak_rss_bytes: peak_rss(),
        }
    }

    /// Records the CPU run's memory estimate and the upscaler's tiling.
    pub(super) fn with_memory(mut self, estimate: u64, tiling: Option<TilingReport>) -> Self {
        self.estimated_memory_bytes = Some(estimate);
        self.tiling = tiling;
        self
    }

    /// Records how many pairs were scene cuts.
    pub(super) fn with_rife(mut self, cuts: usize, encoder_runs: usize) -> Self {
        self.scene_cuts = cuts;
        self.rife_encoder_runs = encoder_runs;
        self
    }
}
