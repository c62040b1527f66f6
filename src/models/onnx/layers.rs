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
