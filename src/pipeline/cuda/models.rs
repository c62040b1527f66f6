//! The CUDA backend's models behind the shared renderer: RIFE and the upscaler on TensorRT
//! (`interpolate`, `upscale`), on the model stream: it waits on the device for the decoded frames
//! it reads (their ready events), and each output frame is allocated on it and carries its own
//! ready event for the encode stream (see `streams`). Scene cuts are measured
//! as the CPU path measures them: BT.709 full-range 16-bit luma of the RGB frames (our RGB → P016
//! kernel), 4×4 cell means compared by the scene kernel.

use std::path::Path;
use std::sync::Arc;

use cudarc::driver::CudaStream;

use super::budget::{Buffers, DeviceMemoryError, DeviceNeeds};
use super::engines::read_model;
use super::engines::EngineEvent;
use super::interpolate::GpuInterpolator;
use super::streams::{reading, Reading};
use super::upscale::GpuUpscaler;
use super::GpuError;
use crate::colour::{Encoding, Matrix, Range, Siting};
use crate::cuda::device::{DeviceFrame, FrameLayout, Kernels, PixelFormat};
use crate::pipeline::render::FrameModels;
use crate::pipeline::tiles::{self, TileRequest};
use crate::pipeline::{limits, GpuOptions, ModelOptions, PipelineError, Tiling};
use crate::tensorrt::builder::Toolchain;
use crate::tensorrt::spec::BuildOptions;

/// RIFE and the upscaler on the device, each optional.
pub struct GpuModels {
    kernels: Arc<Kernels>,
    stream: Arc<CudaStream>,
    pub interpolator: Option<GpuInterpolator>,
    upscaler: Option<GpuUpscaler>,
    /// The luma of the last source frames measured, by index.
    luma: Vec<(usize, DeviceFrame)>,
    /// The pair whose cut metric the interpolator holds.
    measured: Option<(usize, usize)>,
    /// The layout decoded frames must have.
    input: FrameLayout,
}

/// The scene metric's luma: BT.709, full range, 16 bits, as `pipeline::scene` computes it.
const SCENE_LUMA: Encoding = Encoding {
    matrix: Matrix::Bt709,
    range: Range::Full,
    bits: 16,
};

/// The layout decoded frames need: RIFE's (padded to 64) when interpolating, else unpadded (the
/// upscaler takes any planar frame of the size).
pub fn input_layout(
    (width, height): (usize, usize),
    rife: Option<FrameLayout>,
) -> Result<FrameLayout, GpuError> {
    match rife {
        Some(layout) => Ok(layout),
        None => Ok(FrameLayout::planar(PixelFormat::RgbF32, width, height, 1)?),
    }
}

/// The upscaler's tiling on the GPU: `request` decided against `budget` bytes per engine call,
/// with TensorRT's fp16 activations counted at half the CPU's f32 estimate per pixel. An
/// estimate before the engine exists; the run checks the engine's real scratch size afterwards
/// (`budget::DeviceNeeds::check`).
fn gpu_tiling(
    request: TileRequest,
    model: &Path,
    (width, height): (usize, usize),
    budget: u64,
) -> Result<Tiling, GpuError> {
    let architecture = read_model(model)?.architecture;
    let per_pixel = limits::model_bytes_per_pixel(&architecture) / 2;
    let call = |t: &Tiling| per_pixel * t.call_pixels(width, height);
    let tiling =
        tiles::choose(request, (width, height), call, budget).map_err(|e| DeviceMemoryError {
            need: e.smallest,
            parts: format!("an upscaler call of {}", limits::gib(e.smallest)),
            limit: budget,
            reason: format!(
                "even {}-pixel tiles are over the {} the GPU and --max-memory leave",
                tiles::MIN_AUTO_TILE,
                limits::gib(budget)
            ),
        })?;
    if tiling.is_whole(width, height) {
        log::info!("upscaling {width}x{height} whole frames on the GPU");
    } else {
        log::info!(
            "upscaling {width}x{height} on the GPU in tiles of {} px with {} px of context, {} \
             per engine call (about {} each)",
            tiling.tile,
            tiling.pad,
            tiling.batch,
            limits::gib(call(&tiling))
        );
    }
    Ok(tiling)
}

impl GpuModels {
    /// Loads the engines of `models` for `width` x `height` frames (building missing ones unless
    /// `options.build_engines` is off), the upscaler's tiling decided from `--tile` and the
    /// `budget` bytes its calls may use; `events` hears about builds.
    pub fn new(
        models: &ModelOptions,
        options: &GpuOptions,
        (kernels, stream): (&Arc<Kernels>, &Arc<CudaStream>),
        ((width, height), budget): ((usize, usize), u64),
        events: &mut dyn FnMut(EngineEvent<'_>),
    ) -> Result<Self, GpuError> {
        let mut interpolator = None;
        let mut upscaler = None;
        if models.rife.is_some() || models.upscale.is_some() {
            let toolchain = Toolchain::probe().map_err(GpuError::TensorRt)?;
            let cache = super::engines::default_engine_cache()?;
            let build = (&cache, options.build_engines);
            if let Some(rife) = &models.rife {
                interpolator = Some(GpuInterpolator::new(
                    &toolchain,
                    rife,
                    (width, height),
                    BuildOptions::default(),
                    build,
                    models.cut_threshold,
                    events,
                )?);
            }
            if let Some((factor, model)) = &models.upscale {
                let tiling = gpu_tiling(models.tiles, model, (width, height), budget)?;
                upscaler = Some(GpuUpscaler::new(
                    &toolchain,
                    stream,
                    model,
                    (width, height, *factor, tiling),
                    options.upscale_engine.clone(),
                    build,
                    events,
                )?);
            }
        }
        let input = input_layout(
            (width, height),
            interpolator.as_ref().map(GpuInterpolator::frame_layout),
        )?;
        Ok(GpuModels {
            kernels: kernels.clone(),
            stream: stream.clone(),
            interpolator,
            upscaler,
            luma: Vec::with_capacity(2),
            measured: None,
            input,
        })
    }

    /// The layout decoded frames must have.
    pub fn input_layout(&self) -> FrameLayout {
        self.input
    }

    /// What the models will hold on the device: their engines (loaded), and the frames still to
    /// be allocated, counted at the most alive at once: the source pair, one frame being
    /// converted and one queued; a blended frame and the next; two features and one being
    /// computed; two upscaled frames; the two luma frames of the scene metric.
    pub fn device_needs(&self) -> DeviceNeeds {
        let mut needs = DeviceNeeds::default();
        let frame = |what, count, bytes: usize| Buffers {
            what,
            count,
            bytes: bytes as u64,
        };
        let input = self.input.bytes();
        needs.buffers.push(frame("decoded frames", 4, input));
        if let Some(rife) = &self.interpolator {
            needs.engines.extend(rife.engine_memory());
            needs.buffers.push(frame("blended frames", 2, input));
            needs.buffers.push(Buffers {
                what: "RIFE features",
                count: 3,
                bytes: rife.feature_bytes(),
            });
            if rife.detects_cuts() {
                // P016 luma and chroma: 3 bytes per pixel.
                needs.buffers.push(frame(
                    "scene luma",
                    2,
                    self.input.width * self.input.height * 3,
                ));
            }
        }
        if let Some(upscaler) = &self.upscaler {
            needs.engines.push(upscaler.engine_memory());
            needs.buffers.push(frame(
                "upscaled frames",
                2,
                upscaler.layouts().output.bytes(),
            ));
        }
        needs
    }

    /// The output size factor.
    pub fn factor(&self) -> usize {
        self.upscaler.as_ref().map_or(1, GpuUpscaler::factor)
    }

    /// The scene metric's luma of source frame `index` (kept for the next pair).
    fn luma_of(&mut self, index: usize, frame: &DeviceFrame) -> Result<(), GpuError> {
        if self.luma.iter().any(|(i, _)| *i == index) {
            return Ok(());
        }
        let l = frame.layout();
        let layout = FrameLayout::yuv420_aligned(
            PixelFormat::P016 { sample_shift: 0 },
            l.width,
            l.height,
            256,
        )?;
        let mut luma = DeviceFrame::alloc_zeroed(&self.stream, layout)?;
        self.kernels
            .rgb_to_yuv(&self.stream, frame, SCENE_LUMA, Siting::Left, &mut luma)?;
        if self.luma.len() == 2 {
            self.luma.remove(0);
        }
        self.luma.push((index, luma));
        Ok(())
    }
}

impl FrameModels for GpuModels {
    type Frame = DeviceFrame;

    fn rife_counts(&self) -> Option<(usize, usize)> {
        self.interpolator
            .as_ref()
            .map(|i| (i.cuts(), i.encoder_runs()))
    }

    fn upscales(&self) -> bool {
        self.upscaler.is_some()
    }

    fn upscale(&mut self, frame: &DeviceFrame) -> Result<DeviceFrame, PipelineError> {
        let stream = &self.stream;
        let layout = self
            .upscaler
            .as_ref()
            .map_or(*frame.layout(), |u| u.layouts().output);
        let mut out = DeviceFrame::alloc_zeroed(stream, layout).map_err(GpuError::from)?;
        reading(&**stream, &[frame], || match self.upscaler.as_mut() {
            Some(upscaler) => Ok(upscaler.upscale(&self.kernels, stream, frame, &mut out)?),
            None => Ok::<_, GpuError>(out.copy_from(stream, frame)?),
        })?;
        out.record_ready(stream).map_err(GpuError::from)?;
        Ok(out)
    }

    fn blend(
        &mut self,
        (ia, a): (usize, &DeviceFrame),
        (ib, b): (usize, &DeviceFrame),
        t: f32,
        output: u64,
    ) -> Result<DeviceFrame, PipelineError> {
        let Some(layout) = self
            .interpolator
            .as_ref()
            .map(GpuInterpolator::frame_layout)
        else {
            return Err(PipelineError::NoInterpolator(output));
        };
        let detects_cuts = self
            .interpolator
            .as_ref()
            .is_some_and(GpuInterpolator::detects_cuts);
        // The model stream waits for the decoded frames; their reads are recorded at the end
        // (or on an early return, when `reads` drops).
        let stream = self.stream.clone();
        let reads = Reading::begin(&*stream, &[a, b]).map_err(GpuError::from)?;
        if detects_cuts && self.measured != Some((ia, ib)) {
            self.luma_of(ia, a)?;
            self.luma_of(ib, b)?;
            let find = |i: usize| self.luma.iter().find(|(j, _)| *j == i).map(|(_, f)| f);
            if let (Some(la), Some(lb), Some(interpolator)) =
                (find(ia), find(ib), self.interpolator.as_mut())
            {
                interpolator
                    .measure_cut(&self.kernels, &self.stream, (ia, la), (ib, lb))
                    .map_err(GpuError::from)?;
            }
            self.measured = Some((ia, ib));
        }
        let mut out = DeviceFrame::alloc_zeroed(&self.stream, layout).map_err(GpuError::from)?;
        if let Some(interpolator) = self.interpolator.as_mut() {
            interpolator
                .blend(&self.stream, (ia, a), (ib, b), t, &mut out)
                .map_err(GpuError::from)?;
        }
        reads.end().map_err(GpuError::from)?;
        out.record_ready(&stream).map_err(GpuError::from)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_frames_take_rifes_layout_or_none() {
        let rife = FrameLayout::planar(PixelFormat::RgbF32, 1920, 1080, 64).unwrap();
        let with_rife = input_layout((1920, 1080), Some(rife)).unwrap();
        assert_eq!(
            (with_rife.padded_width, with_rife.padded_height),
            (1920, 1088)
        );
        let plain = input_layout((1920, 1080), None).unwrap();
        assert_eq!((plain.width, plain.height), (1920, 1080));
        assert_eq!((plain.padded_width, plain.padded_height), (1920, 1080));
        assert_eq!(plain.format, PixelFormat::RgbF32);
    }
}
