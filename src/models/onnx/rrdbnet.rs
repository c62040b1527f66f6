//! Real-ESRGAN RRDBNet (x4plus, x2plus, anime_6B, x1) as an ONNX graph.

use prost::Message;

use super::builder::{Dim, GraphBuilder};
use super::error::GraphError;
use super::hparams::RrdbParams;
use super::layers::{conv, conv_lrelu, ConvSpec};
use super::proto::{DataType, ModelProto};
use super::weights_access::Weights;
use super::GraphShape;
use crate::models::weights::StateDict;

/// Residual dense block: five convs over the growing concatenation, `x5 * 0.2 + x`.
fn rdb(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    prefix: &str,
    x: &str,
    p: &RrdbParams,
) -> Result<String, GraphError> {
    let mut feats = vec![x.to_owned()];
    for i in 1..=5 {
        let input = if feats.len() == 1 {
            x.to_owned()
        } else {
            let refs: Vec<&str> = feats.iter().map(String::as_str).collect();
            g.concat(&refs, 1)
        };
        let in_ch = p.nf + (i - 1) * p.gc;
        let key = format!("{prefix}.conv{i}");
        if i < 5 {
            let y = conv_lrelu(g, w, &key, &input, ConvSpec::same3(in_ch, p.gc))?;
            feats.push(y);
        } else {
            feats.push(conv(g, w, &key, &input, ConvSpec::same3(in_ch, p.nf))?);
        }
    }
    let x5 = feats.last().map_or(x, String::as_str).to_owned();
    let scaled = g.mul_scalar(&x5, 0.2);
    Ok(g.add(&scaled, x))
}

/// Builds the RRDBNet graph. Input `input` (N,3,H,W), output `out` (N,3,sH,sW), not clamped.
/// For scale 2 (or 1) H and W must be divisible by 2 (or 4).
pub fn rrdbnet_model(sd: &StateDict, shape: GraphShape) -> Result<ModelProto, GraphError> {
    let p = RrdbParams::from_state_dict(sd)?;
    let r = p.unshuffle();
    if let Some((h, w)) = shape.size {
        if h == 0 || w == 0 || h % r != 0 || w % r != 0 {
            return Err(GraphError::InvalidSize {
                width: w,
                height: h,
                reason: format!("RRDBNet x{} needs sizes divisible by {r}", p.scale),
            });
        }
    }
    let wts = Weights::new(sd);
    let mut g = GraphBuilder::new("rrdbnet");
    let n = Dim::fixed_or(shape.batch, "batch");
    let (h, w) = (shape.size.map(|s| s.0), shape.size.map(|s| s.1));
    let dims_in = [
        n.clone(),
        Dim::Fixed(3),
        Dim::fixed_or(h, "height"),
        Dim::fixed_or(w, "width"),
    ];
    let x = g.input("input", DataType::Float, &dims_in);
    let feat_in = if r > 1 {
        g.pixel_unshuffle(&x, 3, r)
    } else {
        x.clone()
    };
    let nf = p.nf;
    let feat = conv(
        &mut g,
        &wts,
        "conv_first",
        &feat_in,
        ConvSpec::same3(p.in_channels(), nf),
    )?;
    let mut body = feat.clone();
    for i in 0..p.nb {
        let block_in = body.clone();
        for j in 1..=3 {
            body = rdb(&mut g, &wts, &format!("body.{i}.rdb{j}"), &body, &p)?;
        }
        let scaled = g.scale_channels(&body, &vec![0.2; nf]);
        body = g.add(&scaled, &block_in);
    }
    let body = conv(&mut g, &wts, "conv_body", &body, ConvSpec::same3(nf, nf))?;
    let mut f = g.add(&feat, &body);
    for key in ["conv_up1", "conv_up2"] {
        let up = g.resize_nearest(&f, 2.0);
        f = conv_lrelu(&mut g, &wts, key, &up, ConvSpec::same3(nf, nf))?;
    }
    let hr = conv_lrelu(&mut g, &wts, "conv_hr", &f, ConvSpec::same3(nf, nf))?;
    let out = conv(&mut g, &wts, "conv_last", &hr, ConvSpec::same3(nf, 3))?;
    wts.check_all_used(&[])?;
    let s = p.scale;
    let dims_out = [
        n,
        Dim::Fixed(3),
        Dim::fixed_or(h.map(|v| v * s), "out_height"),
        Dim::fixed_or(w.map(|v| v * s), "out_width"),
    ];
    g.output(&out, "out", DataType::Float, &dims_out);
    Ok(g.finish())
}

/// [`rrdbnet_model`] serialized to ONNX bytes.
pub fn rrdbnet(sd: &StateDict, shape: GraphShape) -> Result<Vec<u8>, GraphError> {
    Ok(rrdbnet_model(sd, shape)?.encode_to_vec())
}
