//! Running and timing one stage of the workload: warm-up runs, then timed runs, their median.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clips::{clip_frames, encode_frames, pattern_frame};
use super::figures::GpuFigures;
use super::machine::{peak_rss_bytes, reset_peak_rss};
use super::measure::measure;
use super::workload::{ClipSpec, StageKind, StageSpec, Workload};
use super::{BenchError, Settings};
use crate::pipeline::{self, Interpolator, ModelOptions, PipelineError, Tiling, Upscaler};
use crate::timeline::RateMode;
use crate::video::{Item, Source, Window};

/// Whether a stage ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Measured,
    /// Its model or the model runtime is not installed (see `reason`).
    Skipped,
    /// It failed (CUDA runs go on with the next stage and exit 1 at the end; see `reason`).
    Failed,
}

/// What one stage measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    pub name: String,
    pub status: StageStatus,
    /// Why a stage was skipped.
    pub reason: Option<String>,
    /// Output frames of one run.
    pub frames: u64,
    /// Seconds of each timed run (after the warm-up runs).
    pub runs_s: Vec<f64>,
    pub median_s: Option<f64>,
    /// Median seconds per output frame: what a baseline comparison looks at.
    pub per_frame_s: Option<f64>,
    pub frames_per_s: Option<f64>,
    /// Peak resident set of the process during the stage (model loading included).
    pub host_peak_bytes: Option<u64>,
    /// Device memory in use at the end of the stage (`null` on the CPU): engines, buffers and
    /// what the memory pool keeps of freed frames, so close to the stage's peak.
    pub device_peak_bytes: Option<u64>,
    /// The roofline figures of a CUDA stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuFigures>,
}

impl StageResult {
    pub(super) fn skipped(name: &str, reason: String) -> Self {
        Self::not_measured(name, StageStatus::Skipped, reason)
    }

    /// A stage that failed, with its error and causes on one line.
    pub(super) fn failed(name: &str, error: &dyn std::error::Error) -> Self {
        let mut reason = error.to_string();
        let mut cause = error.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !reason.contains(&text) {
                reason = format!("{reason}: {text}");
            }
            cause = c.source();
        }
        Self::not_measured(name, StageStatus::Failed, reason.replace('\n', " "))
    }

    fn not_measured(name: &str, status: StageStatus, reason: String) -> Self {
        StageResult {
            name: name.into(),
            status,
            reason: Some(reason),
            frames: 0,
            runs_s: Vec::new(),
            median_s: None,
            per_frame_s: None,
            frames_per_s: None,
            host_peak_bytes: None,
            device_peak_bytes: None,
            gpu: None,
        }
    }
}

/// What the stages share: the folder of the clips and outputs, the settings, and whether the
/// model runtime loaded.
pub(super) struct Context<'a> {
    pub dir: &'a Path,
    pub workload: &'a Workload,
    pub settings: Settings,
    /// `Err(reason)` when the ONNX Runtime library could not be loaded.
    pub runtime: Result<(), String>,
}

impl Context<'_> {
    pub fn clip_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("clip-{name}.mp4"))
    }

    /// The `what` model file of `relative`, or the reason the stage is skipped.
    fn model(&self, relative: &str, what: &'static str) -> Result<PathBuf, String> {
        self.runtime.clone()?;
        pipeline::find_model(None, &[relative], what).map_err(|e| e.to_string())
    }
}

/// Runs one stage; a missing model or runtime gives a skipped result, any other failure an error.
pub(super) fn run(spec: &StageSpec, cx: &Context<'_>) -> Result<StageResult, BenchError> {
    let mut paths = Vec::new();
    let models = [
        (spec.rife_model.as_deref(), "RIFE"),
        (spec.upscale_model.as_deref(), "upscaling"),
    ];
    for (model, what) in models {
        match model.map(|m| cx.model(m, what)).transpose() {
            Ok(path) => paths.push(path),
            Err(reason) => return Ok(StageResult::skipped(&spec.name, reason)),
        }
    }
    let (rife, upscaler) = (paths[0].take(), paths[1].take());
    let bad = |what: &str| BenchError::BadWorkload(format!("stage {} has no {what}", spec.name));
    let clip = || {
        spec.clip
            .as_deref()
            .and_then(|c| cx.workload.clip(c))
            .ok_or_else(|| bad("known clip"))
    };
    reset_peak_rss();
    let result = match spec.kind {
        StageKind::Decode => decode(spec, clip()?, cx),
        StageKind::Encode => encode(spec, clip()?, cx),
        StageKind::Interpolate => interpolate(spec, cx, &rife.ok_or_else(|| bad("RIFE model"))?),
        StageKind::Upscale => upscale(spec, cx, &upscaler.ok_or_else(|| bad("upscaler"))?),
        StageKind::EndToEnd => end_to_end(spec, clip()?, cx, rife, upscaler),
        StageKind::Kernel => return Err(bad("CPU form (kernel stages are CUDA only)")),
    };
    let mut result = result.map_err(|source| BenchError::Stage {
        stage: spec.name.clone(),
        source: Box::new(source),
    })?;
    result.host_peak_bytes = peak_rss_bytes();
    Ok(result)
}

fn decode(
    spec: &StageSpec,
    clip: &ClipSpec,
    cx: &Context<'_>,
) -> Result<StageResult, PipelineError> {
    let path = cx.clip_path(&clip.name);
    measure(&spec.name, cx.settings, || {
        let mut source = Source::open(&path, Window::default())?;
        let mut frames = 0;
        while let Some(item) = source.next_item()? {
            if let Item::Frame(f) = item {
                std::hint::black_box(&f.rgb);
                frames += 1;
            }
        }
        Ok(frames)
    })
}

fn encode(
    spec: &StageSpec,
    clip: &ClipSpec,
    cx: &Context<'_>,
) -> Result<StageResult, PipelineError> {
    let frames = clip_frames(clip);
    let settings = cx.workload.encode_settings();
    let out = cx.dir.join("encode.mp4");
    measure(&spec.name, cx.settings, || {
        Ok(encode_frames(&out, clip, &frames, &settings)?)
    })
}

fn interpolate(
    spec: &StageSpec,
    cx: &Context<'_>,
    model: &Path,
) -> Result<StageResult, PipelineError> {
    let mut rife = Interpolator::new(model, cx.workload.threads, None)?;
    let (w, h) = (spec.width as usize, spec.height as usize);
    let (a, b) = (pattern_frame(w, h, 0), pattern_frame(w, h, 1));
    // The steady state of 2x: each call brings one new source frame (encoded once) and reuses
    // the other's features.
    let mut index = 0;
    measure(&spec.name, cx.settings, || {
        let (first, second) = if index % 2 == 0 { (&a, &b) } else { (&b, &a) };
        std::hint::black_box(rife.blend((index, first), (index + 1, second), 0.5)?);
        index += 1;
        Ok(1)
    })
}

fn upscale(spec: &StageSpec, cx: &Context<'_>, model: &Path) -> Result<StageResult, PipelineError> {
    let factor = spec.upscale.unwrap_or(4) as usize;
    let mut upscaler = Upscaler::new(model, factor, Tiling::default(), cx.workload.threads)?;
    let frame = pattern_frame(spec.width as usize, spec.height as usize, 0);
    measure(&spec.name, cx.settings, || {
        std::hint::black_box(upscaler.upscale(&frame)?);
        Ok(1)
    })
}

pub(super) struct Silent;

impl pipeline::Progress for Silent {
    fn start(&self, _: Option<u64>) {}
    fn frame(&self) {}
}

fn end_to_end(
    spec: &StageSpec,
    clip: &ClipSpec,
    cx: &Context<'_>,
    rife: Option<PathBuf>,
    upscaler: Option<PathBuf>,
) -> Result<StageResult, PipelineError> {
    let job = cx.workload.job(
        cx.clip_path(&clip.name),
        cx.dir.join(format!("{}.mp4", spec.name)),
        spec.interpolate.map_or(RateMode::Keep, RateMode::Multiply),
        ModelOptions {
            rife,
            upscale: spec
                .upscale
                .zip(upscaler)
                .map(|(factor, path)| (factor as usize, path)),
            tiles: pipeline::TileRequest::default(),
            cut_threshold: None,
            threads: cx.workload.threads,
        },
        None,
    );
    let stop = pipeline::StopFlag::new(0);
    measure(&spec.name, cx.settings, || {
        Ok(pipeline::run(&job, &Silent, &stop)?.output_frames)
    })
}
