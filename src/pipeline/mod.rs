//! One video, end to end: source → timeline → (model stages) → sink, written atomically.

pub mod cuda;
mod limits;
mod models;
mod report;
mod scene;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::frame::RgbFrame;
use crate::timeline::{Content, OutputFrame, RateMode, Rational, Timeline, TimelineError};
use crate::video::{
    self, EncodeSettings, Item, PartialFile, Sink, Source, VideoError, VideoFormat, Window,
};

pub use limits::{parse_size, BadLimit, Estimate, Limits, DEFAULT_MAX_PIXELS};
pub use models::{
    find_model, model_dirs, Interpolator, Tiling, Upscaler, RIFE_FILE, UPSCALE_2X_FILES,
    UPSCALE_4X_FILE,
};
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

/// The last two decoded source frames, by index.
#[derive(Default)]
struct Window2 {
    frames: Vec<(usize, RgbFrame)>,
}

impl Window2 {
    fn push(&mut self, index: usize, frame: RgbFrame) {
        if self.frames.len() == 2 {
            self.frames.remove(0);
        }
        self.frames.push((index, frame));
    }

    fn get(&self, index: usize, output: u64) -> Result<&RgbFrame, PipelineError> {
        self.frames
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, f)| f)
            .ok_or(PipelineError::MissingSource {
                index: output,
                source_index: index,
            })
    }
}

/// Makes output frames from planned contents: interpolation first, then upscaling. The last
/// upscaled source frame is kept, since held frames repeat it.
struct Renderer {
    interpolator: Option<Interpolator>,
    upscaler: Option<Upscaler>,
    last_source: Option<(usize, RgbFrame)>,
}

impl Renderer {
    fn new(models: &ModelOptions) -> Result<Self, PipelineError> {
        let interpolator = match &models.rife {
            Some(path) => Some(Interpolator::new(
                path,
                models.threads,
                models.cut_threshold,
            )?),
            None => None,
        };
        let upscaler = match &models.upscale {
            Some((factor, path)) => {
                Some(Upscaler::new(path, *factor, models.tiling, models.threads)?)
            }
            None => None,
        };
        Ok(Renderer {
            interpolator,
            upscaler,
            last_source: None,
        })
    }

    fn factor(&self) -> usize {
        self.upscaler.as_ref().map_or(1, Upscaler::factor)
    }

    /// What rendering `width`x`height` source frames will hold at once: two decoded frames, a
    /// blended one, the upscaled source and output frames, and the larger model call.
    fn estimate(&self, width: u32, height: u32) -> Estimate {
        let pixels = u64::from(width) * u64::from(height);
        let factor = self.factor() as u64;
        let blended = u64::from(self.interpolator.is_some());
        let upscaled = if self.upscaler.is_some() { 2 } else { 0 };
        let frames = limits::frame_bytes(pixels) * (2 + blended)
            + limits::frame_bytes(pixels * factor * factor) * upscaled;
        let rife = self
            .interpolator
            .as_ref()
            .map_or(0, |i| i.working_bytes(pixels));
        let upscale = self
            .upscaler
            .as_ref()
            .map_or(0, |u| u.working_bytes(width as usize, height as usize));
        Estimate {
            frames,
            model: rife.max(upscale),
        }
    }

    fn render(
        &mut self,
        out: &OutputFrame,
        frames: &Window2,
        sink: &mut Sink,
    ) -> Result<(), PipelineError> {
        match out.content {
            Content::Source(i) => {
                let Some(upscaler) = self.upscaler.as_mut() else {
                    return Ok(sink.write_frame(frames.get(i, out.index)?)?);
                };
                if self.last_source.as_ref().is_none_or(|(j, _)| *j != i) {
                    self.last_source = Some((i, upscaler.upscale(frames.get(i, out.index)?)?));
                }
                if let Some((_, frame)) = &self.last_source {
                    sink.write_frame(frame)?;
                }
                Ok(())
            }
            Content::Blend { first, t } => {
                let interpolator = self
                    .interpolator
                    .as_mut()
                    .ok_or(PipelineError::NoInterpolator(out.index))?;
                let (a, b) = (
                    frames.get(first, out.index)?,
                    frames.get(first + 1, out.index)?,
                );
                let blended = interpolator.blend((first, a), (first + 1, b), t.to_f64() as f32)?;
                let frame = match self.upscaler.as_mut() {
                    Some(u) => u.upscale(&blended)?,
                    None => blended,
                };
                Ok(sink.write_frame(&frame)?)
            }
        }
    }
}

/// Runs `job`. The output appears at `job.output` only if everything succeeded.
pub fn run(job: &Job, progress: &dyn Progress, stop: &StopFlag) -> Result<Report, PipelineError> {
    let started = Instant::now();
    let container = video::container_for(&job.output)?;
    let partial = PartialFile::new(&job.output, &job.input, job.overwrite)?;
    let mut source = Source::open_limited(&job.input, job.window, job.limits.max_frame_pixels)?;
    let info = *source.info();
    let mut timeline = Timeline::for_mode(job.rate, info.rate, info.tick)?;
    let codec = job.codec.unwrap_or(match info.codec {
        ffmpeg_next::codec::Id::HEVC => video::VideoCodec::Hevc,
        _ => video::VideoCodec::H264,
    });
    let layout = video::YuvLayout::of(info.pixel).unwrap_or(video::YuvLayout {
        shift: (1, 1),
        bits: 8,
    });
    let format = VideoFormat {
        width: info.width,
        height: info.height,
        layout,
        tags: info.tags,
        rate: timeline.rate(),
        sample_aspect: info.sample_aspect,
    };
    let settings = EncodeSettings {
        codec,
        crf: job.crf,
        preset: job.preset.clone(),
    };
    let mut renderer = Renderer::new(&job.models)?;
    let estimate = renderer.estimate(info.width, info.height);
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
    let format = VideoFormat {
        width: info.width * renderer.factor() as u32,
        height: info.height * renderer.factor() as u32,
        ..format
    };
    let mut sink = Sink::create(partial.path(), container, &source, format, &settings)?;
    progress.start(
        info.expected_duration
            .map(|d| (d * timeline.rate()).ceil().max(0) as u64),
    );
    log::info!(
        "{}: {}x{} {:?} at {} fps -> {} fps, {:?}",
        job.input.display(),
        info.width,
        info.height,
        info.pixel,
        info.rate,
        timeline.rate(),
        codec
    );

    let mut frames = Window2::default();
    let mut sources = 0usize;
    while let Some(item) = source.next_item()? {
        check(stop)?;
        match item {
            Item::Packet(packet) => sink.write_packet(packet)?,
            Item::Frame(frame) => match timeline.push(frame.time) {
                Ok(outputs) => {
                    frames.push(timeline.sources() - 1, frame.rgb);
                    sources += 1;
                    write_all(&outputs, &frames, &mut renderer, &mut sink, progress, stop)?;
                }
                Err(e) => log::warn!("{}: frame skipped: {e}", job.input.display()),
            },
        }
    }
    let end = source.end_time().unwrap_or(Rational::ZERO);
    let tail = timeline.finish(end);
    write_all(&tail, &frames, &mut renderer, &mut sink, progress, stop)?;
    let written = sink.finish()?;
    if let Some(i) = &renderer.interpolator {
        log::info!("{} pairs across scene cuts were not interpolated", i.cuts);
    }
    let output = partial.commit()?;
    Ok(Report::new(
        job,
        output,
        &info,
        sources,
        written,
        timeline.rate(),
        end,
        started.elapsed(),
    )
    .with_rife(
        renderer.interpolator.as_ref().map_or(0, |i| i.cuts),
        renderer
            .interpolator
            .as_ref()
            .map_or(0, Interpolator::encoder_runs),
    ))
}

fn check(stop: &StopFlag) -> Result<(), PipelineError> {
    match stop.load(Ordering::Relaxed) {
        0 => Ok(()),
        signal => Err(PipelineError::Interrupted(signal)),
    }
}

fn write_all(
    outputs: &[OutputFrame],
    frames: &Window2,
    renderer: &mut Renderer,
    sink: &mut Sink,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<(), PipelineError> {
    for out in outputs {
        check(stop)?;
        renderer.render(out, frames, sink)?;
        progress.frame();
    }
    Ok(())
}
