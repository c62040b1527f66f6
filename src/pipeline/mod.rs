//! One video, end to end: source → timeline → (model stages) → sink, written atomically.

mod report;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::frame::RgbFrame;
use crate::timeline::{Content, OutputFrame, RateMode, Rational, Timeline, TimelineError};
use crate::video::{
    self, EncodeSettings, Item, PartialFile, Sink, Source, VideoError, VideoFormat, Window,
};

pub use report::Report;

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
    #[error("output frame {0} needs frame interpolation, which this build cannot do yet")]
    NoInterpolator(u64),
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

    fn get(&self, index: usize) -> Option<&RgbFrame> {
        self.frames
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, f)| f)
    }
}

/// Runs `job`. The output appears at `job.output` only if everything succeeded.
pub fn run(job: &Job, progress: &dyn Progress, stop: &StopFlag) -> Result<Report, PipelineError> {
    let started = Instant::now();
    let container = video::container_for(&job.output)?;
    let partial = PartialFile::new(&job.output, &job.input, job.overwrite)?;
    let mut source = Source::open(&job.input, job.window)?;
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
                    write_all(&outputs, &frames, &mut sink, progress, stop)?;
                }
                Err(e) => log::warn!("{}: frame skipped: {e}", job.input.display()),
            },
        }
    }
    let end = source.end_time().unwrap_or(Rational::ZERO);
    let tail = timeline.finish(end);
    write_all(&tail, &frames, &mut sink, progress, stop)?;
    let written = sink.finish()?;
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
    sink: &mut Sink,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<(), PipelineError> {
    for out in outputs {
        check(stop)?;
        let rgb = match out.content {
            Content::Source(i) => frames.get(i).ok_or(PipelineError::MissingSource {
                index: out.index,
                source_index: i,
            })?,
            Content::Blend { .. } => return Err(PipelineError::NoInterpolator(out.index)),
        };
        sink.write_frame(rgb)?;
        progress.frame();
    }
    Ok(())
}
