//! RIFE v4.25 IFNet (feature encoder + five IFBlocks + backward warps) as an ONNX graph.

use prost::Message;

use super::builder::{Dim, GraphBuilder};
use super::error::GraphError;
use super::hparams::RifeParams;
use super::layers::{conv, conv_lrelu, conv_transpose, up4_shuffled, ConvSpec};
use super::proto::{DataType, ModelProto};
use super::warp::WarpGrid;
use super::weights_access::Weights;
use super::GraphShape;
use crate::models::weights::StateDict;

/// The IFBlock scales at model scale 1.0.
pub const BASE_SCALES: [f32; 5] = [16.0, 8.0, 4.0, 2.0, 1.0];
/// Key prefixes of training-only tensors that the graph ignores.
pub const IGNORED_PREFIXES: [&str; 2] = ["teacher.", "caltime."];
const RES_CONVS: usize = 8;

/// Channels of the encoder's features.
pub const FEATURE_CHANNELS: usize = 4;

/// Which part of IFNet a graph holds. The encoder's features depend on one frame only, so a
/// runner that sees each source frame in two pairs computes them once and feeds the flow part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RifePart {
    /// `img0`, `img1`, `timestep` → `out`: the exported interface.
    #[default]
    Whole,
    /// `img` → `out` (N,4,H,W features): the feature encoder alone (its output named `out`, as
    /// every graph's is).
    Encoder,
    /// `img0`, `img1`, `feat0`, `feat1`, `timestep` → `out`: everything after the encoder.
    FromFeatures,
}

/// How to build the IFNet graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RifeOptions {
    /// Batch and frame size (H and W must suit the scales: multiples of 64 at scale 1.0).
    pub shape: GraphShape,
    /// The user's model scale: block scales are `16, 8, 4, 2, 1` divided by it.
    pub model_scale: f32,
    /// The part of the network to build.
    pub part: RifePart,
    /// The CPU runner's graph: warp with its own operator ([`super::warp::CPU_WARP_OP`], same
    /// sampling) instead of the standard `GridSample`, and the full-resolution block's
    /// transposed convolution as a convolution and `DepthToSpace`
    /// ([`super::layers::conv_transpose_up4_as_conv`], equal up to rounding). For ONNX Runtime
    /// only; exported graphs and TensorRT use the standard forms.
    pub cpu_warp: bool,
}

impl Default for RifeOptions {
    fn default() -> Self {
        Self {
            shape: GraphShape::default(),
            model_scale: 1.0,
            part: RifePart::Whole,
            cpu_warp: false,
        }
    }
}

/// The feature encoder: clamp, three convs with LeakyReLU, a transposed conv (4 channels).
fn encode(g: &mut GraphBuilder, w: &Weights<'_>, img: &str) -> Result<String, GraphError> {
    let x = g.clip(img, 0.0, 1.0);
    let x = conv_lrelu(g, w, "encode.cnn0", &x, ConvSpec::down3(3, 16))?;
    let x = conv_lrelu(g, w, "encode.cnn1", &x, ConvSpec::same3(16, 16))?;
    let x = conv_lrelu(g, w, "encode.cnn2", &x, ConvSpec::same3(16, 16))?;
    // Kept on the CPU too: ONNX Runtime's ConvTranspose is faster than the phase convolution
    // at this size (16 to 4 channels; measured 1.2x the time).
    conv_transpose(g, w, "encode.cnn3", &x, ConvSpec::up4(16, 4))
}

/// Outputs of one IFBlock.
struct BlockOut {
    flow: String,
    mask: String,
    feat: String,
}

/// Which IFBlock to build and how.
struct BlockSpec {
    idx: usize,
    /// Channels of its body.
    c: usize,
    /// Its scale: the input is resized by `1 / scale`.
    scale: f32,
    /// The CPU runner's graph (see [`RifeOptions::cpu_warp`]).
    cpu: bool,
}

/// One IFBlock; `flow` is the previous flow estimate (none for block 0).
fn if_block(
    g: &mut GraphBuilder,
    w: &Weights<'_>,
    spec: &BlockSpec,
    x: &str,
    flow: Option<&str>,
) -> Result<BlockOut, GraphError> {
    let BlockSpec { idx, c, scale, cpu } = *spec;
    let p = format!("block{idx}");
    let identity = scale == 1.0;
    let mut x = if identity {
        x.to_owned()
    } else {
        g.resize_bilinear(x, 1.0 / scale)
    };
    let mut in_ch = 15;
    if let Some(flow) = flow {
        let f = if identity {
            flow.to_owned()
        } else {
            let f = g.resize_bilinear(flow, 1.0 / scale);
            g.mul_scalar(&f, 1.0 / scale)
        };
        x = g.concat(&[&x, &f], 1);
        in_ch = 28;
    }
    let half = c / 2;
    let x = conv_lrelu(
        g,
        w,
        &format!("{p}.conv0.0.0"),
        &x,
        ConvSpec::down3(in_ch, half),
    )?;
    let mut x = conv_lrelu(
        g,
        w,
        &format!("{p}.conv0.1.0"),
        &x,
        ConvSpec::down3(half, c),
    )?;
    for k in 0..RES_CONVS {
        let prefix = format!("{p}.convblock.{k}");
        let y = conv(g, w, &format!("{prefix}.conv"), &x, ConvSpec::same3(c, c))?;
        let beta_key = format!("{prefix}.beta");
        let beta_t = w.get(&beta_key, &[Some(1), Some(c), Some(1), Some(1)])?;
        let beta = g.weight(&beta_key, beta_t);
        let y = g.mul(&y, &beta);
        let y = g.add(&y, &x);
        x = g.leaky_relu(&y, 0.2);
    }
    // The full-resolution block's transposed convolution is the graph's largest; the others
    // are faster as they are (ONNX Runtime, 2 threads, 256x256: 0.53x at 64x64 input, 1.2x at
    // 32x32 and below).
    let up = ConvSpec::up4(c, 52);
    let t = up4_shuffled(g, w, &format!("{p}.lastconv.0"), &x, up, 2, cpu && identity)?;
    let t = if identity {
        t
    } else {
        g.resize_bilinear(&t, scale)
    };
    let flow = g.slice(&t, 1, 0, 4);
    let flow = if identity {
        flow
    } else {
        g.mul_scalar(&flow, scale)
    };
    Ok(BlockOut {
        flow,
        mask: g.slice(&t, 1, 4, 5),
        feat: g.slice(&t, 1, 5, 13),
    })
}

fn check_size(h: usize, w: usize, scales: &[f32]) -> Result<(), GraphError> {
    for &s in scales {
        for v in [h, w] {
            let reduced = v as f64 / f64::from(s);
            let r = reduced.round();
            if v == 0 || (reduced - r).abs() > 1e-9 || !(r as usize).is_multiple_of(4) {
                return Err(GraphError::InvalidSize {
                    width: w,
                    height: h,
                    reason: format!("every side divided by the block scale {s} must be a multiple of 4 (at model scale 1.0: multiples of 64)"),
                });
            }
        }
    }
    Ok(())
}

/// Builds IFNet v4.25 (or the part `opts.part` names). Inputs `img0`, `img1` (N,3,H,W, RGB in
/// [0,1]) and `timestep` (N,1,1,1); output `out` (N,3,H,W). Keys `teacher.*` and `caltime.*` are
/// ignored (and those of the part not built); any other unused key is an error.
pub fn rife_model(sd: &StateDict, opts: RifeOptions) -> Result<ModelProto, GraphError> {
    let params = RifeParams::from_state_dict(sd)?;
    let ms = opts.model_scale;
    if !ms.is_finite() || ms <= 0.0 {
        return Err(GraphError::Unsupported(format!("model scale {ms}")));
    }
    let scales = BASE_SCALES.map(|s| s / ms);
    let size = opts.shape.size;
    if let Some((h, w)) = size {
        check_size(h, w, &scales)?;
    }
    let wts = Weights::new(sd);
    let mut g = GraphBuilder::new("rife_v4_25");
    let n = Dim::fixed_or(opts.shape.batch, "batch");
    let (h, w) = (size.map(|s| s.0), size.map(|s| s.1));
    let img_dims = [
        n.clone(),
        Dim::Fixed(3),
        Dim::fixed_or(h, "height"),
        Dim::fixed_or(w, "width"),
    ];
    if opts.part == RifePart::Encoder {
        let img = g.input("img", DataType::Float, &img_dims);
        let feat = encode(&mut g, &wts, &img)?;
        let mut ignored = IGNORED_PREFIXES.to_vec();
        ignored.push("block");
        wts.check_all_used(&ignored)?;
        g.output(&feat, "out", DataType::Float, &feature_dims(&img_dims));
        return Ok(g.finish());
    }
    let img0 = g.input("img0", DataType::Float, &img_dims);
    let img1 = g.input("img1", DataType::Float, &img_dims);
    let features = match opts.part {
        RifePart::FromFeatures => {
            let dims = feature_dims(&img_dims);
            Some((
                g.input("feat0", DataType::Float, &dims),
                g.input("feat1", DataType::Float, &dims),
            ))
        }
        _ => None,
    };
    let t_dims = [n, Dim::Fixed(1), Dim::Fixed(1), Dim::Fixed(1)];
    let timestep = g.input("timestep", DataType::Float, &t_dims);

    let (grid, plane_shape) = match size {
        Some((h, w)) => {
            let shape = g.ints("plane_shape", &[1, 1, h as i64, w as i64]);
            (WarpGrid::fixed(&mut g, h, w), shape)
        }
        None => {
            let grid = WarpGrid::dynamic(&mut g, &img0);
            let ones = g.ints("plane_head", &[1, 1]);
            let hw = g.shape(&img0, 2, 4);
            (grid, g.concat(&[&ones, &hw], 0))
        }
    };
    let mut grid = grid;
    grid.cpu_op = opts.cpu_warp;
    let t_plane = g.expand(&timestep, &plane_shape);
    let features_given = features.is_some();
    let (f0, f1) = match features {
        Some(pair) => pair,
        None => (encode(&mut g, &wts, &img0)?, encode(&mut g, &wts, &img1)?),
    };

    let x = g.concat(&[&img0, &img1, &f0, &f1, &t_plane], 1);
    let block = |idx: usize| BlockSpec {
        idx,
        c: params.block_channels[idx],
        scale: scales[idx],
        cpu: opts.cpu_warp,
    };
    let mut state = if_block(&mut g, &wts, &block(0), &x, None)?;
    let mut flow_a = g.slice(&state.flow, 1, 0, 2);
    let mut flow_b = g.slice(&state.flow, 1, 2, 4);
    for i in 1..5 {
        // Each frame and its features move by the same flow: one warp node on the CPU.
        let [w0, wf0] = grid.warp_all(&mut g, [&img0, &f0], &flow_a);
        let [w1, wf1] = grid.warp_all(&mut g, [&img1, &f1], &flow_b);
        let parts = [
            w0.as_str(),
            &w1,
            &wf0,
            &wf1,
            &t_plane,
            &state.mask,
            &state.feat,
        ];
        let x = g.concat(&parts, 1);
        let next = if_block(&mut g, &wts, &block(i), &x, Some(&state.flow))?;
        let flow = g.add(&state.flow, &next.flow);
        state = BlockOut { flow, ..next };
        flow_a = g.slice(&state.flow, 1, 0, 2);
        flow_b = g.slice(&state.flow, 1, 2, 4);
    }
    let w0 = grid.warp(&mut g, &img0, &flow_a);
    let w1 = grid.warp(&mut g, &img1, &flow_b);
    let m = g.sigmoid(&state.mask);
    let one = g.scalar("one", 1.0);
    let inv = g.sub(&one, &m);
    let a = g.mul(&w0, &m);
    let b = g.mul(&w1, &inv);
    let out = g.add(&a, &b);
    let mut ignored = IGNORED_PREFIXES.to_vec();
    if features_given {
        ignored.push("encode.");
    }
    wts.check_all_used(&ignored)?;
    g.output(&out, "out", DataType::Float, &img_dims);
    Ok(g.finish())
}

/// The encoder's output dimensions for images of `img_dims`.
fn feature_dims(img_dims: &[Dim; 4]) -> [Dim; 4] {
    let mut dims = img_dims.clone();
    dims[1] = Dim::Fixed(FEATURE_CHANNELS);
    dims
}

/// [`rife_model`] serialized to ONNX bytes.
pub fn rife(sd: &StateDict, opts: RifeOptions) -> Result<Vec<u8>, GraphError> {
    Ok(rife_model(sd, opts)?.encode_to_vec())
}
