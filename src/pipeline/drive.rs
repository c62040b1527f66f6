//! The run loop both backends share: source items through the timeline to the renderer, copied
//! packets straight to the output, the stop flag checked between frames. What differs between the
//! CPU and the CUDA path is only the frame type, the models and the sink.

use std::path::Path;
use std::sync::atomic::Ordering;

use ffmpeg_next as ff;

use std::time::Instant;

use super::fit::{self, FitPlan, OutputSize};
use super::render::{FrameModels, FrameSink, Renderer};
use super::{Job, PipelineError, Progress, Report, StopFlag};
use crate::timeline::{Rational, Timeline};
use crate::video::{self, Item, PartialFile, Source, VideoDecoder, VideoFormat, VideoInfo};

/// The last two decoded source frames, by index.
pub struct Window2<F> {
    frames: Vec<(usize, F)>,
}

impl<F> Default for Window2<F> {
    fn default() -> Self {
        Window2 { frames: Vec::new() }
    }
}

impl<F> Window2<F> {
    pub fn push(&mut self, index: usize, frame: F) {
        if self.frames.len() == 2 {
            self.frames.remove(0);
        }
        self.frames.push((index, frame));
    }

    /// Source frame `index`, needed by output frame `output`.
    pub fn get(&self, index: usize, output: u64) -> Result<&F, PipelineError> {
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

/// What both backends do once their source, models and sink are open: the loop to the end, the
/// output committed, the report.
#[allow(clippy::too_many_arguments)]
pub fn complete<D, M, S>(
    job: &Job,
    mut source: Source<D>,
    mut plan: OutputPlan,
    (models, mut sink): (M, S),
    partial: PartialFile,
    progress: &dyn Progress,
    stop: &StopFlag,
    started: Instant,
) -> Result<Report, PipelineError>
where
    D: VideoDecoder,
    M: FrameModels<Frame = D::Frame>,
    S: FrameSink<D::Frame>,
{
    let info = *source.info();
    progress.start(plan.expected_frames(&info));
    plan.log(&job.input, &info);
    let mut renderer = Renderer::new(models);
    let driven = drive(
        &job.input,
        &mut source,
        &mut plan.timeline,
        (&mut renderer, &mut sink),
        progress,
        stop,
    )?;
    let written = sink.finish()?;
    let rife = renderer.models.rife_counts();
    if let Some((cuts, _)) = rife {
        log::info!("{cuts} pairs across scene cuts were not interpolated");
    }
    let output = partial.commit()?;
    let (cuts, encoder_runs) = rife.unwrap_or((0, 0));
    Ok(Report::new(
        job,
        output,
        &info,
        driven.sources,
        written,
        plan.timeline.rate(),
        driven.end,
        started.elapsed(),
    )
    .with_rife(cuts, encoder_runs))
}

/// What a finished loop saw.
pub struct Driven {
    /// Source frames decoded in the window.
    pub sources: usize,
    /// End of the processed part on the output clock.
    pub end: Rational,
}

/// Decodes `source` to its end, rendering every output frame the timeline plans.
pub fn drive<D, M, S>(
    input: &Path,
    source: &mut Source<D>,
    timeline: &mut Timeline,
    (renderer, sink): (&mut Renderer<M>, &mut S),
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<Driven, PipelineError>
where
    D: VideoDecoder,
    M: FrameModels<Frame = D::Frame>,
    S: FrameSink<D::Frame>,
{
    let mut frames = Window2::default();
    let mut sources = 0usize;
    while let Some(item) = source.next_item()? {
        check(stop)?;
        match item {
            Item::Packet(packet) => sink.copy_packet(packet)?,
            Item::Frame(frame) => match timeline.push(frame.time) {
                Ok(outputs) => {
                    frames.push(timeline.sources() - 1, frame.rgb);
                    sources += 1;
                    for out in &outputs {
                        check(stop)?;
                        renderer.render(out, &frames, sink)?;
                        progress.frame();
                    }
                }
                Err(e) => log::warn!("{}: frame skipped: {e}", input.display()),
            },
        }
    }
    let end = source.end_time().unwrap_or(Rational::ZERO);
    let tail = timeline.finish(end);
    for out in &tail {
        check(stop)?;
        renderer.render(out, &frames, sink)?;
        progress.frame();
    }
    Ok(Driven { sources, end })
}

pub fn check(stop: &StopFlag) -> Result<(), PipelineError> {
    match stop.load(Ordering::Relaxed) {
        0 => Ok(()),
        signal => Err(PipelineError::Interrupted(signal)),
    }
}

/// The output both backends write for a source: its timeline, codec and format (before any
/// upscaling), decided the same way.
pub struct OutputPlan {
    pub container: &'static str,
    pub timeline: Timeline,
    pub codec: video::VideoCodec,
    pub format: VideoFormat,
}

impl OutputPlan {
    pub fn new(job: &super::Job, info: &VideoInfo) -> Result<Self, PipelineError> {
        let container = video::container_for(&job.output)?;
        let timeline = Timeline::for_mode(job.rate, info.rate, info.tick)?;
        let codec = job.codec.unwrap_or(match info.codec {
            ff::codec::Id::HEVC => video::VideoCodec::Hevc,
            _ => video::VideoCodec::H264,
        });
        let layout = video::YuvLayout::of(info.pixel).unwrap_or(video::YuvLayout {
            shift: (1, 1),
            bits: info.tags.encoding.bits.max(8),
        });
        let format = VideoFormat {
            width: info.width,
            height: info.height,
            layout,
            tags: info.tags,
            rate: timeline.rate(),
            sample_aspect: info.sample_aspect,
        };
        Ok(OutputPlan {
            container,
            timeline,
            codec,
            format,
        })
    }

    /// The format scaled by `factor`.
    pub fn scaled(&self, factor: usize) -> VideoFormat {
        VideoFormat {
            width: self.format.width * factor as u32,
            height: self.format.height * factor as u32,
            ..self.format
        }
    }

    /// The output format after the models (`factor`) and `--size`, and the fit that gives it.
    pub fn fitted(
        &self,
        factor: usize,
        size: Option<OutputSize>,
    ) -> Result<(FitPlan, VideoFormat), PipelineError> {
        let scaled = self.scaled(factor);
        let Some(size) = size else {
            return Ok((FitPlan::Keep, scaled));
        };
        let models_size = (scaled.width, scaled.height);
        let plan = fit::plan(size, models_size, scaled.layout.shift)?;
        let (width, height) = plan.size(scaled.width, scaled.height);
        if plan != FitPlan::Keep {
            log::info!(
                "{}x{} frames after the models, {} to {width}x{height}",
                scaled.width,
                scaled.height,
                size.fit.name()
            );
        }
        Ok((
            plan,
            VideoFormat {
                width,
                height,
                sample_aspect: fit::sample_aspect(&plan, models_size, scaled.sample_aspect),
                ..scaled
            },
        ))
    }

    /// The expected number of output frames, for progress.
    pub fn expected_frames(&self, info: &VideoInfo) -> Option<u64> {
        info.expected_duration
            .map(|d| (d * self.timeline.rate()).ceil().max(0) as u64)
    }

    /// Logs what the run does.
    pub fn log(&self, input: &Path, info: &VideoInfo) {
        log::info!(
            "{}: {}x{} {:?} at {} fps -> {} fps, {:?}",
            input.display(),
            info.width,
            info.height,
            info.pixel,
            info.rate,
            self.timeline.rate(),
            self.codec
        );
    }
}
