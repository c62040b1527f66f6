//! Half-precision graphs: one of our fp32 graphs rewritten so that its arithmetic runs in fp16,
//! for TensorRT's strongly typed networks (TensorRT 11 has no other kind, and a strongly typed
//! network on TensorRT 10 runs exactly the types its graph states).
//!
//! The rewrite keeps the graph's interface (float32 inputs and outputs, same names, same shapes):
//! each input is cast to fp16 where fp16 arithmetic first reads it and each output is cast back.
//! Weights become fp16 initializers. Nodes the builder marked exact ([`EXACT_PREFIX`]; RIFE's
//! sampling grid and warp) and nodes of custom domains stay fp32 and read fp32 values: the original
//! ones where they exist (an input image is warped from its float32 input, never through fp16),
//! otherwise a cast of the fp16 value. Where the original graph casts to float outside an exact
//! region, the rewritten one casts to fp16.
//!
//! Casts are made on demand and once per value and direction, so no value is converted twice.

use std::collections::{HashMap, HashSet};

use prost::Message as _;

use super::builder::attr_int;
use super::proto::{DataType, GraphProto, ModelProto, NodeProto, TensorProto};
use super::GraphError;

/// Node-name prefix of the nodes that stay fp32 in a half-precision graph.
pub const EXACT_PREFIX: &str = "fp32.";

const FLOAT: i32 = DataType::Float as i32;
const FLOAT16: i32 = DataType::Float16 as i32;

/// The operators the rewrite knows the typing rules of; any other is refused, so an operator added
/// to a builder later cannot be mistyped silently.
const KNOWN_OPS: &[&str] = &[
    "Add",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Conv",
    "ConvTranspose",
    "DepthToSpace",
    "Div",
    "Expand",
    "Floor",
    "Gather",
    "GridSample",
    "Identity",
    "LeakyRelu",
    "Less",
    "Mul",
    "PRelu",
    "Range",
    "Relu",
    "Reshape",
    "Resize",
    "Shape",
    "Sigmoid",
    "Slice",
    "Sub",
    "Transpose",
    "Where",
];

/// The serialized graph `onnx` rewritten for fp16 arithmetic (see the module documentation).
/// Meant for this crate's own graphs: decoding keeps only the fields [`super::proto`] declares.
pub fn half_graph(onnx: &[u8]) -> Result<Vec<u8>, GraphError> {
    let model = super::decode_model(onnx)?;
    Ok(to_half(model)?.encode_to_vec())
}

/// `model` rewritten for fp16 arithmetic (see the module documentation).
pub fn to_half(mut model: ModelProto) -> Result<ModelProto, GraphError> {
    let mut graph = model
        .graph
        .take()
        .ok_or_else(|| GraphError::Unsupported("the ONNX model has no graph".into()))?;
    let originals = std::mem::take(&mut graph.initializer);
    model.graph = Some(Rewrite::new(&graph, originals).run(graph)?);
    Ok(model)
}

/// The fp32 and fp16 names of one float value, as far as they exist yet.
#[derive(Default)]
struct Forms {
    f32: Option<String>,
    f16: Option<String>,
}

struct Rewrite {
    /// Element type of every value of the original graph.
    types: HashMap<String, i32>,
    forms: HashMap<String, Forms>,
    /// The original initializers.
    originals: Vec<TensorProto>,
    /// Where the float ones are in `originals`, converted to fp16 when fp16 arithmetic reads them.
    float_inits: HashMap<String, usize>,
    taken: HashSet<String>,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
}

impl Rewrite {
    /// The rewrite of `graph`, whose initializers (taken out of it) are `originals`.
    fn new(graph: &GraphProto, originals: Vec<TensorProto>) -> Self {
        let mut types = HashMap::new();
        let mut forms = HashMap::new();
        let mut taken = HashSet::new();
        for input in &graph.input {
            let name = input.name.clone().unwrap_or_default();
            let elem = input
                .r#type
                .as_ref()
                .and_then(|t| match &t.value {
                    Some(super::proto::type_proto::Value::TensorType(t)) => t.elem_type,
                    None => None,
                })
                .unwrap_or_default();
            types.insert(name.clone(), elem);
            forms.insert(name.clone(), fp32_form(&name));
            taken.insert(name);
        }
        let mut float_inits = HashMap::new();
        for (at, init) in originals.iter().enumerate() {
            let name = init.name.clone().unwrap_or_default();
            let elem = init.data_type.unwrap_or_default();
            types.insert(name.clone(), elem);
            forms.insert(name.clone(), fp32_form(&name));
            taken.insert(name.clone());
            if elem == FLOAT {
                float_inits.insert(name, at);
            }
        }
        for node in &graph.node {
            taken.extend(node.output.iter().cloned());
        }
        Rewrite {
            types,
            forms,
            originals,
            float_inits,
            taken,
            nodes: Vec::new(),
            inits: Vec::new(),
        }
    }

    fn run(mut self, mut graph: GraphProto) -> Result<GraphProto, GraphError> {
        let nodes = std::mem::take(&mut graph.node);
        for n in nodes {
            self.node(n)?;
        }
        for out in &graph.output {
            let name = out.name.clone().unwrap_or_default();
            let f32_name = self.form(&name, false)?;
            if f32_name != name {
                return Err(GraphError::Unsupported(format!(
                    "graph output `{name}` is not float32"
                )));
            }
        }
        // Keep the original initializers something still reads (an fp32 node, or a non-float one).
        let read: HashSet<&String> = self.nodes.iter().flat_map(|n| n.input.iter()).collect();
        let kept: Vec<TensorProto> = std::mem::take(&mut self.originals)
            .into_iter()
            .filter(|i| i.name.as_ref().is_some_and(|n| read.contains(n)))
            .collect();
        let mut inits = kept;
        inits.append(&mut self.inits);
        graph.node = self.nodes;
        graph.initializer = inits;
        graph.value_info.clear();
        Ok(graph)
    }

    fn fresh(&mut self, hint: &str) -> String {
        let mut candidate = hint.to_owned();
        let mut k = 0;
        while !self.taken.insert(candidate.clone()) {
            k += 1;
            candidate = format!("{hint}_{k}");
        }
        candidate
    }

    /// The name of `value` in the wanted precision (fp16 when `half`), made when missing. Values
    /// that are not float are returned as they are.
    fn form(&mut self, value: &str, half: bool) -> Result<String, GraphError> {
        if value.is_empty() || self.types.get(value) != Some(&FLOAT) {
            return Ok(value.to_owned());
        }
        let have = self.forms.entry(value.to_owned()).or_default();
        let (wanted, other) = if half {
            (have.f16.clone(), have.f32.clone())
        } else {
            (have.f32.clone(), have.f16.clone())
        };
        if let Some(name) = wanted {
            return Ok(name);
        }
        let name = if half {
            let name = self.fresh(&format!("{value}.f16"));
            if let Some(&at) = self.float_inits.get(value) {
                let converted = half_initializer(&self.originals[at], &name)?;
                self.inits.push(converted);
            } else {
                let from = other.ok_or_else(|| unknown(value))?;
                self.push_cast(&from, &name, FLOAT16);
            }
            name
        } else {
            // The fp32 form keeps the original name, which fp16-producing nodes leave free.
            let from = other.ok_or_else(|| unknown(value))?;
            self.taken.insert(value.to_owned());
            self.push_cast(&from, value, FLOAT);
            value.to_owned()
        };
        let have = self.forms.entry(value.to_owned()).or_default();
        if half {
            have.f16 = Some(name.clone());
        } else {
            have.f32 = Some(name.clone());
        }
        Ok(name)
    }

    fn push_cast(&mut self, from: &str, to_name: &str, to: i32) {
        let node_name = self.fresh(&format!("Cast_{to_name}"));
        self.nodes.push(NodeProto {
            input: vec![from.to_owned()],
            output: vec![to_name.to_owned()],
            name: Some(node_name),
            op_type: Some("Cast".into()),
            attribute: vec![attr_int("to", i64::from(to))],
            ..Default::default()
        });
    }

    fn node(&mut self, mut n: NodeProto) -> Result<(), GraphError> {
        let op = n.op_type.clone().unwrap_or_default();
        let custom = n.domain.as_deref().is_some_and(|d| !d.is_empty());
        if !custom && !KNOWN_OPS.contains(&op.as_str()) {
            return Err(GraphError::Unsupported(format!(
                "the fp16 rewrite does not know the operator {op}"
            )));
        }
        let exact = custom
            || op == "GridSample"
            || n.name
                .as_deref()
                .is_some_and(|s| s.starts_with(EXACT_PREFIX));
        let half = !exact;
        let in_types: Vec<i32> = n
            .input
            .iter()
            .map(|i| self.types.get(i).copied().unwrap_or_default())
            .collect();
        for (k, input) in n.input.clone().iter().enumerate() {
            n.input[k] = match (op.as_str(), k) {
                // Resize's roi and scales are float32 whatever the data is.
                ("Resize", 1 | 2) => self.form(input, false)?,
                // A cast or a shape reads either form; take the one already there.
                ("Cast" | "Shape", 0) => self.existing_form(input, half)?,
                _ => self.form(input, half)?,
            };
        }
        let out_type = output_type(&n, &op, &in_types);
        if op == "Cast" && half && out_type == FLOAT {
            set_cast_to(&mut n, FLOAT16);
        }
        for k in 0..n.output.len() {
            let value = n.output[k].clone();
            let elem = if custom { FLOAT } else { out_type };
            self.types.insert(value.clone(), elem);
            if elem != FLOAT {
                continue;
            }
            let forms = if half {
                self.taken.remove(&value);
                let renamed = self.fresh(&format!("{value}.f16"));
                n.output[k] = renamed.clone();
                Forms {
                    f32: None,
                    f16: Some(renamed),
                }
            } else {
                fp32_form(&value)
            };
            self.forms.insert(value, forms);
        }
        self.nodes.push(n);
        Ok(())
    }

    /// The form of `value` that exists, preferring fp16 when `half`.
    fn existing_form(&mut self, value: &str, half: bool) -> Result<String, GraphError> {
        let Some(have) = self.forms.get(value) else {
            return Ok(value.to_owned());
        };
        let (first, second) = if half {
            (&have.f16, &have.f32)
        } else {
            (&have.f32, &have.f16)
        };
        match first.as_ref().or(second.as_ref()) {
            Some(name) => Ok(name.clone()),
            None => self.form(value, half),
        }
    }
}

fn fp32_form(name: &str) -> Forms {
    Forms {
        f32: Some(name.to_owned()),
        f16: None,
    }
}

fn unknown(value: &str) -> GraphError {
    GraphError::Unsupported(format!("value `{value}` is read before it is made"))
}

/// The element type of a known operator's outputs, in the original graph's terms.
fn output_type(n: &NodeProto, op: &str, in_types: &[i32]) -> i32 {
    match op {
        "Cast" => n
            .attribute
            .iter()
            .find(|a| a.name.as_deref() == Some("to"))
            .and_then(|a| a.i)
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or_default(),
        "Shape" => DataType::Int64 as i32,
        "Less" => DataType::Bool as i32,
        "Where" => in_types.get(1).copied().unwrap_or_default(),
        _ => in_types.first().copied().unwrap_or_default(),
    }
}

fn set_cast_to(n: &mut NodeProto, to: i32) {
    for a in &mut n.attribute {
        if a.name.as_deref() == Some("to") {
            a.i = Some(i64::from(to));
        }
    }
}

/// The values of a float32 initializer.
pub(super) fn float_values(init: &TensorProto) -> Vec<f32> {
    match &init.raw_data {
        Some(raw) => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        None => init.float_data.clone(),
    }
}

/// A float initializer as an fp16 one called `name`; a value fp16 cannot hold is an error.
fn half_initializer(init: &TensorProto, name: &str) -> Result<TensorProto, GraphError> {
    let original = init.name.clone().unwrap_or_default();
    let values = float_values(init);
    let mut raw = Vec::with_capacity(values.len() * 2);
    for v in values {
        let h = half::f16::from_f32(v);
        if v.is_finite() && !h.is_finite() {
            return Err(GraphError::Unsupported(format!(
                "weight `{original}` holds {v}, beyond fp16's range"
            )));
        }
        raw.extend_from_slice(&h.to_bits().to_le_bytes());
    }
    Ok(TensorProto {
        dims: init.dims.clone(),
        data_type: Some(FLOAT16),
        name: Some(name.to_owned()),
        raw_data: Some(raw),
        ..Default::default()
    })
}

#[cfg(test)]
#[path = "half_tests.rs"]
mod tests;
