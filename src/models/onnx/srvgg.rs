//! SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3) as an ONNX graph.

use prost::Message;

use super::builder::{Dim, GraphBuilder};
use super::error::GraphError;
use super::hparams::SrvggParams;
use super::layers::ConvSpec;
use super::proto::{DataType, ModelProto};
use super::weights_access::Weights;
use super::GraphShape;
use crate::models::weights::StateDict;

/// The body's PReLUs as `Max(x, slope * x)`, bit-identical to PReLU and without its operator.
///
/// ONNX Runtime's `PRelu` kernel branches per element: it took 31% of the graph's time, ten times
/// a vectorised `Mul` or `Max` pass over the same tensor. `Max(x, a * x)` is exactly PReLU for a
/// slope `a <= 1` (for `x < 0`, `a * x >= x`; for `x >= 0`, `a * x <= x`), and `Min(x, a * x)` is
/// for `a >= 1`. The released models have slopes on both sides of 1, so the channels whose slope
/// is above 1 are carried negated: their convolution's weights and bias are negated (the output
/// is exactly `-x`), `Max(-x, a * -x)` is exactly `-Min(x, a * x)`, and the next convolution
/// negates its weights for those input channels. Negation is exact in IEEE arithmetic, so the
/// graph computes the same numbers as PReLU would, in two vectorised passes.
struct SignedBody<'w, 'a> {
    w: &'w Weights<'a>,
    /// Sign of each channel of the current activation (+1, or -1 where it is carried negated).
    signs: Vec<f32>,
}

impl SignedBody<'_, '_> {
    /// Convolution `prefix` reading the current (signed) activation and writing its output
    /// channels multiplied by `out_signs`.
    fn conv(
        &mut self,
        g: &mut GraphBuilder,
        prefix: &str,
        x: &str,
        spec: ConvSpec,
        out_signs: Vec<f32>,
    ) -> Result<String, GraphError> {
        let (wk, bk) = (format!("{prefix}.weight"), format!("{prefix}.bias"));
        let k = Some(spec.kernel);
        let wt = self
            .w
            .get(&wk, &[Some(spec.out_ch), Some(spec.in_ch), k, k])?;
        let bt = self.w.get(&bk, &[Some(spec.out_ch)])?;
        let taps = spec.kernel * spec.kernel;
        let weights: Vec<f32> = wt
            .data
            .chunks_exact(spec.in_ch * taps)
            .zip(&out_signs)
            .flat_map(|(filter, &o)| {
                let signs = &self.signs;
                filter
                    .chunks_exact(taps)
                    .zip(signs)
                    .flat_map(move |(tap, &i)| tap.iter().map(move |&v| v * (o * i)))
            })
            .collect();
        let bias: Vec<f32> = bt.data.iter().zip(&out_signs).map(|(b, s)| b * s).collect();
        let wn = g.const_f32(&wk, &wt.shape, &weights);
        let bn = g.const_f32(&bk, &bt.shape, &bias);
        self.signs = out_signs;
        Ok(g.conv(x, &wn, &bn, spec.stride, spec.pad))
    }

    /// Convolution `prefix` followed by the PReLU `act` (slopes `act.weight`, shape `nf`).
    fn conv_prelu(
        &mut self,
        g: &mut GraphBuilder,
        prefix: &str,
        act: &str,
        x: &str,
        spec: ConvSpec,
    ) -> Result<String, GraphError> {
        let key = format!("{act}.weight");
        let slope = self.w.get(&key, &[Some(spec.out_ch)])?;
        let signs = slope
            .data
            .iter()
            .map(|&a| if a > 1.0 { -1.0 } else { 1.0 })
            .collect();
        let y = self.conv(g, prefix, x, spec, signs)?;
        let slope = g.weight_as(&key, slope, &[spec.out_ch, 1, 1]);
        let scaled = g.mul(&y, &slope);
        Ok(g.max(&y, &scaled))
    }
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
    let mut body = SignedBody {
        w: &wts,
        signs: vec![1.0; 3],
    };
    let mut f = body.conv_prelu(&mut g, "body.0", "body.1", &x, ConvSpec::same3(3, nf))?;
    for k in 0..p.num_conv {
        let c = 2 + 2 * k;
        let (conv, act) = (format!("body.{c}"), format!("body.{}", c + 1));
        f = body.conv_prelu(&mut g, &conv, &act, &f, ConvSpec::same3(nf, nf))?;
    }
    let s = p.scale;
    let last = format!("body.{}", 2 + 2 * p.num_conv);
    let unsigned = vec![1.0; 3 * s * s];
    f = body.conv(&mut g, &last, &f, ConvSpec::same3(nf, 3 * s * s), unsigned)?;
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
