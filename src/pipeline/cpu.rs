//! The CPU backend's stages: RIFE and the upscaler through ONNX Runtime on host frames, then the
//! software encoder.

use ffmpeg_next as ff;

use super::models::{Interpolator, Upscaler};
use super::render::{FrameModels, FrameSink};
use super::{limits, Estimate, ModelOptions, PipelineError};
use crate::frame::RgbFrame;
use crate::video::Sink;

/// The CPU's models: RIFE and the upscaler, each optional.
pub struct CpuModels {
    pub interpolator: Option<Interpolator>,
    upscaler: Option<Upscaler>,
}

impl CpuModels {
    pub fn new(models: &ModelOptions) -> Result<Self, PipelineError> {
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
        Ok(CpuModels {
            interpolator,
            upscaler,
        })
    }

    pub fn factor(&self) -> usize {
        self.upscaler.as_ref().map_or(1, Upscaler::factor)
    }

    /// What rendering `width`x`height` source frames will hold at once: two decoded frames, a
    /// blended one, the upscaled source and output frames, and the larger model call.
    pub fn estimate(&self, width: u32, height: u32) -> Estimate {
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
}

impl FrameModels for CpuModels {
    type Frame = RgbFrame;

    fn upscales(&self) -> bool {
        self.upscaler.is_some()
    }

    fn upscale(&mut self, frame: &RgbFrame) -> Result<RgbFrame, PipelineError> {
        match self.upscaler.as_mut() {
            Some(u) => u.upscale(frame),
            None => Ok(frame.clone()),
        }
    }

    fn blend(
        &mut self,
        a: (usize, &RgbFrame),
        b: (usize, &RgbFrame),
        t: f32,
        output: u64,
    ) -> Result<RgbFrame, PipelineError> {
        self.interpolator
            .as_mut()
            .ok_or(PipelineError::NoInterpolator(output))?
            .blend(a, b, t)
    }

    fn rife_counts(&self) -> Option<(usize, usize)> {
        self.interpolator
            .as_ref()
            .map(|i| (i.cuts, i.encoder_runs()))
    }
}

/// The software encoder's sink.
impl FrameSink<RgbFrame> for Sink {
    fn write(&mut self, frame: &RgbFrame) -> Result<(), PipelineError> {
        Ok(self.write_frame(frame)?)
    }

    fn copy_packet(&mut self, packet: ff::Packet) -> Result<(), PipelineError> {
        Ok(self.write_packet(packet)?)
    }

    fn finish(self) -> Result<u64, PipelineError> {
        Ok(Sink::finish(self)?)
    }
}
