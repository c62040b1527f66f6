//! The CPU backend's stages: RIFE and the upscaler through ONNX Runtime on host frames, then the
//! software encoder.

use std::path::Path;

use ffmpeg_next as ff;

use super::fit::FitPlan;
use super::models::{Interpolator, Tiling, Upscaler};
use super::render::{FrameModels, FrameSink};
use super::tiles::{self, TileRequest};
use super::{limits, Estimate, ModelOptions, PipelineError};
use crate::frame::RgbFrame;
use crate::models::runtime::Cancel;
use crate::resample;
use crate::tiling::{extract_tiles, stitch_tiles};
use crate::video::Sink;

/// The CPU's models: RIFE and the upscaler, each optional.
pub struct CpuModels {
    pub interpolator: Option<Interpolator>,
    upscaler: Option<Upscaler>,
    /// Stops their running calls (`None` without models).
    cancel: Option<Cancel>,
}

impl CpuModels {
    pub fn new(models: &ModelOptions) -> Result<Self, PipelineError> {
        let mut interpolator = match &models.rife {
            Some(path) => Some(Interpolator::new(
                path,
                models.threads,
                models.cut_threshold,
            )?),
            None => None,
        };
        let mut upscaler = match &models.upscale {
            Some((factor, path)) => Some(Upscaler::new(
                path,
                *factor,
                Tiling::default(),
                models.threads,
            )?),
            None => None,
        };
        let cancel = if interpolator.is_some() || upscaler.is_some() {
            Some(Cancel::new()?)
        } else {
            None
        };
        if let Some(cancel) = &cancel {
            if let Some(i) = &mut interpolator {
                i.set_cancel(cancel.clone());
            }
            if let Some(u) = &mut upscaler {
                u.set_cancel(cancel.clone());
            }
        }
        Ok(CpuModels {
            interpolator,
            upscaler,
            cancel,
        })
    }

    /// What stops the models' running calls.
    pub fn cancel(&self) -> Option<Cancel> {
        self.cancel.clone()
    }

    /// The upscaler's tiling, once planned.
    pub fn tiling(&self) -> Option<Tiling> {
        self.upscaler.as_ref().map(Upscaler::tiling)
    }

    pub fn factor(&self) -> usize {
        self.upscaler.as_ref().map_or(1, Upscaler::factor)
    }

    /// Decides the upscaler's tiling for `width` x `height` frames of `input` (written as
    /// `output`-sized frames) from `request` and the memory limit, and returns what the job will
    /// then hold at once.
    pub fn plan(
        &mut self,
        input: &Path,
        ((width, height), output): ((u32, u32), (u32, u32)),
        request: TileRequest,
        max_memory: u64,
    ) -> Result<Estimate, PipelineError> {
        let size = (width as usize, height as usize);
        let output = u64::from(output.0) * u64::from(output.1);
        let mut estimate = self.estimate(size, output, &Tiling::default());
        if let Some(upscaler) = &self.upscaler {
            let fixed = estimate.frames + estimate.runtime;
            let budget = max_memory.saturating_sub(fixed);
            let call = |t: &Tiling| upscaler.working_bytes(size, t);
            let tiling = tiles::choose(request, size, call, budget).map_err(|e| {
                PipelineError::TooMuchMemory {
                    path: input.to_path_buf(),
                    estimate: Estimate {
                        model: e.smallest,
                        ..estimate
                    },
                    limit: max_memory,
                }
            })?;
            estimate = self.estimate(size, output, &tiling);
            if let Some(u) = &mut self.upscaler {
                u.set_tiling(tiling);
            }
            log_tiling(size, &tiling, &estimate);
        }
        if estimate.total() > max_memory {
            return Err(PipelineError::TooMuchMemory {
                path: input.to_path_buf(),
                estimate,
                limit: max_memory,
            });
        }
        Ok(estimate)
    }

    /// What rendering `width`x`height` source frames with `tiling` into frames of `output`
    /// pixels will hold at once: the runtime and the models' weights, two decoded frames and a
    /// blended one, the upscaled source and output frames (and the model's raw output when it is
    /// resized), the frame `--size` makes, the encoder's frames, and the larger model call.
    fn estimate(&self, (width, height): (usize, usize), output: u64, tiling: &Tiling) -> Estimate {
        let pixels = (width * height) as u64;
        let factor = self.factor() as u64;
        let blended = u64::from(self.interpolator.is_some());
        let mut frames = limits::frame_bytes(pixels) * (2 + blended)
            + limits::frame_bytes(output)
            + limits::encoder_bytes(output);
        let mut weights = 0;
        if let Some(u) = &self.upscaler {
            let native = u.native_scale() as u64;
            frames += limits::frame_bytes(pixels * factor * factor) * 2;
            if native != factor {
                frames += limits::frame_bytes(pixels * native * native);
            }
            weights += u.weight_bytes();
        }
        let rife = self.interpolator.as_ref().map_or(0, |i| {
            weights += i.weight_bytes();
            i.working_bytes(pixels)
        });
        let upscale = self
            .upscaler
            .as_ref()
            .map_or(0, |u| u.working_bytes((width, height), tiling));
        Estimate {
            runtime: limits::runtime_bytes(weights),
            frames,
            model: rife.max(upscale),
        }
    }
}

/// Says (at info level) how the upscaler cuts frames and what the job is estimated to hold.
fn log_tiling((width, height): (usize, usize), tiling: &Tiling, estimate: &Estimate) {
    let cut = if tiling.is_whole(width, height) {
        "whole frames".to_string()
    } else {
        format!(
            "tiles of {} px with {} px of context, {} per call",
            tiling.tile, tiling.pad, tiling.batch
        )
    };
    log::info!(
        "upscaling {width}x{height} in {cut}; estimated memory {} ({} runtime, {} frames, {} \
         per model call)",
        limits::gib(estimate.total()),
        limits::gib(estimate.runtime),
        limits::gib(estimate.frames),
        limits::gib(estimate.model)
    );
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

/// The software encoder's sink, behind `--size`'s fit.
pub struct FittedSink {
    pub sink: Sink,
    pub fit: FitPlan,
}

impl FrameSink<RgbFrame> for FittedSink {
    fn write(&mut self, frame: &RgbFrame) -> Result<(), PipelineError> {
        let (width, height) = (frame.width() as u32, frame.height() as u32);
        let fitted = match (self.fit, self.fit.tile_plans((width, height))) {
            (FitPlan::Keep, _) => return Ok(self.sink.write_frame(frame)?),
            (FitPlan::Scale { width, height }, _) => {
                Some(resample::lanczos3(frame, width as usize, height as usize))
            }
            (FitPlan::Crop { width, height, .. }, Some((extract, _))) => RgbFrame::from_chw(
                width as usize,
                height as usize,
                extract_tiles(&extract, frame.as_chw(), 3),
            ),
            (FitPlan::Pad { width, height, .. }, Some((_, stitch))) => RgbFrame::from_chw(
                width as usize,
                height as usize,
                stitch_tiles(&stitch, frame.as_chw(), 1, 3),
            ),
            _ => None,
        }
        .ok_or_else(|| PipelineError::ModelOutput("the fitted frame's size".into()))?;
        Ok(self.sink.write_frame(&fitted)?)
    }

    fn copy_packet(&mut self, packet: ff::Packet) -> Result<(), PipelineError> {
        Ok(self.sink.write_packet(packet)?)
    }

    fn finish(self) -> Result<u64, PipelineError> {
        Ok(self.sink.finish()?)
    }
}
