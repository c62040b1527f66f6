//! The frame kernels besides colour: tile extraction and stitching for the upscaler, resizing by
//! 0.5, and the scene-cut metric.

use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, PushKernelArg};

use super::buffer::{DeviceFrame, TileBatch};
use super::checks;
use super::copies::{count, CopyKind, Direction};
use super::error::DeviceError;
use super::kernels::Kernels;
use super::launch::{int, long, submit};
use super::layout::PixelFormat;
use crate::cuda::{KernelTile, LaunchDims};
use crate::tiling::TilePlan;

/// A tile plan on the device (`SsTile` array), with the host copy the launches are checked
/// against.
#[derive(Debug)]
pub struct DeviceTiles {
    tiles: Vec<KernelTile>,
    data: CudaSlice<i32>,
}

impl DeviceTiles {
    /// Copies the tiles of `plan` to the device.
    pub fn upload(stream: &Arc<CudaStream>, plan: &TilePlan) -> Result<Self, DeviceError> {
        let tiles: Vec<KernelTile> = plan.tiles.iter().map(KernelTile::from).collect();
        let flat: Vec<i32> = tiles
            .iter()
            .flat_map(|t| t.keep.into_iter().chain(t.context))
            .collect();
        let data = stream
            .clone_htod(&flat)
            .map_err(DeviceError::driver(format!(
                "copying {} tiles to the device",
                tiles.len()
            )))?;
        count(CopyKind::Other, Direction::ToDevice, flat.len() * 4);
        Ok(DeviceTiles { tiles, data })
    }

    pub fn tiles(&self) -> &[KernelTile] {
        &self.tiles
    }

    /// The largest kept region, in input pixels.
    fn max_keep(&self) -> (usize, usize) {
        self.tiles.iter().fold((0, 0), |(w, h), t| {
            (w.max(t.keep[2] as usize), h.max(t.keep[3] as usize))
        })
    }
}

fn batch_shape(b: &TileBatch) -> (PixelFormat, usize, usize, usize) {
    (b.format, b.tiles, b.slot_width, b.slot_height)
}

impl Kernels {
    /// Copies each tile's context of `src` into its slot of `batch` (the rest of the slot zero).
    pub fn tile_extract(
        &self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        tiles: &DeviceTiles,
        batch: &mut TileBatch,
    ) -> Result<(), DeviceError> {
        let s = *src.layout();
        let kernel = checks::tile_extract(&s, &tiles.tiles, batch_shape(batch))?;
        let (sw, sh) = (batch.slot_width, batch.slot_height);
        let dims = LaunchDims::per_pixel(sw, sh, tiles.tiles.len());
        let buffers = [src.context(), tiles.data.context(), batch.context()];
        let (function, config) = self.prepare(stream, kernel, dims, &buffers)?;
        let (row_stride, plane_stride, channels) =
            (int(s.row_stride()), long(s.plane_stride()), 3i32);
        let (slot_w, slot_h) = (int(sw), int(sh));
        let input = src.view();
        let mut out = batch.view_mut();
        let mut a = stream.launch_builder(function);
        a.arg(&input)
            .arg(&row_stride)
            .arg(&plane_stride)
            .arg(&channels);
        a.arg(&tiles.data).arg(&mut out).arg(&slot_w).arg(&slot_h);
        // SAFETY: the parameters of `ss_tile_extract_*` in order; every context lies inside the
        // source frame and its slot, and the batch holds one slot per grid layer (checked in
        // `checks::tile_extract`).
        unsafe { submit(kernel, &mut a, config) }
    }

    /// Writes the kept region of each upscaled slot of `batch` (slots `scale` times the plan's)
    /// into `dst`.
    pub fn tile_stitch(
        &self,
        stream: &Arc<CudaStream>,
        batch: &TileBatch,
        scale: usize,
        tiles: &DeviceTiles,
        dst: &mut DeviceFrame,
    ) -> Result<(), DeviceError> {
        let d = *dst.layout();
        let kernel = checks::tile_stitch(batch_shape(batch), scale, &tiles.tiles, &d)?;
        let (kw, kh) = tiles.max_keep();
        let dims = LaunchDims::per_pixel(kw * scale, kh * scale, tiles.tiles.len());
        let buffers = [batch.context(), tiles.data.context(), dst.context()];
        let (function, config) = self.prepare(stream, kernel, dims, &buffers)?;
        let (slot_w, slot_h) = (int(batch.slot_width), int(batch.slot_height));
        let (scale_i, channels) = (int(scale), 3i32);
        let (row_stride, plane_stride) = (int(d.row_stride()), long(d.plane_stride()));
        let input = batch.view();
        let mut out = dst.view_mut();
        let mut a = stream.launch_builder(function);
        a.arg(&input)
            .arg(&slot_w)
            .arg(&slot_h)
            .arg(&scale_i)
            .arg(&channels);
        a.arg(&tiles.data)
            .arg(&mut out)
            .arg(&row_stride)
            .arg(&plane_stride);
        // SAFETY: the parameters of `ss_tile_stitch_*` in order; each thread reads inside its
        // tile's upscaled slot and writes inside the output frame (checked in
        // `checks::tile_stitch`).
        unsafe { submit(kernel, &mut a, config) }
    }

    /// Resizes the planar `src` by 0.5 (2x2 box) into `dst` (`ceil(w / 2) x ceil(h / 2)`,
    /// unpadded).
    pub fn resize_half(
        &self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        dst: &mut DeviceFrame,
    ) -> Result<(), DeviceError> {
        let (s, d) = (*src.layout(), *dst.layout());
        let kernel = checks::resize_half(&s, &d)?;
        let dims = LaunchDims::per_pixel(d.width, d.height, 1);
        let (function, config) =
            self.prepare(stream, kernel, dims, &[src.context(), dst.context()])?;
        let (w, h) = (int(s.width), int(s.height));
        let (row_stride, plane_stride, channels) =
            (int(s.row_stride()), long(s.plane_stride()), 3i32);
        let input = src.view();
        let mut out = dst.view_mut();
        let mut a = stream.launch_builder(function);
        a.arg(&input)
            .arg(&w)
            .arg(&h)
            .arg(&row_stride)
            .arg(&plane_stride)
            .arg(&channels);
        a.arg(&mut out);
        // SAFETY: the parameters of `ss_resize_half_*` in order; the source covers `w x h` at its
        // strides and `dst` holds the three contiguous half-size planes the grid writes (checked
        // in `checks::resize_half`).
        unsafe { submit(kernel, &mut a, config) }
    }

    /// The scene-cut metric of the luma planes of `a` and `b` over `cell x cell` boxes: the mean
    /// absolute difference of the box means in units of full scale (`scene::luma_difference`).
    /// Waits for the stream to read the one number back.
    pub fn scene_difference(
        &self,
        stream: &Arc<CudaStream>,
        a: &DeviceFrame,
        b: &DeviceFrame,
        cell: usize,
    ) -> Result<f32, DeviceError> {
        let (la, lb) = (*a.layout(), *b.layout());
        let kernel = checks::scene_cells(&la, &lb, cell)?;
        let (cols, rows) = (la.width.div_ceil(cell), la.height.div_ceil(cell));
        let scratch = |n: usize| {
            stream
                .alloc_zeros::<f32>(n)
                .map_err(DeviceError::driver(format!("allocating {n} floats")))
        };
        let (mut diffs, mut row_sums, mut total) =
            (scratch(cols * rows)?, scratch(rows)?, scratch(1)?);
        let (luma_a, _) = a.planes();
        let (luma_b, _) = b.planes();
        let (pa, pb, w, h, c) = (
            int(la.pitch),
            int(lb.pitch),
            int(la.width),
            int(la.height),
            int(cell),
        );
        let dims = LaunchDims::per_pixel(cols, rows, 1);
        let (function, config) = self.prepare(stream, kernel, dims, &[a.context(), b.context()])?;
        let mut args = stream.launch_builder(function);
        args.arg(&luma_a).arg(&pa).arg(&luma_b).arg(&pb);
        args.arg(&w).arg(&h).arg(&c).arg(&mut diffs);
        // SAFETY: the parameters of `ss_scene_cells_*` in order; both luma planes cover
        // `width x height` at their pitches and `diffs` has one float per cell of the grid.
        unsafe { submit(kernel, &mut args, config) }?;

        let sums = "ss_scene_row_sums";
        let (function, config) = self.prepare(stream, sums, LaunchDims::per_row(rows), &[])?;
        let (cols_i, rows_i) = (int(cols), int(rows));
        let mut args = stream.launch_builder(function);
        args.arg(&diffs)
            .arg(&cols_i)
            .arg(&rows_i)
            .arg(&mut row_sums);
        // SAFETY: `ss_scene_row_sums(values, cols, rows, sums)`: `diffs` holds `rows` rows of
        // `cols` floats and `row_sums` one float per row.
        unsafe { submit(sums, &mut args, config) }?;

        let (function, config) = self.prepare(stream, sums, LaunchDims::per_row(1), &[])?;
        let one = 1i32;
        let mut args = stream.launch_builder(function);
        args.arg(&row_sums).arg(&rows_i).arg(&one).arg(&mut total);
        // SAFETY: as above, one row of `rows` floats into one float.
        unsafe { submit(sums, &mut args, config) }?;

        let total = stream
            .clone_dtoh(&total)
            .map_err(DeviceError::driver("reading the scene metric"))?;
        stream
            .synchronize()
            .map_err(DeviceError::driver("reading the scene metric"))?;
        count(CopyKind::Other, Direction::ToHost, total.len() * 4);
        Ok(total[0] / (cols * rows) as f32)
    }
}
