//! One video, end to end: source → timeline → (model stages) → sink, written atomically. The
//! loop (`drive`), the output plan and the rendering of planned frames (`render`) are shared;
//! the models and the sink are the CPU's (`cpu`) or the CUDA backend's ([`cuda`]).

mod cpu;
pub mod cuda;
mod drive;
mod fallback;
pub mod fit;
mod interrupt;
mod limits;
mod models;
mod render;
mod report;
mod scene;
pub mod tiles;

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
pub use tiles::{TileRequest, TileSize};

/// The model stages of a job.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// RIFE checkpoint, required when the rate mode interpolates.
    pub rife: Option<PathBuf>,
    /// Upscaling factor and model.
    pub upscale: Option<(usize, PathBuf)>,
    /// How the upscaler cuts frames (`--tile`, `--tile-pad`).
    pub tiles: TileRequest,
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
    /// `--size`: an exact output size after the models (`None`: the models' size).
    pub size: Option<fit::OutputSize>,
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
    /// Run the job on the CPU when the CUDA pipeline fails before its first output frame
    /// (`--backend auto`; never with `--backend cuda`).
    pub fallback_to_cpu: bool,
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
        "{}: this job would hold about {} ({} runtime, {} of frames, {} in one model call), \
         over the memory limit of {}; raise --max-memory (or SMOOTHSCALE_MAX_MEMORY), or \
         upscale in smaller tiles (--tile 128)",
        path.display(),
        limits::gib(estimate.total()),
        limits::gib(estimate.runtime),
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
    /// `--size` cannot be reached by `--fit` (a usage error).
    #[error(transparent)]
    Fit(#[from] fit::FitError),
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
/// A CUDA run that `--backend auto` chose and that fails before its first output frame is run
/// again on the CPU, after one warning saying why.
pub fn run(job: &Job, progress: &dyn Progress, stop: &StopFlag) -> Result<Report, PipelineError> {
    let Some(gpu) = &job.gpu else {
        return run_on_cpu(job, progress, stop);
    };
    let counted = fallback::Counted::new(progress);
    match cuda::run(job, gpu, &counted, stop) {
        Err(e) if fallback::to_cpu(gpu.fallback_to_cpu, counted.frames(), &e) => {
            log::warn!("the CUDA pipeline failed before its first frame ({e}); running on the CPU");
            run_on_cpu(job, progress, stop)
        }
        result => result,
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
    let mut models = cpu::CpuModels::new(&job.models)?;
    let (fit, format) = plan.fitted(models.factor(), job.size)?;
    let sizes = ((info.width, info.height), (format.width, format.height));
    let estimate = models.plan(&job.input, sizes, job.models.tiles, job.limits.max_memory)?;
    let tiling = models.tiling().map(|t| report::TilingReport {
        tile: if t.is_whole(info.width as usize, info.height as usize) {
            0
        } else {
            t.tile
        },
        pad: t.pad,
        batch: t.batch,
    });
    let sink = cpu::FittedSink {
        sink: Sink::create(
            partial.path(),
            plan.container,
            video::Copies::of(&source),
            format,
            &settings,
        )?,
        fit,
    };
    let cancel = models.cancel();
    let report = interrupt::cancelling(stop, cancel, || {
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
    })?;
    Ok(report.with_memory(estimate.total(), tiling))
}
