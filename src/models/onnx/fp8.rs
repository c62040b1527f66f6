//! fp8 graphs: one of our fp32 graphs rewritten for fp16 arithmetic ([`super::half`]), with FP8
//! E4M3 quantize/dequantize pairs in front of its convolutions. TensorRT fuses each pair with the
//! convolution it feeds into an fp8 convolution with fp16 output (explicit quantization, in a
//! strongly typed network).
//!
//! - **Which convolutions** ([`sites`]): plain ones (one group) outside exact regions, whose weight
//!   is an initializer with input and output channel counts that are multiples of
//!   [`CHANNEL_MULTIPLE`]. TensorRT has no fp8 kernel for the 3-channel convolutions at a
//!   network's ends, so those stay fp16.
//! - **Scales**: an activation gets one scale, from its range measured on real frames
//!   ([`range_probe`]; `models::calibration` runs it), widened by [`HEADROOM`]. A weight gets one
//!   scale per output channel, from the weights themselves. Scales are fp16, because a
//!   DequantizeLinear yields its scale's type and the rest of the graph is fp16.
//! - **Keys**: ranges are keyed by the convolution's weight name, a state-dict key, which is the
//!   same in every shape of graph built from one model (node names need not be).
//!
//! The rewritten graph imports opset [`FP8_OPSET`], the first with float8 Q/DQ.

use std::collections::{BTreeMap, HashMap};

use half::f16;

use super::builder::{attr_int, value_info, Dim};
use super::half::{float_values, to_half, EXACT_PREFIX};
use super::proto::{DataType, GraphProto, ModelProto, NodeProto, TensorProto};
use super::GraphError;

/// Largest finite FP8 E4M3 value.
pub const FP8_MAX: f32 = 448.0;
/// Opset of an fp8 graph.
pub const FP8_OPSET: i64 = 19;
/// IR version of an fp8 graph (the first with float8 types).
pub const FP8_IR_VERSION: i64 = 9;
/// A convolution runs in fp8 only when its input and output channels are multiples of this.
pub const CHANNEL_MULTIPLE: i64 = 16;
/// Measured activation ranges are widened by this factor before they become scales, so that
/// frames brighter or busier than the calibration's still fit. E4M3 keeps its 3 mantissa bits over
/// its whole range, so the headroom costs precision only at the smallest values.
pub const HEADROOM: f32 = 2.0;
/// Smallest activation range a scale is made from (a range of zero has no scale).
const MIN_RANGE: f32 = 1e-3;

const FLOAT: i32 = DataType::Float as i32;
const FLOAT16: i32 = DataType::Float16 as i32;
const FLOAT8: i32 = DataType::Float8E4M3Fn as i32;

/// A convolution an fp8 graph quantizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The Conv node's name.
    pub node: String,
    /// The value it convolves.
    pub activation: String,
    /// Its weight initializer (a state-dict key): the key of its range.
    pub weight: String,
}

/// The convolutions of `graph` that an fp8 graph quantizes, in graph order.
pub fn sites(graph: &GraphProto) -> Vec<Site> {
    let inits: HashMap<&str, &TensorProto> = graph
        .initializer
        .iter()
        .filter_map(|i| Some((i.name.as_deref()?, i)))
        .collect();
    graph
        .node
        .iter()
        .filter_map(|n| {
            let name = n.name.as_deref()?;
            let plain = n.op_type.as_deref() == Some("Conv")
                && n.domain.as_deref().unwrap_or_default().is_empty()
                && !name.starts_with(EXACT_PREFIX)
                && n.attribute
                    .iter()
                    .all(|a| a.name.as_deref() != Some("group") || a.i == Some(1));
            let w = inits.get(n.input.get(1)?.as_str())?;
            let channels_fit =
                w.dims.len() == 4 && w.dims[..2].iter().all(|&c| c % CHANNEL_MULTIPLE == 0);
            (plain && channels_fit && w.data_type == Some(FLOAT)).then(|| Site {
                node: name.to_owned(),
                activation: n.input[0].clone(),
                weight: n.input[1].clone(),
            })
        })
        .collect()
}

/// One extra output of a [`range_probe`] graph: the largest magnitude of an activation, which
/// the convolutions with these weights read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutput {
    /// The graph output's name (a scalar).
    pub output: String,
    /// The weight names of the convolutions reading the activation.
    pub weights: Vec<String>,
}

/// `model` (an fp32 graph) with one scalar output more per activation an fp8 graph quantizes:
/// its largest magnitude, `ReduceMax(Abs(x))`. The original outputs come first, unchanged.
pub fn range_probe(mut model: ModelProto) -> Result<(ModelProto, Vec<ProbeOutput>), GraphError> {
    let graph = model.graph.as_mut().ok_or_else(no_graph)?;
    let mut by_activation: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for site in sites(graph) {
        by_activation
            .entry(site.activation)
            .or_default()
            .push(site.weight);
    }
    let mut probes = Vec::with_capacity(by_activation.len());
    for (k, (activation, weights)) in by_activation.into_iter().enumerate() {
        let abs = format!("fp8_probe_abs_{k}");
        let output = format!("fp8_probe_amax_{k}");
        graph
            .node
            .push(node("Abs", &format!("{abs}_node"), &[&activation], &abs));
        let mut reduce = node("ReduceMax", &format!("{output}_node"), &[&abs], &output);
        reduce.attribute.push(attr_int("keepdims", 0));
        graph.node.push(reduce);
        graph
            .output
            .push(value_info(&output, DataType::Float, &[] as &[Dim]));
        probes.push(ProbeOutput { output, weights });
    }
    Ok((model, probes))
}

/// `model` (an fp32 graph) rewritten for fp16 arithmetic with its [`sites`] quantized to fp8;
/// `ranges` holds each site's activation range by weight name, exactly the sites' weights.
pub fn to_fp8(model: ModelProto, ranges: &BTreeMap<String, f32>) -> Result<ModelProto, GraphError> {
    let graph = model.graph.as_ref().ok_or_else(no_graph)?;
    let sites = sites(graph);
    for (weight, &range) in ranges {
        if !sites.iter().any(|s| &s.weight == weight) {
            return Err(mismatch(format!(
                "has a range for `{weight}`, which no fp8 convolution of this graph reads"
            )));
        }
        if !(range.is_finite() && range >= 0.0) {
            return Err(mismatch(format!("has the range {range} for `{weight}`")));
        }
    }
    let mut weight_scales = HashMap::new();
    for site in &sites {
        if !ranges.contains_key(&site.weight) {
            return Err(mismatch(format!("has no range for `{}`", site.weight)));
        }
        let init = graph
            .initializer
            .iter()
            .find(|i| i.name.as_deref() == Some(site.weight.as_str()))
            .ok_or_else(|| no_value(&site.weight))?;
        weight_scales.insert(site.node.clone(), channel_scales(init)?);
    }
    let mut half = to_half(model)?;
    let graph = half.graph.as_mut().ok_or_else(no_graph)?;
    let mut quantized: HashMap<String, String> = HashMap::new();
    let mut nodes = Vec::with_capacity(graph.node.len() + 4 * sites.len());
    for mut n in std::mem::take(&mut graph.node) {
        let name = n.name.clone().unwrap_or_default();
        if let Some(site) = sites.iter().find(|s| s.node == name) {
            let activation = n.input[0].clone();
            let dequantized = match quantized.get(&activation) {
                Some(dq) => dq.clone(),
                None => {
                    let scale = activation_scale(ranges[&site.weight], &site.weight)?;
                    let dq = qdq(graph, &mut nodes, &activation, (&[scale], None))?;
                    quantized.insert(activation, dq.clone());
                    dq
                }
            };
            n.input[0] = dequantized;
            let weight = n.input[1].clone();
            n.input[1] = qdq(graph, &mut nodes, &weight, (&weight_scales[&name], Some(0)))?;
        }
        nodes.push(n);
    }
    graph.node = nodes;
    half.ir_version = Some(FP8_IR_VERSION.max(half.ir_version.unwrap_or(0)));
    for op in &mut half.opset_import {
        if op.domain.as_deref().unwrap_or_default().is_empty() {
            op.version = Some(FP8_OPSET.max(op.version.unwrap_or(0)));
        }
    }
    Ok(half)
}

/// The fp16 scale of an activation measured to reach `range`: the range widened by
/// [`HEADROOM`] maps to [`FP8_MAX`].
fn activation_scale(range: f32, weight: &str) -> Result<f16, GraphError> {
    let scale = at_least(range.max(MIN_RANGE) * HEADROOM / FP8_MAX);
    if scale.is_finite() {
        Ok(scale)
    } else {
        Err(GraphError::Unsupported(format!(
            "the activation read by `{weight}` reaches {range}, beyond what fp16 scales serve"
        )))
    }
}

/// One fp16 scale per output channel of a convolution weight: its largest magnitude maps to
/// [`FP8_MAX`] (an all-zero channel gets 1).
fn channel_scales(init: &TensorProto) -> Result<Vec<f16>, GraphError> {
    let values = float_values(init);
    let out = usize::try_from(init.dims[0]).unwrap_or(0).max(1);
    let per = values.len() / out;
    values
        .chunks(per.max(1))
        .map(|c| {
            let amax = c.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = if amax > 0.0 {
                at_least(amax / FP8_MAX)
            } else {
                f16::ONE
            };
            if scale.is_finite() && amax.is_finite() {
                Ok(scale)
            } else {
                Err(GraphError::Unsupported(format!(
                    "weight `{}` holds {amax}, beyond fp8 scales",
                    init.name.as_deref().unwrap_or_default()
                )))
            }
        })
        .collect()
}

/// The smallest fp16 value not below `v` (`v` positive), so that no value in range saturates.
fn at_least(v: f32) -> f16 {
    let h = f16::from_f32(v);
    if h.to_f32() >= v {
        h
    } else {
        f16::from_bits(h.to_bits() + 1)
    }
}

/// Adds a QuantizeLinear and a DequantizeLinear of `value` with `scales` (one for the tensor, or
/// one per slice along `axis`) and returns the dequantized value's name.
fn qdq(
    graph: &mut GraphProto,
    nodes: &mut Vec<NodeProto>,
    value: &str,
    (scales, axis): (&[f16], Option<i64>),
) -> Result<String, GraphError> {
    let dims: Vec<i64> = match axis {
        None => Vec::new(),
        Some(_) => vec![scales.len() as i64],
    };
    let scale = format!("fp8.scale.{value}");
    let zero = format!("fp8.zero.{value}");
    let raw = scales
        .iter()
        .flat_map(|s| s.to_bits().to_le_bytes())
        .collect();
    graph.initializer.push(tensor(&scale, &dims, FLOAT16, raw));
    graph
        .initializer
        .push(tensor(&zero, &dims, FLOAT8, vec![0; scales.len()]));
    let (q, dq) = (format!("{value}.fp8"), format!("{value}.dq"));
    let mut quantize = node(
        "QuantizeLinear",
        &format!("fp8.q.{value}"),
        &[value, &scale, &zero],
        &q,
    );
    let mut dequantize = node(
        "DequantizeLinear",
        &format!("fp8.dq.{value}"),
        &[&q, &scale, &zero],
        &dq,
    );
    if let Some(axis) = axis {
        quantize.attribute.push(attr_int("axis", axis));
        dequantize.attribute.push(attr_int("axis", axis));
    }
    nodes.push(quantize);
    nodes.push(dequantize);
    Ok(dq)
}

fn tensor(name: &str, dims: &[i64], data_type: i32, raw: Vec<u8>) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(data_type),
        name: Some(name.to_owned()),
        raw_data: Some(raw),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        name: Some(name.to_owned()),
        op_type: Some(op.to_owned()),
        ..Default::default()
    }
}

fn no_graph() -> GraphError {
    GraphError::Unsupported("the ONNX model has no graph".into())
}

fn no_value(name: &str) -> GraphError {
    GraphError::Unsupported(format!("the fp8 rewrite cannot find the weight `{name}`"))
}

fn mismatch(what: String) -> GraphError {
    GraphError::Unsupported(format!(
        "the fp8 calibration {what} (was it made for another model?)"
    ))
}

#[cfg(test)]
#[path = "fp8_tests.rs"]
mod tests;
