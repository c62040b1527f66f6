//! One video, end to end: source → timeline → (model stages) → sink, written atomically. The
//! loop (`drive`), the output plan and the rendering of planned frames (`render`) are shared;
//! the models and the sink are the CPU's (`cpu`) or the CUDA backend's ([`cuda`]).

mod cpu;
pub mod cuda;
mod drive;
mod limits;
mod models;
mod render;
mod report;
mod scene;

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use crate::timeline::{RateMode, TimelineError};
use crate::video::{self, EncodeSettings, PartialFile, Sink, Source, VideoError, Window};

pub use limits::{parse_size, BadLimit, Estimate, Limits, DEFAULT_MAX_PIXELS};
pub use models::{
    find_model, model_dirs, Interpolator, Tiling, Upscaler, RIFE_FILE, UPSCALE_2X_FILES,
    UPSCALE_4X_FILE,
};
pub use render::FrameSink;
pub use report::Report;
pub use scene::difference as scene_difference;

/// The model stages of a job.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// RIFE checkpoint, required when the rate mode interpolates.
    pub rife: Option<PathBuf>,
    /// Upscaling factor and model.
    pub upscale: Option<(usize, PathBuf)>,
    /// How the upscaler cuts frames.
    pub tiling: Tiling,
    /// Scene-cut threshold (see [`scene_difference`]); `None` interpolates every pair.
    pub cut_threshold: Option<f32>,
    /// CPU threads for the models (0: one per core).
    pub threads: usize,
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub input: PathBuf,
    pub output: PathBuf,
    pub rate: RateMode,
    pub window: Window,
    /// Encoder settings; the codec defaults to the input's when it is H.264 or HEVC.
    pub codec: Option<video::VideoCodec>,
    pub crf: u8,
    pub preset: String,
    pub overwrite: bool,
    pub models: ModelOptions,
    /// Memory and frame-size bounds.
    pub limits: Limits,
    /// Run on the CUDA backend with these options (`None`: the CPU).
    pub gpu: Option<GpuOptions>,
}

/// Options of the CUDA backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuOptions {
    /// NVENC constant quality (1–51).
    pub cq: u8,
    /// Build missing or outdated TensorRT engines (`false`: stop naming the command instead).
    pub build_engines: bool,
    /// How the upscaler's engine is built (fp16 by default; fp8 with a calibration). RIFE's
    /// engines are always the default, fp16.
    pub upscale_engine: crate::tensorrt::spec::BuildOptions,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error("{0}")]
    Timeline(#[from] TimelineError),
    #[error("output frame {index} needs source frame {source_index}, which was not decoded")]
    MissingSource { index: u64, source_index: usize },
    #[error("output frame {0} needs frame interpolation, but no RIFE model was given")]
    NoInterpolator(u64),
    #[error(transparent)]
    Model(#[from] crate::models::runtime::RuntimeError),
    #[error(
        "no {what} model found (looked for {looked}); pass its file or run scripts/fetch-models"
    )]
    NoModel { what: &'static str, looked: String },
    #[error("{} is not {}", .0.display(), .1)]
    WrongModel(PathBuf, &'static str),
    #[error("{}: the model scales by {native}, which cannot give {wanted}x", path.display())]
    WrongScale {
        path: PathBuf,
        native: usize,
        wanted: usize,
    },
    #[error("a model returned a bad output: {0}")]
    ModelOutput(String),
    #[error(
        "{}: this job would hold about {} ({} of frames, {} in one model call), over the \
         memory limit of {}; use tiles (--tile 256) or raise --max-memory",
        path.display(),
        limits::gib(estimate.total()),
        limits::gib(estimate.frames),
        limits::gib(estimate.model),
        limits::gib(*limit)
    )]
    TooMuchMemory {
        path: PathBuf,
        estimate: Estimate,
        limit: u64,
    },
    #[error("interrupted by signal {0}")]
    Interrupted(usize),
    #[error("--backend cuda: {0}")]
    Gpu(#[from] cuda::GpuError),
}

/// Progress callbacks, so the library does not draw.
pub trait Progress {
    /// The expected number of output frames, once known.
    fn start(&self, expected_frames: Option<u64>);
    /// One more output frame written.
    fn frame(&self);
}

/// Set to a signal number (by a signal handler) to stop the run at the next frame.
pub type StopFlag = AtomicUsize;

/// Runs `job` on its backend. The output appears at `job.output` only if everything succeeded.
pub fn run(job: &Job, progress: &dyn Progress, stop: &StopFlag) -> Result<Report, PipelineError> {
    match &job.gpu {
        Some(gpu) => cuda::run(job, gpu, progress, stop),
        None => run_on_cpu(job, progress, stop),
    }
}

fn run_on_cpu(
    job: &Job,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<Report, PipelineError> {
    let started = Instant::now();
    let partial = PartialFile::new(&job.output, &job.input, job.overwrite)?;
    let source = Source::open_limited(&job.input, job.window, job.limits.max_frame_pixels)?;
    let info = *source.info();
    let plan = drive::OutputPlan::new(job, &info)?;
    let settings = EncodeSettings {
        codec: plan.codec,
        crf: job.crf,
        preset: job.preset.clone(),
    };
    let models = cpu::CpuModels::new(&job.models)?;
    let estimate = models.estimate(info.width, info.height);
    log::debug!(
        "estimated working memory: {} of frames, {} per model call",
        limits::gib(estimate.frames),
        limits::gib(estimate.model)
    );
    if estimate.total() > job.limits.max_memory {
        return Err(PipelineError::TooMuchMemory {
            path: job.input.clone(),
            estimate,
            limit: job.limits.max_memory,
        });
    }
    let format = plan.scaled(models.factor());
    let sink = Sink::create(
        partial.path(),
        plan.container,
        video::Copies::of(&source),
        format,
        &settings,
    )?;
    drive::complete(
        job,
        source,
        plan,
        (models, sink),
        partial,
        progress,
        stop,
        started,
    )
}
