//! RIFE's backward warp: `grid_sample(bilinear, border, align_corners=True)` on a base grid plus
//! the normalised flow, with the grid kept in fp32 by explicit casts. The grid and the sampling
//! are built as exact nodes ([`GraphBuilder::exact`]), so a half-precision graph keeps them fp32.

use super::builder::GraphBuilder;
use super::proto::DataType;

/// The custom operator domain of the CPU runner's graphs.
pub const CPU_WARP_DOMAIN: &str = "ai.smoothscale.cpu";
/// The CPU runner's warp operator (`crate::models::runtime::warp`): [`WarpGrid::warp_all`] as
/// one node, inputs `flow` (N,2,H,W, pixels, x then y) and one or more `x` (N,C,H,W), one output
/// per `x`. It computes the sampling grid with the same fp32 operations as the graph
/// (`base + flow / half`) and samples as `GridSample` (bilinear, border, `align_corners`) does.
pub const CPU_WARP_OP: &str = "BackwardWarp";

/// The sampling grid shared by every warp of one graph (all warps run at full resolution).
pub(crate) struct WarpGrid {
    /// Base grid `1,H,W,2`: x from -1 to 1 over the columns, y over the rows.
    base: String,
    /// `[(W-1)/2, (H-1)/2]`, the flow normalisation, shape `2`.
    half: String,
    /// Whether the warps use [`CPU_WARP_OP`] instead of the standard `GridSample`.
    pub(crate) cpu_op: bool,
}

/// `torch.linspace(-1, 1, n)` in fp32, computed as torch does (from both ends).
pub fn linspace_pm1(n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![-1.0];
    }
    let step = 2.0f32 / (n - 1) as f32;
    let half = n / 2;
    (0..n)
        .map(|i| {
            if i < half {
                -1.0 + step * i as f32
            } else {
                1.0 - step * (n - 1 - i) as f32
            }
        })
        .collect()
}

impl WarpGrid {
    /// A grid for fixed `(h, w)`, from constants.
    pub(crate) fn fixed(g: &mut GraphBuilder, h: usize, w: usize) -> Self {
        g.exact(|g| Self::fixed_exact(g, h, w))
    }

    fn fixed_exact(g: &mut GraphBuilder, h: usize, w: usize) -> Self {
        let xs = g.const_f32("grid_x", &[1, 1, w, 1], &linspace_pm1(w));
        let ys = g.const_f32("grid_y", &[1, h, 1, 1], &linspace_pm1(h));
        let shape = g.ints("grid_shape", &[1, h as i64, w as i64, 1]);
        let half = [(w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0];
        let half = g.const_f32("grid_half", &[2], &half);
        Self::assemble(g, &xs, &ys, &shape, half)
    }

    /// A grid computed at run time from the spatial size of `reference` (an NCHW value).
    pub(crate) fn dynamic(g: &mut GraphBuilder, reference: &str) -> Self {
        g.exact(|g| Self::dynamic_exact(g, reference))
    }

    fn dynamic_exact(g: &mut GraphBuilder, reference: &str) -> Self {
        let hw = g.shape(reference, 2, 4);
        let hw_f = g.cast(&hw, DataType::Float);
        let one = g.scalar("one", 1.0);
        let two = g.scalar("two", 2.0);
        let hw_m1 = g.sub(&hw_f, &one);
        let hw_half = g.div(&hw_m1, &two);
        let order = g.ints("wh_order", &[1, 0]);
        let half = g.op("Gather", &[&hw_half, &order], vec![]);
        let mut axes = Vec::with_capacity(2);
        for (axis, target) in [(1i64, [1i64, 1, -1, 1]), (0, [1, -1, 1, 1])] {
            let idx = g.const_i64("dim_index", &[], &[axis]);
            let len = g.op("Gather", &[&hw_f, &idx], vec![]);
            let zero = g.scalar("zero", 0.0);
            let idx_f = g.op("Range", &[&zero, &len, &one], vec![]);
            let len_m1 = g.sub(&len, &one);
            let step = g.div(&two, &len_m1);
            // As torch.linspace: the first half from -1 upwards, the rest from 1 downwards.
            let from_start = g.mul(&idx_f, &step);
            let from_start = g.sub(&from_start, &one);
            let rev = g.sub(&len_m1, &idx_f);
            let from_end = g.mul(&rev, &step);
            let from_end = g.sub(&one, &from_end);
            let half_len = g.div(&len, &two);
            let half_len = g.op("Floor", &[&half_len], vec![]);
            let first = g.op("Less", &[&idx_f, &half_len], vec![]);
            let lin = g.op("Where", &[&first, &from_start, &from_end], vec![]);
            let target = g.ints("grid_axis_shape", &target);
            axes.push(g.reshape(&lin, &target));
        }
        let ends = g.ints("one_i64", &[1]);
        let shape = g.concat(&[&ends, &hw, &ends], 0);
        Self::assemble(g, &axes[0], &axes[1], &shape, half)
    }

    fn assemble(g: &mut GraphBuilder, xs: &str, ys: &str, shape: &str, half: String) -> Self {
        let gx = g.expand(xs, shape);
        let gy = g.expand(ys, shape);
        let base = g.concat(&[&gx, &gy], 3);
        Self {
            base,
            half,
            cpu_op: false,
        }
    }

    /// Backward-warps `x` (NCHW) by the 2-channel flow `flow` (pixels, x then y).
    pub(crate) fn warp(&self, g: &mut GraphBuilder, x: &str, flow: &str) -> String {
        let [y] = self.warp_all(g, [x], flow);
        y
    }

    /// Backward-warps each of `xs` by the same flow: one [`CPU_WARP_OP`] node for all of them
    /// (the sampling positions computed once), or one `GridSample` each.
    pub(crate) fn warp_all<const K: usize>(
        &self,
        g: &mut GraphBuilder,
        xs: [&str; K],
        flow: &str,
    ) -> [String; K] {
        let ys = g.exact(|g| self.sample_all(g, xs, flow));
        // Outside the exact region: back to the graph's arithmetic type (fp16 in a half graph).
        ys.map(|y| g.cast(&y, DataType::Float))
    }

    /// The fp32 part of [`WarpGrid::warp_all`]: the casts in, the grid and the sampling.
    fn sample_all<const K: usize>(
        &self,
        g: &mut GraphBuilder,
        xs: [&str; K],
        flow: &str,
    ) -> [String; K] {
        let flow = g.cast(flow, DataType::Float);
        let xs = xs.map(|x| g.cast(x, DataType::Float));
        if self.cpu_op {
            let mut inputs = vec![flow.as_str()];
            inputs.extend(xs.iter().map(String::as_str));
            let outs = g.custom_op_outputs(CPU_WARP_DOMAIN, CPU_WARP_OP, &inputs, K);
            std::array::from_fn(|k| outs[k].clone())
        } else {
            let nhwc = g.transpose(&flow, &[0, 2, 3, 1]);
            let norm = g.div(&nhwc, &self.half);
            let grid = g.add(&norm, &self.base);
            xs.map(|x| g.grid_sample(&x, &grid))
        }
    }
}
