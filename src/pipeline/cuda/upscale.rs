//! Real-ESRGAN on device frames through TensorRT, whole frames or tiles, and an x4 model for 2x
//! by the `resize_half` kernel (logged, as on the CPU). The engine shape and the resize come from
//! the functions the CPU path and `engine-build` use (`tensorrt::jobs::shape_for_job`,
//! `scale_resize`). Compiled and its pure parts tested on the CPU; not yet run on a GPU.
//!
//! - Whole frames: the frame (any planar RGB f32 frame of the size, e.g. a RIFE output padded to
//!   64) is copied by `tile_extract` as one tile into a slot of the engine's size, padded with
//!   zeros to the network's multiple (the CPU path reflects the last row and column instead: at
//!   most one, for RRDBNet x2 only); the engine writes the raw frame.
//! - Tiles: the frame's tiles ([`TilePlan`]) go through the engine in consecutive calls
//!   ([`call_plan`]): each call's tiles are extracted into the engine's input slots, upscaled
//!   into its output slots and stitched into the frame.
//! - CUDA graphs: the slots are allocated once, so every call of one shape binds the same
//!   buffers and the stage captures its enqueue as a graph (`tensorrt::graph`) and replays it.
//!   Enabled when every call of a frame has one shape (a whole frame; tiles in full batches); a
//!   smaller last batch would rebind the context on every frame, so such plans enqueue plainly.
//!   A whole frame's engine writes the caller's output (or the frame resized by 0.5) directly:
//!   its graph replays while that buffer's address repeats, and the stage stops capturing if it
//!   keeps changing, rather than copying every output from a slot.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::CudaStream;

use super::engines::{engine_for_job, EngineEvent, JobEngine};
use super::error::{device, expect_layout, GpuStageError};
use crate::cuda::device::{DeviceFrame, FrameLayout, Kernels, PixelFormat};
use crate::models::runtime::ModelKind;
use crate::pipeline::models::{scale_resize, ScaleResize};
use crate::pipeline::Tiling;
use crate::tensorrt::builder::Toolchain;
use crate::tensorrt::graph::GraphStats;
use crate::tensorrt::spec::{BuildOptions, EngineShape};
use crate::tensorrt::stage::StageMemory;
use crate::tensorrt::EngineCache;
use crate::tiling::TilePlan;

const STAGE: &str = "upscaler";

/// The layouts of an upscaler's frames, pure geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpscaleLayouts {
    /// A frame [`GpuUpscaler::upscale`] takes (any planar f32 frame of this size is accepted:
    /// the padding is not read).
    pub input: FrameLayout,
    /// The model's output.
    pub raw: FrameLayout,
    /// What [`GpuUpscaler::upscale`] writes (`raw` itself unless resized by 0.5).
    pub output: FrameLayout,
}

/// The layouts for `width` x `height` frames through an engine of `shape` for a network of
/// `scale` and padding `multiple`, resized by `resize`.
pub fn upscale_layouts(
    (width, height): (usize, usize),
    shape: EngineShape,
    (scale, multiple): (usize, usize),
    resize: ScaleResize,
) -> Result<UpscaleLayouts, GpuStageError> {
    let planar = |w: usize, h: usize, m: usize| {
        FrameLayout::planar(PixelFormat::RgbF32, w, h, m)
            .map_err(device(STAGE, format!("a {w}x{h} frame")))
    };
    let (input, raw) = match shape {
        EngineShape::Frame { .. } => (
            planar(width, height, multiple)?,
            planar(width * scale, height * scale, multiple * scale)?,
        ),
        EngineShape::Tiles { .. } => (
            planar(width, height, 1)?,
            planar(width * scale, height * scale, 1)?,
        ),
    };
    let output = match resize {
        ScaleResize::None => raw,
        ScaleResize::Half => planar(raw.width.div_ceil(2), raw.height.div_ceil(2), 1)?,
    };
    Ok(UpscaleLayouts { input, raw, output })
}

/// Super-resolution of device frames through TensorRT.
pub struct GpuUpscaler {
    engine: JobEngine,
    model: PathBuf,
    factor: usize,
    layouts: UpscaleLayouts,
    tiles: Box<Tiles>,
    /// Whether every engine call of a frame has one shape (see [`CallPlan::one_shape`]).
    one_shape: bool,
    /// The model's output before the resize by 0.5 (only when resizing).
    raw: Option<DeviceFrame>,
}

impl GpuUpscaler {
    /// Loads (or, with `build_missing`, first builds into `cache`) the engine of `model` for
    /// `width` x `height` frames and `tiling`, giving `factor`x (the model's scale, or half of
    /// it), and allocates the tile batches on `stream`.
    pub fn new(
        toolchain: &Toolchain,
        stream: &Arc<CudaStream>,
        model: &Path,
        (width, height, factor, tiling): (usize, usize, usize, Tiling),
        options: BuildOptions,
        (cache, build_missing): (&EngineCache, bool),
        events: &mut dyn FnMut(EngineEvent<'_>),
    ) -> Result<Self, GpuStageError> {
        let job = (width, height, tiling);
        let engine = engine_for_job(
            toolchain,
            model,
            job,
            options,
            (cache, build_missing),
            events,
        )?;
        let net = engine.network;
        if !matches!(net.kind, ModelKind::Upscaler { .. }) {
            return Err(GpuStageError::WrongModel {
                path: model.to_path_buf(),
                wanted: "an upscaling model",
            });
        }
        let resize = scale_resize(model, net.scale, factor, true).map_err(|e| {
            GpuStageError::WrongScale {
                path: e.path,
                native: e.native,
                wanted: e.wanted,
            }
        })?;
        let layouts = upscale_layouts(
            (width, height),
            engine.shape,
            (net.scale, net.multiple()),
            resize,
        )?;
        let alloc = device(STAGE, "allocating the frame buffers");
        let (plan, slot, upscaled) = match engine.shape {
            EngineShape::Frame {
                height: ph,
                width: pw,
            } => {
                let plan = TilePlan::new(width, height, width.max(height), 0);
                (plan, (pw, ph), None)
            }
            EngineShape::Tiles { tile, pad, .. } => {
                let plan = TilePlan::new(width, height, tile, pad);
                let slot = (plan.slot_width, plan.slot_height);
                (plan, slot, Some(net.scale))
            }
        };
        let calls = call_plan(plan.tiles.len(), engine.shape.max_batch());
        let tiles = alloc_tiles(stream, &plan, &calls, slot, upscaled)
            .map_err(device(STAGE, "allocating the tile batches"))?;
        let raw = match resize {
            ScaleResize::None => None,
            ScaleResize::Half => {
                Some(DeviceFrame::alloc_zeroed(stream, layouts.raw).map_err(alloc)?)
            }
        };
        let mut upscaler = GpuUpscaler {
            engine,
            one_shape: calls.one_shape(),
            model: model.to_path_buf(),
            factor,
            layouts,
            tiles: Box::new(tiles),
            raw,
        };
        upscaler.set_graph_capture(true);
        Ok(upscaler)
    }

    /// The output size factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    /// The layouts of the frames [`GpuUpscaler::upscale`] takes and writes.
    pub fn layouts(&self) -> UpscaleLayouts {
        self.layouts
    }

    /// The device memory of the engine.
    pub fn engine_memory(&self) -> StageMemory {
        self.engine.stage.memory()
    }

    /// The model file.
    pub fn model(&self) -> &Path {
        &self.model
    }

    /// Turns CUDA-graph capture of the engine calls on (the default; only where every call of a
    /// frame has one shape) or off.
    pub fn set_graph_capture(&mut self, on: bool) {
        let label = (on && self.one_shape).then_some(self.engine.stem.as_str());
        self.engine.stage.set_graph_capture(label);
    }

    /// What the engine's enqueues did: plain, captured as CUDA graphs, launched.
    pub fn graph_stats(&self) -> &GraphStats {
        self.engine.stage.graph_stats()
    }

    /// Upscales `src` (a planar f32 frame of the size of `layouts().input`, padded anyhow) into
    /// `out` (of `layouts().output`). The work is ordered on `stream`.
    pub fn upscale(
        &mut self,
        kernels: &Kernels,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        out: &mut DeviceFrame,
    ) -> Result<(), GpuStageError> {
        let l = self.layouts;
        let got = src.layout();
        if (got.format, got.width, got.height) != (l.input.format, l.input.width, l.input.height) {
            expect_layout(STAGE, "the source frame", got, &l.input)?;
        }
        expect_layout(STAGE, "out", out.layout(), &l.output)?;
        match self.raw.as_mut() {
            Some(raw) => {
                run_model(&mut self.engine, &mut self.tiles, kernels, stream, src, raw)?;
                kernels
                    .resize_half(stream, raw, out)
                    .map_err(device(STAGE, "resizing by 0.5"))
            }
            None => run_model(&mut self.engine, &mut self.tiles, kernels, stream, src, out),
        }
    }
}

#[path = "upscale_calls.rs"]
mod calls;
use calls::{alloc_tiles, run_model, Tiles};
pub use calls::{call_plan, CallPlan};

#[cfg(test)]
#[path = "upscale_tests.rs"]
mod tests;
