//! Whole-plane conversion between Y'CbCr sample planes (any subsampling, 8 to 16 bits) and planar
//! R'G'B' `f32`, with chroma resampled according to its siting.
//!
//! Upsampling is bilinear between the two nearest chroma samples of each axis; downsampling is the
//! matching tent filter (half-width one subsampling period), so a flat or linear chroma ramp
//! survives a round trip.

use super::{Encoding, Siting};
use crate::frame::RgbFrame;

/// A sample type of a video plane.
pub trait Sample: Copy {
    /// Largest value of the type, the full scale of a code (255, 65535).
    const FULL_SCALE: f32;
    fn to_f32(self) -> f32;
    fn from_code(code: u16) -> Self;
}

impl Sample for u8 {
    const FULL_SCALE: f32 = 255.0;
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    fn from_code(code: u16) -> Self {
        code.min(255) as u8
    }
}

impl Sample for u16 {
    const FULL_SCALE: f32 = 65535.0;
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    fn from_code(code: u16) -> Self {
        code
    }
}

/// A read-only plane: `height` rows of `width` samples, rows `stride` samples apart.
#[derive(Debug, Clone, Copy)]
pub struct PlaneRef<'a, T> {
    pub data: &'a [T],
    pub stride: usize,
    pub width: usize,
    pub height: usize,
}

/// A writable plane, laid out as [`PlaneRef`].
#[derive(Debug)]
pub struct PlaneMut<'a, T> {
    pub data: &'a mut [T],
    pub stride: usize,
    pub width: usize,
    pub height: usize,
}

impl<T: Sample> PlaneRef<'_, T> {
    fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.stride + x].to_f32()
    }
}

/// Bilinear source positions along one axis: for each of `n` luma positions, the two chroma
/// indices and the weight of the second.
fn upsample_axis(n: usize, chroma_n: usize, shift: u32, offset: f32) -> Vec<(usize, usize, f32)> {
    let period = (1u32 << shift) as f32;
    let last = chroma_n.saturating_sub(1);
    (0..n)
        .map(|x| {
            let u = ((x as f32 - offset) / period).max(0.0);
            let i0 = (u.floor() as usize).min(last);
            let i1 = (i0 + 1).min(last);
            (i0, i1, u - i0 as f32)
        })
        .collect()
}

/// Tent-filter taps along one axis: for each chroma sample, `(luma index, weight)` pairs that
/// sum to one.
fn downsample_axis(n: usize, chroma_n: usize, shift: u32, offset: f32) -> Vec<Vec<(usize, f32)>> {
    let period = (1u32 << shift) as f32;
    (0..chroma_n)
        .map(|c| {
            let centre = c as f32 * period + offset;
            let lo = (centre - period).ceil() as i64;
            let hi = (centre + period).floor() as i64;
            let mut taps: Vec<(usize, f32)> = Vec::new();
            for x in lo..=hi {
                let w = 1.0 - (x as f32 - centre).abs() / period;
                if w <= 0.0 {
                    continue;
                }
                let xi = x.clamp(0, n as i64 - 1) as usize;
                match taps.iter_mut().find(|(i, _)| *i == xi) {
                    Some(t) => t.1 += w,
                    None => taps.push((xi, w)),
                }
            }
            let total: f32 = taps.iter().map(|t| t.1).sum();
            taps.iter_mut().for_each(|t| t.1 /= total);
            taps
        })
        .collect()
}

/// Converts Y'CbCr planes to `out` (whose size is the luma plane's). `shift` is the chroma
/// subsampling `(log2 x, log2 y)`.
pub fn yuv_planes_to_rgb<T: Sample>(
    planes: [PlaneRef<'_, T>; 3],
    shift: (u32, u32),
    siting: Siting,
    encoding: Encoding,
    out: &mut RgbFrame,
) {
    let [y, cb, cr] = planes;
    let (ox, oy) = siting.offset(shift.0, shift.1);
    let cols = upsample_axis(y.width, cb.width, shift.0, ox);
    let rows = upsample_axis(y.height, cb.height, shift.1, oy);
    let width = out.width();
    let [r, g, b] = out.planes_mut();
    for (row, &(j0, j1, wy)) in rows.iter().enumerate() {
        for (col, &(i0, i1, wx)) in cols.iter().enumerate() {
            let sample = |p: &PlaneRef<'_, T>| {
                let top = p.at(i0, j0) + wx * (p.at(i1, j0) - p.at(i0, j0));
                let bottom = p.at(i0, j1) + wx * (p.at(i1, j1) - p.at(i0, j1));
                top + wy * (bottom - top)
            };
            let rgb = encoding.to_rgb(y.at(col, row), sample(&cb), sample(&cr));
            let k = row * width + col;
            r[k] = rgb[0];
            g[k] = rgb[1];
            b[k] = rgb[2];
        }
    }
}

/// Converts `rgb` (clamped to `[0, 1]`) into Y'CbCr planes, rounding to integer code values.
pub fn rgb_to_yuv_planes<T: Sample>(
    rgb: &RgbFrame,
    planes: [PlaneMut<'_, T>; 3],
    shift: (u32, u32),
    siting: Siting,
    encoding: Encoding,
) {
    let (w, h) = (rgb.width(), rgb.height());
    let pixel = |k: usize| {
        [
            rgb.plane(0)[k].clamp(0.0, 1.0),
            rgb.plane(1)[k].clamp(0.0, 1.0),
            rgb.plane(2)[k].clamp(0.0, 1.0),
        ]
    };
    let [y, cb, cr] = planes;
    for row in 0..h {
        for col in 0..w {
            let code = encoding.quantise(encoding.luma(pixel(row * w + col)));
            y.data[row * y.stride + col] = T::from_code(code);
        }
    }
    // Full-resolution chroma, filtered horizontally, then vertically.
    let (ox, oy) = siting.offset(shift.0, shift.1);
    let cols = downsample_axis(w, cb.width, shift.0, ox);
    let rows = downsample_axis(h, cb.height, shift.1, oy);
    let mut half = vec![(0.0f32, 0.0f32); cb.width * h];
    let mut full_row = vec![(0.0f32, 0.0f32); w];
    for row in 0..h {
        for (col, c) in full_row.iter_mut().enumerate() {
            *c = encoding.chroma(pixel(row * w + col));
        }
        for (cx, taps) in cols.iter().enumerate() {
            let mut acc = (0.0, 0.0);
            for &(x, wt) in taps {
                acc.0 += wt * full_row[x].0;
                acc.1 += wt * full_row[x].1;
            }
            half[row * cb.width + cx] = acc;
        }
    }
    for (cy, taps) in rows.iter().enumerate() {
        for cx in 0..cb.width {
            let mut acc = (0.0, 0.0);
            for &(yy, wt) in taps {
                let v = half[yy * cb.width + cx];
                acc.0 += wt * v.0;
                acc.1 += wt * v.1;
            }
            cb.data[cy * cb.stride + cx] = T::from_code(encoding.quantise(acc.0));
            cr.data[cy * cr.stride + cx] = T::from_code(encoding.quantise(acc.1));
        }
    }
}
