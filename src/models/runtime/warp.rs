//! RIFE's backward warp for the CPU runner: `grid_sample(bilinear, padding border,
//! align_corners)` as PyTorch defines it, registered with ONNX Runtime as the custom operator
//! [`WARP_OP`] in the domain [`WARP_DOMAIN`].
//!
//! ONNX Runtime's own `GridSample` kernel recomputes the sampling position per channel with
//! per-element branches: on a 256x256 RIFE call its 18 warps took half the time (about 3 ms per
//! channel). This one computes each position once per output row and reads the four taps of
//! every channel from it. Only the CPU graph uses it ([`crate::models::onnx::RifeOptions`]'s
//! `cpu_warp`); the exported graph, which TensorRT compiles, keeps the standard `GridSample`, and
//! the tests check the two against each other.

use std::ops::Range;
use std::sync::Mutex;

use ort::operator::{
    ComputeContext, Kernel, KernelContext, Operator, OperatorDomain, OperatorInput, OperatorOutput,
};
use ort::value::TensorElementType;

pub use crate::models::onnx::warp::{CPU_WARP_DOMAIN as WARP_DOMAIN, CPU_WARP_OP as WARP_OP};

/// Sizes of one warp: the input `n, c, h, w` and the output `ho, wo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarpDims {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub ho: usize,
    pub wo: usize,
}

/// The four taps of one sampling position: top-left index in its plane, the step to the right
/// and down neighbours (0 at the last column or row), and their weights.
#[derive(Debug, Clone, Copy)]
struct Taps {
    at: usize,
    right: usize,
    down: usize,
    weights: [f32; 4],
}

/// Where `coord` (in [-1, 1] for the first to the last sample) samples a line of `size`: the
/// `align_corners` position clipped to the line (`border`), as PyTorch computes it.
fn position(coord: f32, size: usize) -> f32 {
    let last = (size - 1) as f32;
    // `max` first: a NaN coordinate becomes 0 instead of reaching the index cast.
    (((coord + 1.0) / 2.0) * last).max(0.0).min(last)
}

fn taps(gx: f32, gy: f32, h: usize, w: usize) -> Taps {
    let (ix, iy) = (position(gx, w), position(gy, h));
    let (x0, y0) = (ix.floor(), iy.floor());
    let (x1, y1) = (x0 + 1.0, y0 + 1.0);
    // PyTorch's weights: north-west, north-east, south-west, south-east.
    let weights = [
        (x1 - ix) * (y1 - iy),
        (ix - x0) * (y1 - iy),
        (x1 - ix) * (iy - y0),
        (ix - x0) * (iy - y0),
    ];
    let (xi, yi) = (x0 as usize, y0 as usize);
    // A tap beyond the last sample has weight 0 (the position was clipped); it reads the edge.
    Taps {
        at: yi * w + xi,
        right: usize::from(xi + 1 < w),
        down: if yi + 1 < h { w } else { 0 },
        weights,
    }
}

/// Output rows `rows` of image `n`: one slice per channel, each holding exactly those rows of
/// its output plane.
struct Band<'o> {
    n: usize,
    rows: Range<usize>,
    planes: Vec<&'o mut [f32]>,
}

/// Cuts `out` (`d.n, d.c, d.ho, d.wo`) into `per_image` bands of rows per image.
fn split_bands(out: &mut [f32], d: WarpDims, per_image: usize) -> Vec<Band<'_>> {
    let band_rows = d.ho.div_ceil(per_image.clamp(1, d.ho.max(1)));
    let mut bands = Vec::new();
    for (n, image) in out.chunks_mut(d.c * d.ho * d.wo).enumerate() {
        let first = bands.len();
        bands.extend((0..d.ho).step_by(band_rows.max(1)).map(|y| Band {
            n,
            rows: y..(y + band_rows).min(d.ho),
            planes: Vec::with_capacity(d.c),
        }));
        for plane in image.chunks_mut(d.ho * d.wo) {
            for (band, rows) in bands[first..]
                .iter_mut()
                .zip(plane.chunks_mut(band_rows * d.wo))
            {
                band.planes.push(rows);
            }
        }
    }
    bands
}

/// Fills one band: the taps of each output row are computed once and used for every channel.
fn warp_band(x: &[f32], grid: &[f32], d: WarpDims, band: &mut Band<'_>) {
    let plane = d.h * d.w;
    let mut row_taps = Vec::with_capacity(d.wo);
    for (r, y) in band.rows.clone().enumerate() {
        let g = &grid[(band.n * d.ho + y) * d.wo * 2..][..d.wo * 2];
        row_taps.clear();
        row_taps.extend(g.chunks_exact(2).map(|p| taps(p[0], p[1], d.h, d.w)));
        for (ch, dst) in band.planes.iter_mut().enumerate() {
            let src = &x[(band.n * d.c + ch) * plane..][..plane];
            let dst = &mut dst[r * d.wo..][..d.wo];
            for (o, t) in dst.iter_mut().zip(&row_taps) {
                let [nw, ne, sw, se] = t.weights;
                let (a, b) = (src[t.at], src[t.at + t.right]);
                let (c, e) = (src[t.at + t.down], src[t.at + t.down + t.right]);
                *o = a * nw + b * ne + c * sw + e * se;
            }
        }
    }
}

fn check_sizes(x: &[f32], grid: &[f32], d: WarpDims, out: &[f32]) {
    assert_eq!(x.len(), d.n * d.c * d.h * d.w, "input size");
    assert_eq!(grid.len(), d.n * d.ho * d.wo * 2, "grid size");
    assert_eq!(out.len(), d.n * d.c * d.ho * d.wo, "output size");
}

/// Backward-warps `x` (`d.n, d.c, d.h, d.w`) at `grid` (`d.n, d.ho, d.wo, 2`) into `out`
/// (`d.n, d.c, d.ho, d.wo`) on up to `threads` scoped threads (bands of output rows). The
/// operator runs the same bands on ONNX Runtime's own thread pool instead.
///
/// # Panics
/// If a slice's length does not match `d` (the operator checks the shapes first).
pub fn warp(x: &[f32], grid: &[f32], d: WarpDims, out: &mut [f32], threads: usize) {
    check_sizes(x, grid, d, out);
    if d.h == 0 || d.w == 0 {
        out.fill(0.0);
        return;
    }
    let threads = threads.max(1);
    let mut bands = split_bands(out, d, threads);
    std::thread::scope(|s| {
        let mut groups: Vec<Vec<&mut Band<'_>>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, band) in bands.iter_mut().enumerate() {
            groups[i % threads].push(band);
        }
        for group in groups {
            s.spawn(move || {
                for band in group {
                    warp_band(x, grid, d, band);
                }
            });
        }
    });
}

/// The ONNX Runtime operator running [`warp`] with `threads` threads.
pub struct WarpOperator {
    pub threads: usize,
}

/// One node's kernel.
pub struct WarpKernel {
    threads: usize,
}

fn ort_error(message: String) -> ort::Error {
    ort::Error::new(message)
}

impl Operator for WarpOperator {
    type Kernel<'attr> = WarpKernel;

    fn name(&self) -> &str {
        WARP_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        [
            OperatorInput::required(TensorElementType::Float32),
            OperatorInput::required(TensorElementType::Float32),
        ]
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, _: &KernelContext<'attr>) -> ort::Result<WarpKernel> {
        Ok(WarpKernel {
            threads: self.threads,
        })
    }
}

impl Kernel for WarpKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let missing = |what: &str| ort_error(format!("{WARP_OP}: missing {what}"));
        let x = ctx.input(0)?.ok_or_else(|| missing("input x"))?;
        let grid = ctx.input(1)?.ok_or_else(|| missing("input grid"))?;
        let (x_shape, x) = x.try_extract_tensor::<f32>()?;
        let (g_shape, grid) = grid.try_extract_tensor::<f32>()?;
        let dims = |s: &[i64]| {
            s.iter()
                .map(|&v| usize::try_from(v).ok())
                .collect::<Option<Vec<_>>>()
        };
        let (xs, gs) = (dims(x_shape), dims(g_shape));
        let d = match (xs.as_deref(), gs.as_deref()) {
            (Some(&[n, c, h, w]), Some(&[gn, ho, wo, 2])) if gn == n => {
                WarpDims { n, c, h, w, ho, wo }
            }
            _ => {
                return Err(ort_error(format!(
                    "{WARP_OP}: x {x_shape:?} and grid {g_shape:?} are not N,C,H,W and N,Ho,Wo,2"
                )))
            }
        };
        let mut out = ctx
            .output(0, vec![d.n as i64, d.c as i64, d.ho as i64, d.wo as i64])?
            .ok_or_else(|| missing("output"))?;
        let (_, out) = out.try_extract_tensor_mut::<f32>()?;
        check_sizes(x, grid, d, out);
        if d.h == 0 || d.w == 0 {
            out.fill(0.0);
            return Ok(());
        }
        // Four bands per thread and image balance the pool; each band is locked by the one
        // iteration that fills it (uncontended), which makes the shared closure safe.
        let bands: Vec<Mutex<Band<'_>>> = split_bands(out, d, 4 * self.threads)
            .into_iter()
            .map(Mutex::new)
            .collect();
        ctx.par_for(bands.len(), bands.len(), |i| {
            let mut band = bands[i].lock().unwrap_or_else(|e| e.into_inner());
            warp_band(x, grid, d, &mut band);
        })
    }
}

/// The domain to register with every CPU session (unused by graphs without the operator).
pub fn operator_domain(threads: usize) -> ort::Result<OperatorDomain> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    };
    OperatorDomain::new(WARP_DOMAIN)?.add(WarpOperator { threads })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct, unthreaded transcription of PyTorch's bilinear border sampler.
    fn reference(x: &[f32], grid: &[f32], d: WarpDims) -> Vec<f32> {
        let mut out = vec![0.0; d.n * d.c * d.ho * d.wo];
        for n in 0..d.n {
            for y in 0..d.ho {
                for xo in 0..d.wo {
                    let g = &grid[((n * d.ho + y) * d.wo + xo) * 2..];
                    let t = taps(g[0], g[1], d.h, d.w);
                    for ch in 0..d.c {
                        let src = &x[(n * d.c + ch) * d.h * d.w..];
                        let v = [
                            src[t.at],
                            src[t.at + t.right],
                            src[t.at + t.down],
                            src[t.at + t.down + t.right],
                        ];
                        let o = &mut out[((n * d.c + ch) * d.ho + y) * d.wo + xo];
                        *o = v[0] * t.weights[0]
                            + v[1] * t.weights[1]
                            + v[2] * t.weights[2]
                            + v[3] * t.weights[3];
                    }
                }
            }
        }
        out
    }

    fn lcg(seed: &mut u32) -> f32 {
        *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (*seed >> 8) as f32 / 16_777_216.0
    }

    #[test]
    fn threads_and_bands_do_not_change_the_result() {
        let d = WarpDims {
            n: 2,
            c: 3,
            h: 7,
            w: 9,
            ho: 5,
            wo: 11,
        };
        let mut seed = 7;
        let x: Vec<f32> = (0..d.n * d.c * d.h * d.w).map(|_| lcg(&mut seed)).collect();
        // Positions from beyond the left/top border to beyond the right/bottom one.
        let grid: Vec<f32> = (0..d.n * d.ho * d.wo * 2)
            .map(|_| lcg(&mut seed) * 2.6 - 1.3)
            .collect();
        let want = reference(&x, &grid, d);
        for threads in [1, 2, 3, 5, 8] {
            let mut out = vec![f32::NAN; want.len()];
            warp(&x, &grid, d, &mut out, threads);
            assert_eq!(out, want, "{threads} threads");
        }
    }

    #[test]
    fn corners_identity_and_border() {
        // A 2x3 ramp sampled at its own grid positions is returned exactly; beyond the border
        // the edge value repeats; a NaN position reads the first sample.
        let (h, w) = (2usize, 3usize);
        let x: Vec<f32> = (0..h * w).map(|i| i as f32).collect();
        let d = WarpDims {
            n: 1,
            c: 1,
            h,
            w,
            ho: 1,
            wo: 5,
        };
        let grid = [
            -1.0,
            -1.0,
            0.0,
            1.0,
            1.0,
            1.0,
            5.0,
            -9.0,
            f32::NAN,
            f32::NAN,
        ];
        let mut out = vec![0.0; 5];
        warp(&x, &grid, d, &mut out, 2);
        assert_eq!(out, [0.0, 4.0, 5.0, 2.0, 0.0]);
    }

    #[test]
    fn half_way_is_the_mean_of_the_four_taps() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let d = WarpDims {
            n: 1,
            c: 1,
            h: 2,
            w: 2,
            ho: 1,
            wo: 1,
        };
        let mut out = [0.0];
        warp(&x, &[0.0, 0.0], d, &mut out, 1);
        assert_eq!(out[0], 1.5);
    }
}
