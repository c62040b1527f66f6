//! Layers whose parameters come from the state dict: convolutions, transposed convolutions.

use super::builder::GraphBuilder;
use super::error::GraphError;
use super::weights_access::Weights;

/// Geometry of a square-kernel convolution layer stored under one state-dict prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvSpec {
    pub in_ch: usize,
    pub out_ch: usize,
    pub kernel: usize,
    pub stride: i64,
    pub pad: i64,
}

impl ConvSpec {
    /// 3x3, stride 1, pad 1.
    pub(crate) fn same3(in_ch: usize, out_ch: usize) -> Self {
        Self {
            in_ch,
            out_ch,
            kernel: 3,
            stride: 1,
            pad: 1,
        }
    }

    /// 3x3, stride 2, pad 1.
    pub(crate) fn down3(in_ch: usize, out_ch: usize) -> Self {
        Self {
            stride: 2,
            ..Self::same3(in_ch, out_ch)
        }
    }

    /// 4x4, stride 2, pad 1 (transposed: doubles H and W).
    pub(crate) fn up4(in_ch: usize, out_ch: usize) -> Self {
        Self {
            in_ch,
            out_ch,
            kernel: 4,
            stride: 2,
            pad: 1,
        }
    }
}

/// `Conv` with `{prefix}.weight` (`out, in, k, k`) and `{prefix}.bias` (`out`).
pub(crate) fn conv(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
) -> Result<String, GraphError> {
    let (wk, bk) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
    let k = Some(s.kernel);
    let wt = w.get(&wk, &[Some(s.out_ch), Some(s.in_ch), k, k])?;
    let bt = w.get(&bk, &[Some(s.out_ch)])?;
    let wn = g.weight(&wk, wt);
    let bn = g.weight(&bk, bt);
    Ok(g.conv(x, &wn, &bn, s.stride, s.pad))
}

/// [`conv`] of `diag(in_scale) x`: the weights of input channel `c` multiplied by
/// `in_scale[c]` (exact for the signs the SRVGG graph folds in).
pub(crate) fn conv_scaled_inputs(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
    in_scale: &[f32],
) -> Result<String, GraphError> {
    if in_scale.len() != s.in_ch {
        return Err(GraphError::Unsupported(format!(
            "{prefix}: {} input scales for {} channels",
            in_scale.len(),
            s.in_ch
        )));
    }
    let (wk, bk) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
    let k = Some(s.kernel);
    let wt = w.get(&wk, &[Some(s.out_ch), Some(s.in_ch), k, k])?;
    let bt = w.get(&bk, &[Some(s.out_ch)])?;
    let taps = s.kernel * s.kernel;
    let scaled: Vec<f32> = wt
        .data
        .chunks_exact(taps)
        .enumerate()
        .flat_map(|(i, kernel)| {
            let f = in_scale[i % s.in_ch];
            kernel.iter().map(move |v| v * f)
        })
        .collect();
    let wn = g.const_f32(&wk, &wt.shape, &scaled);
    let bn = g.weight(&bk, bt);
    Ok(g.conv(x, &wn, &bn, s.stride, s.pad))
}

/// `ConvTranspose` with `{prefix}.weight` (`in, out, k, k`) and `{prefix}.bias` (`out`).
pub(crate) fn conv_transpose(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
) -> Result<String, GraphError> {
    let (wk, bk) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
    let k = Some(s.kernel);
    let wt = w.get(&wk, &[Some(s.in_ch), Some(s.out_ch), k, k])?;
    let bt = w.get(&bk, &[Some(s.out_ch)])?;
    let wn = g.weight(&wk, wt);
    let bn = g.weight(&bk, bt);
    Ok(g.conv_transpose(x, &wn, &bn, s.stride, s.pad))
}

/// `Conv` followed by LeakyReLU(0.2).
pub(crate) fn conv_lrelu(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
) -> Result<String, GraphError> {
    let y = conv(g, w, prefix, x, s)?;
    Ok(g.leaky_relu(&y, 0.2))
}

/// A 4x4 stride-2 transposed convolution followed by `PixelShuffle(shuffle)` (1: none): as
/// written (`ConvTranspose`, `DepthToSpace`) or, with `as_conv`, as
/// [`conv_transpose_up4_as_conv`].
pub(crate) fn up4_shuffled(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
    shuffle: usize,
    as_conv: bool,
) -> Result<String, GraphError> {
    if as_conv {
        return conv_transpose_up4_as_conv(g, w, prefix, x, s, shuffle);
    }
    let t = conv_transpose(g, w, prefix, x, s)?;
    Ok(if shuffle > 1 {
        g.depth_to_space_crd(&t, shuffle as i64)
    } else {
        t
    })
}

/// [`conv_transpose`] with kernel 4, stride 2, pad 1, followed by PyTorch's
/// `PixelShuffle(shuffle)` (1: none), as one 3x3 convolution (pad 1) and one `DepthToSpace`
/// (CRD, block `2 * shuffle`).
///
/// Output pixel `2i + a` of the transposed convolution reads input pixels `i - 1 + t` for the
/// taps `t` of a 3x3 window with kernel index `a + 3 - 2t` (two of the three are in range), so
/// each output phase `(a, b)` is a 3x3 convolution with a zero row and column; the four phases
/// become four times the channels, interleaved so that one `DepthToSpace` puts every value
/// where the transposed convolution and the shuffle put it. ONNX Runtime runs `ConvTranspose`
/// as a GEMM and a scalar col2im pass, several times slower than its blocked 3x3 convolution
/// even with the zero taps (2.25 times the multiply-adds).
pub(crate) fn conv_transpose_up4_as_conv(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    s: ConvSpec,
    shuffle: usize,
) -> Result<String, GraphError> {
    let (wk, bk) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
    let wt = w.get(&wk, &[Some(s.in_ch), Some(s.out_ch), Some(4), Some(4)])?;
    let bt = w.get(&bk, &[Some(s.out_ch)])?;
    let r = shuffle.max(1);
    if !s.out_ch.is_multiple_of(r * r) {
        return Err(GraphError::Unsupported(format!(
            "{prefix}: {} channels do not shuffle by {r}",
            s.out_ch
        )));
    }
    let (conv_w, conv_b) = phase_conv_weights(&wt.data, &bt.data, s.in_ch, s.out_ch, r);
    let out_ch = 4 * s.out_ch;
    let wn = g.const_f32(&wk, &[out_ch, s.in_ch, 3, 3], &conv_w);
    let bn = g.const_f32(&bk, &[out_ch], &conv_b);
    let y = g.conv(x, &wn, &bn, 1, 1);
    Ok(g.depth_to_space_crd(&y, 2 * r as i64))
}

/// The 3x3 weights (`4 * out_ch, in_ch, 3, 3`) and biases of [`conv_transpose_up4_as_conv`]
/// from a transposed convolution's (`in_ch, out_ch, 4, 4`): the value of transposed channel
/// `c * r * r + p * r + q` at phase `(a, b)` goes to channel
/// `c * 4 * r * r + (a * r + p) * 2r + (b * r + q)`.
fn phase_conv_weights(
    wt: &[f32],
    bias: &[f32],
    in_ch: usize,
    out_ch: usize,
    r: usize,
) -> (Vec<f32>, Vec<f32>) {
    let mut w = vec![0.0; 4 * out_ch * in_ch * 9];
    let mut b = vec![0.0; 4 * out_ch];
    // The kernel index of 3x3 tap `t` at phase `a`, when in range.
    let tap = |a: usize, t: usize| (a + 3).checked_sub(2 * t).filter(|&k| k < 4);
    for ct in 0..out_ch {
        let (c, p, q) = (ct / (r * r), ct / r % r, ct % r);
        for (a, bx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let oc = c * 4 * r * r + (a * r + p) * 2 * r + (bx * r + q);
            b[oc] = bias[ct];
            for ic in 0..in_ch {
                for ty in 0..3 {
                    for tx in 0..3 {
                        if let (Some(ky), Some(kx)) = (tap(a, ty), tap(bx, tx)) {
                            w[((oc * in_ch + ic) * 3 + ty) * 3 + tx] =
                                wt[((ic * out_ch + ct) * 4 + ky) * 4 + kx];
                        }
                    }
                }
            }
        }
    }
    (w, b)
}

#[cfg(test)]
mod tests;
