//! SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3) as an ONNX graph.

use prost::Message;

use super::builder::{Dim, GraphBuilder};
use super::error::GraphError;
use super::hparams::SrvggParams;
use super::layers::{conv, ConvSpec};
use super::proto::{DataType, ModelProto};
use super::weights_access::Weights;
use super::GraphShape;
use crate::models::weights::StateDict;

/// PReLU with per-channel slopes `{prefix}.weight` (shape `nf`), written
/// `slope * x + (1 - slope) * Relu(x)`: equal to PReLU up to the rounding of one addition
/// (for `x < 0` exactly `slope * x`; for `x > 0`, `slope * x + (1 - slope) * x`).
///
/// ONNX Runtime's `PRelu` kernel branches per element: it took 31% of the graph's time, ten
/// times a vectorised pass. Here the two scalings are batch normalisations, which ONNX Runtime
/// runs as depthwise convolutions in its blocked layout with the `Add` fused into the second,
/// and `Relu` keeps the layout too, so the body never leaves it (a `Mul`/`Max` form had to
/// leave and re-enter it around every layer). TensorRT fuses either form into the convolution.
fn prelu(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    nf: usize,
) -> Result<String, GraphError> {
    let slope = &w.get(&format!("{prefix}.weight"), &[Some(nf)])?.data;
    let rest: Vec<f32> = slope.iter().map(|a| 1.0 - a).collect();
    let positive = g.relu(x);
    let scaled = g.scale_channels(x, slope);
    let kept = g.scale_channels(&positive, &rest);
    Ok(g.add(&scaled, &kept))
}

/// Builds the SRVGGNetCompact graph: input `input` (N,3,H,W), output `out` (N,3,sH,sW),
/// `PixelShuffle(s)(body(x)) + nearest_up_s(x)`, not clamped.
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
    f = prelu(&mut g, &wts, "body.1", &f, nf)?;
    for k in 0..p.num_conv {
        let c = 2 + 2 * k;
        let spec = ConvSpec::same3(nf, nf);
        f = conv(&mut g, &wts, &format!("body.{c}"), &f, spec)?;
        f = prelu(&mut g, &wts, &format!("body.{}", c + 1), &f, nf)?;
    }
    let s = p.scale;
    let last = format!("body.{}", 2 + 2 * p.num_conv);
    f = conv(&mut g, &wts, &last, &f, ConvSpec::same3(nf, 3 * s * s))?;
    let shuffled = g.depth_to_space_crd(&f, s as i64);
    let base = g.resize_nearest(&x, s as f32);
    let out = g.add(&shuffled, &base);
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
