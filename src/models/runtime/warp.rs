//! RIFE's backward warp for the CPU runner, registered with ONNX Runtime as the custom operator
//! [`WARP_OP`] in the domain [`WARP_DOMAIN`]: inputs `flow` (N,2,H,W, in pixels, x then y) and
//! one or more `x` (N,C,H,W, e.g. a frame and its features), one output per `x`.
//!
//! It computes what the exported graph computes with `Transpose`, `Div`, `Add` and `GridSample`
//! (bilinear, border, `align_corners`): the grid `base + flow / ((size - 1) / 2)` with the same
//! fp32 operations, then PyTorch's bilinear sampler. ONNX Runtime's `GridSample` kernel
//! recomputes the sampling position per channel with per-element branches, and took half of a
//! 256x256 RIFE call (about 3 ms per channel); here each position is computed once and serves
//! every channel. Only the CPU graph uses it ([`crate::models::onnx::RifeOptions`]'s
//! `cpu_warp`); exported graphs, which TensorRT compiles, keep the standard operators, and
//! `tests/runtime.rs` checks the two against each other.

use std::ops::Range;
use std::sync::Mutex;

use ort::operator::{
    ComputeContext, Kernel, KernelContext, Operator, OperatorDomain, OperatorInput, OperatorOutput,
};
use ort::value::TensorElementType;

use crate::models::onnx::warp::linspace_pm1;
pub use crate::models::onnx::warp::{CPU_WARP_DOMAIN as WARP_DOMAIN, CPU_WARP_OP as WARP_OP};

/// Sizes of one warp: `n` images of `h` x `w` (each warped input has its own channel count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarpDims {
    pub n: usize,
    pub h: usize,
    pub w: usize,
}

impl WarpDims {
    fn plane(&self) -> usize {
        self.h * self.w
    }
}

/// One warped input: its data (`n, channels, h, w`) and channel count.
#[derive(Debug, Clone, Copy)]
pub struct Planes<'a> {
    pub data: &'a [f32],
    pub channels: usize,
}

/// One axis of the sampling grid: the base positions in [-1, 1] and the flow normalisation.
struct Axis {
    base: Vec<f32>,
    half: f32,
    last: f32,
}

impl Axis {
    fn new(size: usize) -> Self {
        Axis {
            base: linspace_pm1(size),
            half: (size as f32 - 1.0) / 2.0,
            last: (size - 1) as f32,
        }
    }

    /// The clipped sample position of output index `i` moved by `flow` pixels, computed as the
    /// graph and PyTorch do: `g = base + flow / half`, then `((g + 1) / 2) * (size - 1)`.
    fn position(&self, i: usize, flow: f32) -> f32 {
        let g = self.base[i] + flow / self.half;
        let p = ((g + 1.0) / 2.0) * self.last;
        // Plain comparisons (one instruction each, where `f32::max` handles NaN at length): a
        // NaN position fails the first and becomes 0 instead of reaching the index cast.
        let p = if p > 0.0 { p } else { 0.0 };
        if p < self.last {
            p
        } else {
            self.last
        }
    }
}

/// The four taps of one sampling position: top-left index in its plane, the step to the right
/// and down neighbours (0 at the last column or row), and PyTorch's weights (north-west,
/// north-east, south-west, south-east).
#[derive(Debug, Clone, Copy)]
struct Taps {
    at: usize,
    right: usize,
    down: usize,
    weights: [f32; 4],
}

fn taps(ix: f32, iy: f32, w: usize, h: usize) -> Taps {
    // The positions are clipped to [0, size - 1], where truncation is `floor` (and, unlike
    // `floor` on baseline x86-64, not a libm call).
    // Through i32: one conversion instruction (f32 to usize needs a longer saturating sequence).
    let (xi, yi) = (ix as i32 as usize, iy as i32 as usize);
    let (x0, y0) = (xi as f32, yi as f32);
    let (x1, y1) = (x0 + 1.0, y0 + 1.0);
    let weights = [
        (x1 - ix) * (y1 - iy),
        (ix - x0) * (y1 - iy),
        (x1 - ix) * (iy - y0),
        (ix - x0) * (iy - y0),
    ];
    // A tap beyond the last sample has weight 0 (the position was clipped); it reads the edge.
    Taps {
        at: yi * w + xi,
        right: usize::from(xi + 1 < w),
        down: if yi + 1 < h { w } else { 0 },
        weights,
    }
}

/// Output rows `rows` of image `n`: one slice per channel of every output, in order, each
/// holding exactly those rows of its output plane.
struct Band<'o> {
    n: usize,
    rows: Range<usize>,
    planes: Vec<&'o mut [f32]>,
}

/// Cuts the outputs (each `d.n, channels, d.h, d.w`) into up to `per_image` bands of rows per
/// image.
fn split_bands<'o>(
    outs: Vec<(&'o mut [f32], usize)>,
    d: WarpDims,
    per_image: usize,
) -> Vec<Band<'o>> {
    let band_rows = d.h.div_ceil(per_image.clamp(1, d.h.max(1))).max(1);
    let mut images: Vec<_> = outs
        .into_iter()
        .map(|(out, c)| {
            out.chunks_mut(c * d.plane())
                .collect::<Vec<_>>()
                .into_iter()
        })
        .collect();
    let mut bands = Vec::new();
    for n in 0..d.n {
        let first = bands.len();
        bands.extend((0..d.h).step_by(band_rows).map(|y| Band {
            n,
            rows: y..(y + band_rows).min(d.h),
            planes: Vec::new(),
        }));
        for image in images.iter_mut().filter_map(Iterator::next) {
            for plane in image.chunks_mut(d.plane()) {
                let chunks = plane.chunks_mut(band_rows * d.w);
                for (band, rows) in bands[first..].iter_mut().zip(chunks) {
                    band.planes.push(rows);
                }
            }
        }
    }
    bands
}

/// Fills one band: the taps of each output row are computed once and used for every channel of
/// every input.
fn warp_band(flow: &[f32], xs: &[Planes<'_>], d: WarpDims, axes: &[Axis; 2], band: &mut Band<'_>) {
    let plane = d.plane();
    let flow = &flow[band.n * 2 * plane..][..2 * plane];
    let sources: Vec<&[f32]> = xs
        .iter()
        .flat_map(|x| {
            let image = &x.data[band.n * x.channels * plane..][..x.channels * plane];
            image.chunks_exact(plane)
        })
        .collect();
    let mut row_taps = Vec::with_capacity(d.w);
    for (r, y) in band.rows.clone().enumerate() {
        let fx = &flow[y * d.w..][..d.w];
        let fy = &flow[plane + y * d.w..][..d.w];
        row_taps.clear();
        row_taps.extend(
            fx.iter().zip(fy).enumerate().map(|(xo, (&u, &v))| {
                taps(axes[0].position(xo, u), axes[1].position(y, v), d.w, d.h)
            }),
        );
        for (src, dst) in sources.iter().zip(band.planes.iter_mut()) {
            let dst = &mut dst[r * d.w..][..d.w];
            for (o, t) in dst.iter_mut().zip(&row_taps) {
                let [nw, ne, sw, se] = t.weights;
                let (a, b) = (src[t.at], src[t.at + t.right]);
                let (c, e) = (src[t.at + t.down], src[t.at + t.down + t.right]);
                *o = a * nw + b * ne + c * sw + e * se;
            }
        }
    }
}

fn check_sizes(flow: &[f32], xs: &[Planes<'_>], d: WarpDims, outs: &[usize]) {
    let planes = d.n * d.plane();
    assert_eq!(flow.len(), planes * 2, "flow size");
    assert_eq!(xs.len(), outs.len(), "one output per input");
    for (x, out) in xs.iter().zip(outs) {
        assert_eq!(x.data.len(), planes * x.channels, "input size");
        assert_eq!(*out, planes * x.channels, "output size");
    }
}

/// Backward-warps each of `xs` by `flow` (`d.n, 2, d.h, d.w`) into the output of the same index
/// on up to `threads` scoped threads, in bands of output rows. The operator runs the same bands
/// on ONNX Runtime's own thread pool instead.
///
/// # Panics
/// If a slice's length does not match `d` (the operator checks the shapes first).
pub fn warp(flow: &[f32], xs: &[Planes<'_>], d: WarpDims, outs: Vec<&mut [f32]>, threads: usize) {
    check_sizes(
        flow,
        xs,
        d,
        &outs.iter().map(|o| o.len()).collect::<Vec<_>>(),
    );
    let axes = [Axis::new(d.w), Axis::new(d.h)];
    let threads = threads.max(1);
    let outs = outs
        .into_iter()
        .zip(xs)
        .map(|(o, x)| (o, x.channels))
        .collect();
    let mut bands = split_bands(outs, d, threads);
    let axes = &axes;
    std::thread::scope(|s| {
        let mut groups: Vec<Vec<&mut Band<'_>>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, band) in bands.iter_mut().enumerate() {
            groups[i % threads].push(band);
        }
        for group in groups {
            s.spawn(move || {
                for band in group {
                    warp_band(flow, xs, d, axes, band);
                }
            });
        }
    });
}

/// The ONNX Runtime operator running the warp on the session's thread pool, in bands of rows
/// (four per thread and image).
pub struct WarpOperator {
    pub threads: usize,
}

/// One node's kernel.
pub struct WarpKernel {
    threads: usize,
}

impl Operator for WarpOperator {
    type Kernel<'attr> = WarpKernel;

    fn name(&self) -> &str {
        WARP_OP
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        [
            OperatorInput::required(TensorElementType::Float32),
            OperatorInput::variadic(1).homogenous(TensorElementType::Float32),
        ]
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::variadic(1).homogenous(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, _: &KernelContext<'attr>) -> ort::Result<WarpKernel> {
        Ok(WarpKernel {
            threads: self.threads,
        })
    }
}

fn to_usize(shape: &[i64]) -> Option<Vec<usize>> {
    shape.iter().map(|&d| d.try_into().ok()).collect()
}

/// The warp's sizes from the flow's shape (N,2,H,W), and each input's channel count if its
/// shape is N,C,H,W with the same N, H and W.
fn dims(flow: &[i64], xs: &[&[i64]]) -> Option<(WarpDims, Vec<usize>)> {
    let d = match to_usize(flow)?.as_slice() {
        &[n, 2, h, w] if h > 0 && w > 0 => WarpDims { n, h, w },
        _ => return None,
    };
    let channels = xs
        .iter()
        .map(|x| match to_usize(x)?.as_slice() {
            &[n, c, h, w] if (n, h, w) == (d.n, d.h, d.w) => Some(c),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((d, channels))
}

impl Kernel for WarpKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let missing = |what: &str| ort::Error::new(format!("{WARP_OP}: missing {what}"));
        let count = ctx.num_inputs()?;
        let inputs = (0..count)
            .map(|i| ctx.input(i)?.ok_or_else(|| missing("an input")))
            .collect::<ort::Result<Vec<_>>>()?;
        let tensors = inputs
            .iter()
            .map(|v| v.try_extract_tensor::<f32>())
            .collect::<ort::Result<Vec<_>>>()?;
        let (flow_shape, flow) = tensors.first().ok_or_else(|| missing("flow"))?;
        let x_shapes: Vec<&[i64]> = tensors[1..].iter().map(|(s, _)| &***s).collect();
        let (d, channels) = dims(flow_shape, &x_shapes).ok_or_else(|| {
            ort::Error::new(format!(
                "{WARP_OP}: flow {flow_shape:?} and inputs {x_shapes:?} are not N,2,H,W and N,C,H,W"
            ))
        })?;
        let xs: Vec<Planes<'_>> = tensors[1..]
            .iter()
            .zip(&channels)
            .map(|((_, data), &channels)| Planes { data, channels })
            .collect();
        let mut outputs = Vec::with_capacity(xs.len());
        for (k, &c) in channels.iter().enumerate() {
            let shape = [d.n, c, d.h, d.w].map(|v| v as i64).to_vec();
            outputs.push(ctx.output(k, shape)?.ok_or_else(|| missing("an output"))?);
        }
        let mut outs = Vec::with_capacity(outputs.len());
        for out in &mut outputs {
            outs.push(out.try_extract_tensor_mut::<f32>()?.1);
        }
        check_sizes(
            flow,
            &xs,
            d,
            &outs.iter().map(|o| o.len()).collect::<Vec<_>>(),
        );
        let axes = [Axis::new(d.w), Axis::new(d.h)];
        let outs = outs.into_iter().zip(channels).collect();
        // Each band is locked by the one iteration that fills it (never contended), which is
        // what lets the pool's shared closure write to it.
        let bands: Vec<Mutex<Band<'_>>> = split_bands(outs, d, 4 * self.threads)
            .into_iter()
            .map(Mutex::new)
            .collect();
        ctx.par_for(bands.len(), bands.len(), |i| {
            let mut band = bands[i].lock().unwrap_or_else(|e| e.into_inner());
            warp_band(flow, &xs, d, &axes, &mut band);
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
mod tests;
