//! The upscaler's engine calls: a frame's tiles in consecutive calls ([`call_plan`]), each
//! call's tiles on the device, the engine's input and output slots (allocated once, so that a
//! call of one shape always binds the same buffers), and a frame run through them.

use std::ops::Range;
use std::sync::Arc;

use cudarc::driver::CudaStream;

use super::STAGE;
use crate::cuda::device::{DeviceError, DeviceFrame, DeviceTiles, Kernels, PixelFormat, TileBatch};
use crate::pipeline::cuda::engines::JobEngine;
use crate::pipeline::cuda::error::{device, engine as engine_err, GpuStageError};
use crate::tensorrt::jobs::tile_batches;
use crate::tensorrt::stage::ViewInput;
use crate::tiling::TilePlan;

/// The engine calls of a frame: consecutive tile ranges of `full` tiles, the last one of
/// `partial` when fewer remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    /// The tile ranges, one per call.
    pub ranges: Vec<Range<usize>>,
    /// Tiles per full call (the engine's input batch slots).
    pub full: usize,
    /// Tiles of a smaller last call, if any (slots of their own).
    pub partial: Option<usize>,
}

impl CallPlan {
    /// Whether every call has the same shape, so the stage's enqueue can be captured: a smaller
    /// last call would rebind the context, and drop the graph, on every frame.
    pub fn one_shape(&self) -> bool {
        self.partial.is_none()
    }
}

/// The calls for `tiles` tiles (1 for a whole frame) through an engine of `max_batch` tiles.
pub fn call_plan(tiles: usize, max_batch: usize) -> CallPlan {
    let ranges = tile_batches(tiles, max_batch);
    let full = ranges.first().map_or(0, Range::len);
    let partial = ranges.last().map(Range::len).filter(|&n| n < full);
    CallPlan {
        ranges,
        full,
        partial,
    }
}

/// Engine input slots and, for tiles, output slots (a whole frame's engine writes the frame).
struct Slots {
    input: TileBatch,
    output: Option<TileBatch>,
}

/// One engine call: its tiles on the device, and whether it uses the partial slots.
struct Call {
    range: Range<usize>,
    tiles: DeviceTiles,
    partial: bool,
}

/// A frame's engine calls and their slots, allocated once.
pub(super) struct Tiles {
    calls: Vec<Call>,
    full: Slots,
    partial: Option<Slots>,
}

/// Uploads each call's tiles and allocates the slots: input slots of `slot` pixels and, for
/// tiles, output slots `scale` times larger (a whole frame's engine writes the frame itself).
pub(super) fn alloc_tiles(
    stream: &Arc<CudaStream>,
    plan: &TilePlan,
    calls: &CallPlan,
    (sw, sh): (usize, usize),
    scale: Option<usize>,
) -> Result<Tiles, DeviceError> {
    let slots = |n: usize| -> Result<Slots, DeviceError> {
        let batch = |w, h| TileBatch::alloc_zeroed(stream, PixelFormat::RgbF32, n, w, h);
        let output = scale.map(|s| batch(sw * s, sh * s)).transpose()?;
        Ok(Slots {
            input: batch(sw, sh)?,
            output,
        })
    };
    let mut uploaded = Vec::with_capacity(calls.ranges.len());
    for range in &calls.ranges {
        let part = TilePlan {
            tiles: plan.tiles[range.clone()].to_vec(),
            ..*plan
        };
        uploaded.push(Call {
            range: range.clone(),
            tiles: DeviceTiles::upload(stream, &part)?,
            partial: range.len() < calls.full,
        });
    }
    Ok(Tiles {
        calls: uploaded,
        full: slots(calls.full)?,
        partial: calls.partial.map(slots).transpose()?,
    })
}

/// The engine's output for the whole of `src` into `dst` (the raw layout), call by call: the
/// call's tiles extracted into the input slots, the engine run on them, the upscaled slots
/// stitched (a whole frame: one tile, written by the engine into `dst`).
pub(super) fn run_model(
    engine: &mut JobEngine,
    tiles: &mut Tiles,
    kernels: &Kernels,
    stream: &Arc<CudaStream>,
    src: &DeviceFrame,
    dst: &mut DeviceFrame,
) -> Result<(), GpuStageError> {
    let Tiles {
        calls,
        full,
        partial,
    } = tiles;
    for call in calls.iter() {
        let step = format!("upscaling tiles {:?}", call.range);
        let slots = match partial {
            Some(p) if call.partial => p,
            _ => &mut *full,
        };
        kernels
            .tile_extract(stream, src, &call.tiles, &mut slots.input)
            .map_err(device(STAGE, "extracting tiles"))?;
        let input = &slots.input;
        let n = input.tiles;
        let shape = [
            n as i64,
            3,
            input.slot_height as i64,
            input.slot_width as i64,
        ];
        let buffer = input.f32_slots(0..n).map_err(device(STAGE, step.clone()))?;
        let inputs = [ViewInput {
            name: "input",
            shape: &shape,
            buffer,
        }];
        let stage = &mut engine.stage;
        let Some(output) = slots.output.as_mut() else {
            let out = dst.f32_view_mut().map_err(device(STAGE, "viewing out"))?;
            stage
                .enqueue_views(stream, &inputs, &mut [("out", out)])
                .map_err(engine_err(&engine.stem, "upscaling the frame"))?;
            continue;
        };
        output
            .with_f32_slots_mut(0..n, |out| {
                stage.enqueue_views(stream, &inputs, &mut [("out", out)])
            })
            .map_err(device(STAGE, step.clone()))?
            .map_err(engine_err(&engine.stem, step))?;
        let scale = output.slot_width / input.slot_width.max(1);
        kernels
            .tile_stitch(stream, output, scale, &call.tiles, dst)
            .map_err(device(STAGE, "stitching tiles"))?;
    }
    Ok(())
}
