//! From planned output frames to written ones, the same on both backends: a source frame is
//! upscaled (once, since held frames repeat it) or passed on; a blended frame is interpolated
//! between its two source frames, then upscaled. The backends supply the models
//! ([`FrameModels`]) and where frames go ([`FrameSink`]).

use ffmpeg_next as ff;

use super::drive::Window2;
use super::PipelineError;
use crate::timeline::{Content, OutputFrame};

/// The model stages of a backend, on its frame type.
pub trait FrameModels {
    /// A frame in the backend's memory.
    type Frame;
    /// Whether an upscaler is configured.
    fn upscales(&self) -> bool;
    /// The upscaled `frame` (only called when [`FrameModels::upscales`]).
    fn upscale(&mut self, frame: &Self::Frame) -> Result<Self::Frame, PipelineError>;
    /// The frame at `t` in (0, 1) between source frames `a` and `b`, each with its source index;
    /// [`PipelineError::NoInterpolator`] for output frame `output` when there is no RIFE model.
    fn blend(
        &mut self,
        a: (usize, &Self::Frame),
        b: (usize, &Self::Frame),
        t: f32,
        output: u64,
    ) -> Result<Self::Frame, PipelineError>;
    /// With RIFE: the pairs found to be scene cuts and the feature encoder's runs.
    fn rife_counts(&self) -> Option<(usize, usize)>;
}

/// Where output frames and copied packets go.
pub trait FrameSink<F> {
    /// Encodes `frame` as the next output frame.
    fn write(&mut self, frame: &F) -> Result<(), PipelineError>;
    /// Writes a packet of a copied (audio) stream.
    fn copy_packet(&mut self, packet: ff::Packet) -> Result<(), PipelineError>;
    /// Flushes and closes the output; the number of frames written.
    fn finish(self) -> Result<u64, PipelineError>;
}

/// Renders output frames with `models`, keeping the last upscaled source frame.
pub struct Renderer<M: FrameModels> {
    pub models: M,
    last_source: Option<(usize, M::Frame)>,
}

impl<M: FrameModels> Renderer<M> {
    pub fn new(models: M) -> Self {
        Renderer {
            models,
            last_source: None,
        }
    }

    /// Makes output frame `out` from `frames` and writes it to `sink`.
    pub fn render(
        &mut self,
        out: &OutputFrame,
        frames: &Window2<M::Frame>,
        sink: &mut impl FrameSink<M::Frame>,
    ) -> Result<(), PipelineError> {
        match out.content {
            Content::Source(i) => {
                if !self.models.upscales() {
                    return sink.write(frames.get(i, out.index)?);
                }
                if self.last_source.as_ref().is_none_or(|(j, _)| *j != i) {
                    let upscaled = self.models.upscale(frames.get(i, out.index)?)?;
                    self.last_source = Some((i, upscaled));
                }
                match &self.last_source {
                    Some((_, frame)) => sink.write(frame),
                    None => Ok(()),
                }
            }
            Content::Blend { first, t } => {
                let (a, b) = (
                    frames.get(first, out.index)?,
                    frames.get(first + 1, out.index)?,
                );
                let blended =
                    self.models
                        .blend((first, a), (first + 1, b), t.to_f64() as f32, out.index)?;
                if self.models.upscales() {
                    sink.write(&self.models.upscale(&blended)?)
                } else {
                    sink.write(&blended)
                }
            }
        }
    }
}
