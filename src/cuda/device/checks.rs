//! What each kernel needs of its frames, checked on the layouts before a launch (pure: no CUDA
//! call): the formats the kernel reads and writes, matching sizes, tiles inside their frames, and
//! grids the device can run. A frame that does not fit is a [`DeviceError::Geometry`], never a
//! launch that would read or write out of bounds.

use super::error::DeviceError;
use super::layout::{FrameLayout, PixelFormat};
use crate::colour::Encoding;
use crate::cuda::{KernelTile, LaunchDims};

fn fail(kernel: &'static str, reason: String) -> DeviceError {
    DeviceError::Geometry { kernel, reason }
}

/// The colour conversion kernel from `yuv` to `rgb` frames.
pub fn yuv_to_rgb_kernel(yuv: PixelFormat, rgb: PixelFormat) -> Option<&'static str> {
    Some(match (yuv, rgb) {
        (PixelFormat::Nv12, PixelFormat::RgbF32) => "ss_nv12_to_rgb_f32",
        (PixelFormat::Nv12, PixelFormat::RgbF16) => "ss_nv12_to_rgb_f16",
        (PixelFormat::P016 { .. }, PixelFormat::RgbF32) => "ss_p016_to_rgb_f32",
        (PixelFormat::P016 { .. }, PixelFormat::RgbF16) => "ss_p016_to_rgb_f16",
        _ => return None,
    })
}

/// The colour conversion kernel from `rgb` to `yuv` frames.
pub fn rgb_to_yuv_kernel(rgb: PixelFormat, yuv: PixelFormat) -> Option<&'static str> {
    Some(match (rgb, yuv) {
        (PixelFormat::RgbF32, PixelFormat::Nv12) => "ss_rgb_to_nv12",
        (PixelFormat::RgbF32, PixelFormat::P016 { .. }) => "ss_rgb_to_p016",
        (PixelFormat::RgbF16, PixelFormat::Nv12) => "ss_rgb_f16_to_nv12",
        (PixelFormat::RgbF16, PixelFormat::P016 { .. }) => "ss_rgb_f16_to_p016",
        _ => return None,
    })
}

/// Grids past the device limits (65535 blocks along y and z) are refused.
pub fn check_dims(kernel: &'static str, dims: LaunchDims) -> Result<(), DeviceError> {
    if dims.grid.contains(&0) || dims.grid[1] > 65535 || dims.grid[2] > 65535 {
        return Err(fail(kernel, format!("a grid of {:?} blocks", dims.grid)));
    }
    Ok(())
}

/// The codes of `encoding` fill the samples of `yuv` exactly: 8-bit in NV12, `bits + shift = 16`
/// in P016.
fn check_encoding(kernel: &'static str, yuv: PixelFormat, e: Encoding) -> Result<(), DeviceError> {
    let ok = match yuv {
        PixelFormat::Nv12 => e.bits == 8,
        PixelFormat::P016 { sample_shift } => e.bits > 8 && e.bits + sample_shift == 16,
        _ => false,
    };
    if !ok {
        return Err(fail(
            kernel,
            format!("{}-bit codes in {yuv:?} samples", e.bits),
        ));
    }
    Ok(())
}

fn same_size(kernel: &'static str, a: &FrameLayout, b: &FrameLayout) -> Result<(), DeviceError> {
    if (a.width, a.height) != (b.width, b.height) {
        return Err(fail(
            kernel,
            format!(
                "a {}x{} frame into a {}x{} one",
                a.width, a.height, b.width, b.height
            ),
        ));
    }
    Ok(())
}

/// Checks a Y'CbCr → RGB conversion and names its kernel.
pub fn yuv_to_rgb(
    src: &FrameLayout,
    dst: &FrameLayout,
    e: Encoding,
) -> Result<&'static str, DeviceError> {
    let kernel = yuv_to_rgb_kernel(src.format, dst.format).ok_or_else(|| {
        fail(
            "yuv to rgb",
            format!("no kernel from {:?} to {:?}", src.format, dst.format),
        )
    })?;
    check_encoding(kernel, src.format, e)?;
    same_size(kernel, src, dst)?;
    Ok(kernel)
}

/// Checks an RGB → Y'CbCr conversion and names its kernel.
pub fn rgb_to_yuv(
    src: &FrameLayout,
    dst: &FrameLayout,
    e: Encoding,
) -> Result<&'static str, DeviceError> {
    let kernel = rgb_to_yuv_kernel(src.format, dst.format).ok_or_else(|| {
        fail(
            "rgb to yuv",
            format!("no kernel from {:?} to {:?}", src.format, dst.format),
        )
    })?;
    check_encoding(kernel, dst.format, e)?;
    same_size(kernel, src, dst)?;
    Ok(kernel)
}

/// Checks a resize by 0.5 and names its kernel: `dst` is `ceil(w / 2) x ceil(h / 2)`, unpadded.
pub fn resize_half(src: &FrameLayout, dst: &FrameLayout) -> Result<&'static str, DeviceError> {
    let kernel = match (src.format, dst.format) {
        (PixelFormat::RgbF32, PixelFormat::RgbF32) => "ss_resize_half_f32",
        (PixelFormat::RgbF16, PixelFormat::RgbF16) => "ss_resize_half_f16",
        (a, b) => return Err(fail("resize half", format!("{a:?} to {b:?}"))),
    };
    let want = (src.width.div_ceil(2), src.height.div_ceil(2));
    let got = (dst.padded_width, dst.padded_height);
    if (dst.width, dst.height) != want || got != want {
        return Err(fail(
            kernel,
            format!(
                "the output must be {}x{} unpadded, not {got:?}",
                want.0, want.1
            ),
        ));
    }
    Ok(kernel)
}

/// Tile extraction: every context region inside the frame and inside its slot.
pub fn tile_extract(
    src: &FrameLayout,
    tiles: &[KernelTile],
    batch: (PixelFormat, usize, usize, usize),
) -> Result<&'static str, DeviceError> {
    let (format, count, slot_w, slot_h) = batch;
    let kernel = match (src.format, format) {
        (PixelFormat::RgbF32, PixelFormat::RgbF32) => "ss_tile_extract_f32",
        (PixelFormat::RgbF16, PixelFormat::RgbF16) => "ss_tile_extract_f16",
        (a, b) => return Err(fail("tile extract", format!("{a:?} into a {b:?} batch"))),
    };
    if count != tiles.len() {
        return Err(fail(
            kernel,
            format!("{} tiles for {count} slots", tiles.len()),
        ));
    }
    for (i, t) in tiles.iter().enumerate() {
        let [x, y, w, h] = t.context;
        let inside = x >= 0 && y >= 0 && w >= 0 && h >= 0;
        let fits = inside
            && (x + w) as usize <= src.width
            && (y + h) as usize <= src.height
            && w as usize <= slot_w
            && h as usize <= slot_h;
        if !fits {
            return Err(fail(
                kernel,
                format!(
                    "tile {i}: context {:?} outside the {}x{} frame or its {slot_w}x{slot_h} slot",
                    t.context, src.width, src.height
                ),
            ));
        }
    }
    Ok(kernel)
}

/// Tile stitching: every kept region inside its context, its upscaled slot and the output.
pub fn tile_stitch(
    batch: (PixelFormat, usize, usize, usize),
    scale: usize,
    tiles: &[KernelTile],
    dst: &FrameLayout,
) -> Result<&'static str, DeviceError> {
    let (format, count, slot_w, slot_h) = batch;
    let kernel = match (format, dst.format) {
        (PixelFormat::RgbF32, PixelFormat::RgbF32) => "ss_tile_stitch_f32",
        (PixelFormat::RgbF16, PixelFormat::RgbF16) => "ss_tile_stitch_f16",
        (a, b) => return Err(fail("tile stitch", format!("a {a:?} batch into {b:?}"))),
    };
    if count != tiles.len() || scale == 0 {
        return Err(fail(
            kernel,
            format!("{} tiles for {count} slots, scale {scale}", tiles.len()),
        ));
    }
    let s = scale as i64;
    for (i, t) in tiles.iter().enumerate() {
        let [kx, ky, kw, kh] = t.keep.map(i64::from);
        let [cx, cy, cw, ch] = t.context.map(i64::from);
        let fits = kw >= 0
            && kh >= 0
            && kx >= cx
            && ky >= cy
            && kx + kw <= cx + cw
            && ky + kh <= cy + ch
            && (kx - cx + kw) * s <= slot_w as i64
            && (ky - cy + kh) * s <= slot_h as i64
            && (kx + kw) * s <= dst.width as i64
            && (ky + kh) * s <= dst.height as i64;
        if !fits {
            return Err(fail(
                kernel,
                format!("tile {i}: kept {:?} of context {:?} at x{scale} does not fit the {slot_w}x{slot_h} slot or the {}x{} frame", t.keep, t.context, dst.width, dst.height),
            ));
        }
    }
    Ok(kernel)
}

/// The scene metric of two luma planes: same format and size, a cell of at least one pixel.
pub fn scene_cells(
    a: &FrameLayout,
    b: &FrameLayout,
    cell: usize,
) -> Result<&'static str, DeviceError> {
    let kernel = match (a.format, b.format) {
        (PixelFormat::Nv12, PixelFormat::Nv12) => "ss_scene_cells_u8",
        (PixelFormat::P016 { .. }, PixelFormat::P016 { .. }) => "ss_scene_cells_u16",
        (x, y) => return Err(fail("scene cells", format!("{x:?} against {y:?}"))),
    };
    same_size(kernel, a, b)?;
    if cell == 0 || cell > i32::MAX as usize {
        return Err(fail(kernel, format!("a cell of {cell} pixels")));
    }
    Ok(kernel)
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
