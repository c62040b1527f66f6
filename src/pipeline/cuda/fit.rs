//! `--size` on the GPU: crop and pad by the tile kernels with the one-tile plans of
//! [`crate::pipeline::fit`] (the same plans the CPU applies with their host references), on the
//! encode stream before the frame is converted for NVENC. `--fit scale` has no GPU kernel yet: it
//! is refused, so `--backend auto` runs such a job on the CPU. Not yet run on a GPU.

use std::sync::Arc;

use cudarc::driver::CudaStream;
use ffmpeg_next as ff;

use super::encode::FrameWriter;
use super::streams::reading;
use super::GpuError;
use crate::cuda::device::{DeviceFrame, DeviceTiles, FrameLayout, Kernels, PixelFormat, TileBatch};
use crate::pipeline::fit::FitPlan;
use crate::pipeline::render::FrameSink;
use crate::pipeline::PipelineError;

/// Crop or pad on the device.
pub struct DeviceFit {
    kernels: Arc<Kernels>,
    stream: Arc<CudaStream>,
    plan: FitPlan,
    /// Set up for the first frame's format and size.
    ready: Option<Prepared>,
}

/// The device side of a fit for one frame format and size.
struct Prepared {
    input: (PixelFormat, usize, usize),
    extract: DeviceTiles,
    stitch: DeviceTiles,
    /// The one slot between the two kernels: the cropped window, or the frame to pad.
    slot: TileBatch,
    output: FrameLayout,
}

impl DeviceFit {
    /// The fit of `plan` on `stream`; `None` when the frames keep their size, an error (before
    /// any frame) for a fit the GPU does not do.
    pub fn new(
        kernels: &Arc<Kernels>,
        stream: &Arc<CudaStream>,
        plan: FitPlan,
    ) -> Result<Option<Self>, GpuError> {
        match plan {
            FitPlan::Keep => Ok(None),
            FitPlan::Scale { .. } => Err(GpuError::Unsupported(
                "--fit scale is not done on the GPU (use --fit crop or pad, or --backend cpu)"
                    .into(),
            )),
            FitPlan::Crop { .. } | FitPlan::Pad { .. } => Ok(Some(DeviceFit {
                kernels: kernels.clone(),
                stream: stream.clone(),
                plan,
                ready: None,
            })),
        }
    }

    /// The tiles, slot and output layout for `frame`'s format and size.
    fn prepare(&self, frame: &DeviceFrame) -> Result<Prepared, GpuError> {
        let layout = frame.layout();
        let input = (frame.format(), layout.width, layout.height);
        let size = (layout.width as u32, layout.height as u32);
        let (extract, stitch) = self
            .plan
            .tile_plans(size)
            .ok_or_else(|| GpuError::Unsupported("this fit on the GPU".into()))?;
        let (out_w, out_h) = self.plan.size(size.0, size.1);
        let stream = &self.stream;
        Ok(Prepared {
            input,
            slot: TileBatch::alloc_zeroed(
                stream,
                input.0,
                1,
                extract.slot_width,
                extract.slot_height,
            )?,
            extract: DeviceTiles::upload(stream, &extract)?,
            stitch: DeviceTiles::upload(stream, &stitch)?,
            output: FrameLayout::planar(input.0, out_w as usize, out_h as usize, 1)?,
        })
    }

    /// `frame` brought to the output size, in a new frame ready on the stream.
    pub fn apply(&mut self, frame: &DeviceFrame) -> Result<DeviceFrame, GpuError> {
        let layout = frame.layout();
        let input = (frame.format(), layout.width, layout.height);
        if self.ready.as_ref().is_none_or(|r| r.input != input) {
            self.ready = Some(self.prepare(frame)?);
        }
        let (Some(p), stream, kernels) = (&mut self.ready, &self.stream, &self.kernels) else {
            return Err(GpuError::Unsupported("the fit was not prepared".into()));
        };
        reading(&**stream, &[frame], || {
            kernels.tile_extract(stream, frame, &p.extract, &mut p.slot)
        })?;
        // Zeroed: the borders of a padded frame are black (RGB 0).
        let mut out = DeviceFrame::alloc_zeroed(stream, p.output)?;
        kernels.tile_stitch(stream, &p.slot, 1, &p.stitch, &mut out)?;
        out.record_ready(stream)?;
        Ok(out)
    }
}

/// The CUDA writer behind the fit, when there is one.
pub struct FittedWriter {
    pub writer: FrameWriter,
    pub fit: Option<DeviceFit>,
}

impl FrameSink<DeviceFrame> for FittedWriter {
    fn write(&mut self, frame: &DeviceFrame) -> Result<(), PipelineError> {
        match &mut self.fit {
            Some(fit) => {
                let fitted = fit.apply(frame)?;
                self.writer.write(&fitted)
            }
            None => self.writer.write(frame),
        }
    }

    fn copy_packet(&mut self, packet: ff::Packet) -> Result<(), PipelineError> {
        self.writer.copy_packet(packet)
    }

    fn finish(self) -> Result<u64, PipelineError> {
        self.writer.finish()
    }
}
