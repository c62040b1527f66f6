//! SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3) as an ONNX graph.

use prost::Message;

use super::builder::{Dim, GraphBuilder};
use super::error::GraphError;
use super::hparams::SrvggParams;
use super::layers::{conv, conv_scaled_inputs, ConvSpec};
use super::proto::{DataType, ModelProto};
use super::weights_access::Weights;
use super::GraphShape;
use crate::models::weights::StateDict;

/// PReLU with per-channel slopes `{prefix}.weight` (shape `nf`) as `(y, sign)` with
/// `PReLU(x) = sign * y` per channel, `y = a * x + Relu(k * x)`, `k = 1 - slope`, and
/// `a = slope, sign = 1` where `k >= 0`, `a = -1, sign = -1` where `k < 0` (then
/// `Relu(k * x) = k * min(x, 0)`, so `-y = x - k * min(x, 0)`, which is PReLU); the caller
/// folds the signs into the next convolution's weights (exact). Equal to PReLU up to the
/// rounding of one addition. The exported graph is this one too.
///
/// ONNX Runtime's `PRelu` kernel branches per element: it took 31% of the graph's time, ten
/// times a vectorised pass. Here both scalings are batch normalisations, which ONNX Runtime
/// runs as depthwise convolutions in its blocked (NCHWc) layout, with the `Relu` fused into the
/// first and the `Add` into the second: two passes over the feature map and the body never
/// leaves the layout. TensorRT fuses the same scale layers into the convolution.
fn prelu(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    nf: usize,
) -> Result<(String, Vec<f32>), GraphError> {
    let slope = &w.get(&format!("{prefix}.weight"), &[Some(nf)])?.data;
    let rest: Vec<f32> = slope.iter().map(|a| 1.0 - a).collect();
    let sign: Vec<f32> = rest
        .iter()
        .map(|&k| if k >= 0.0 { 1.0 } else { -1.0 })
        .collect();
    let direct: Vec<f32> = slope
        .iter()
        .zip(&sign)
        .map(|(&a, &s)| if s > 0.0 { a } else { -1.0 })
        .collect();
    let kept = g.scale_channels(x, &rest);
    let kept = g.relu(&kept);
    let scaled = g.scale_channels(x, &direct);
    Ok((g.add(&scaled, &kept), sign))
}

/// Each of the 3 channels of `x` repeated `r` times in a row (channel `c` of the result is
/// channel `c / r` of `x`), as a 1x1 `Conv` with 0/1 weights (exact).
///
/// `DepthToSpace(s)` (CRD) of this with `r = s * s` is the nearest `s`-times upsampling of `x`,
/// so the residual add happens before the pixel shuffle: ONNX Runtime fuses it into the last
/// convolution (a summed input in the blocked layout) instead of running a `Resize` and an
/// `Add` at the output's resolution (4–7 ms against 0.7 ms at 256x256, per-node profile).
fn repeat_channels(g: &mut GraphBuilder, x: &str, r: usize) -> String {
    let mut w = vec![0.0f32; 3 * r * 3];
    for (o, v) in w.chunks_exact_mut(3).enumerate() {
        v[o / r] = 1.0;
    }
    let wn = g.const_f32("repeat_weight", &[3 * r, 3, 1, 1], &w);
    let bn = g.const_f32("repeat_bias", &[3 * r], &vec![0.0; 3 * r]);
    g.conv(x, &wn, &bn, 1, 0)
}

/// Builds the SRVGGNetCompact graph: input `input` (N,3,H,W), output `out` (N,3,sH,sW),
/// `PixelShuffle(s)(body(x)) + nearest_up_s(x)` (computed as `PixelShuffle(s)(body(x) +
/// repeat(x))`, see [`repeat_channels`]), not clamped.
pub fn srvgg_model(sd: &StateDict, shape: GraphShape) -> Result<ModelProto, GraphError> {
    let p = SrvggParams::from_state_dict(sd)?;
    if let Some((h, w)) = shape.size {
        if h == 0 || w == 0 {
            return Err(GraphError::InvalidSize {
                width: w,
                height: h,
                reason: "empty frame".to_owned(),
            });
        }
    }
    let wts = Weights::new(sd);
    let mut g = GraphBuilder::new("srvgg_compact");
    let n = Dim::fixed_or(shape.batch, "batch");
    let (h, w) = (shape.size.map(|s| s.0), shape.size.map(|s| s.1));
    let dims_in = [
        n.clone(),
        Dim::Fixed(3),
        Dim::fixed_or(h, "height"),
        Dim::fixed_or(w, "width"),
    ];
    let x = g.input("input", DataType::Float, &dims_in);
    let nf = p.nf;
    let mut f = conv(&mut g, &wts, "body.0", &x, ConvSpec::same3(3, nf))?;
    let (mut f_act, mut sign) = prelu(&mut g, &wts, "body.1", &f, nf)?;
    for k in 0..p.num_conv {
        let c = 2 + 2 * k;
        let spec = ConvSpec::same3(nf, nf);
        f = conv_scaled_inputs(&mut g, &wts, &format!("body.{c}"), &f_act, spec, &sign)?;
        (f_act, sign) = prelu(&mut g, &wts, &format!("body.{}", c + 1), &f, nf)?;
    }
    let s = p.scale;
    let last = format!("body.{}", 2 + 2 * p.num_conv);
    let spec = ConvSpec::same3(nf, 3 * s * s);
    f = conv_scaled_inputs(&mut g, &wts, &last, &f_act, spec, &sign)?;
    let base = repeat_channels(&mut g, &x, s * s);
    let summed = g.add(&f, &base);
    let out = g.depth_to_space_crd(&summed, s as i64);
    wts.check_all_used(&[])?;
    let dims_out = [
        n,
        Dim::Fixed(3),
        Dim::fixed_or(h.map(|v| v * s), "out_height"),
        Dim::fixed_or(w.map(|v| v * s), "out_width"),
    ];
    g.output(&out, "out", DataType::Float, &dims_out);
    Ok(g.finish())
}

/// [`srvgg_model`] serialized to ONNX bytes.
pub fn srvgg(sd: &StateDict, shape: GraphShape) -> Result<Vec<u8>, GraphError> {
    Ok(srvgg_model(sd, shape)?.encode_to_vec())
}
