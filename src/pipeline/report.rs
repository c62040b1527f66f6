//! The machine-readable summary of a run (`--report FILE`).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Job;
use crate::timeline::Rational;
use crate::video::VideoInfo;

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
        }
    }

    /// Records how many pairs were scene cuts.
    pub(super) fn with_rife(mut self, cuts: usize, encoder_runs: usize) -> Self {
        self.scene_cuts = cuts;
        self.rife_encoder_runs = encoder_runs;
        self
    }
}
