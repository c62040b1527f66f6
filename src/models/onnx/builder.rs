//! A small helper to assemble an ONNX graph: unique value names, initializers and op helpers.

use std::collections::{HashMap, HashSet};

use super::proto::{
    tensor_shape_proto::{dimension, Dimension},
    type_proto, AttributeProto, AttributeType, DataType, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use crate::models::weights::Tensor;

/// Default-domain operator set the graphs target (GridSample needs 16 or later).
pub const OPSET_VERSION: i64 = 17;
/// ONNX IR version written into the model (IR 8 goes with opset 17).
pub const IR_VERSION: i64 = 8;

/// One dimension of a graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A size fixed when the graph is built.
    Fixed(usize),
    /// A size named symbolically and known only at run time.
    Named(String),
}

impl Dim {
    /// `Fixed(v)` when `v` is given, otherwise a symbolic dimension called `name`.
    pub fn fixed_or(v: Option<usize>, name: &str) -> Self {
        v.map_or_else(|| Dim::Named(name.to_owned()), Dim::Fixed)
    }
}

/// An integer attribute.
pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        i: Some(v),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }
}

/// A float attribute.
pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        f: Some(v),
        r#type: Some(AttributeType::Float as i32),
        ..Default::default()
    }
}

/// A string attribute.
pub fn attr_str(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        s: Some(v.as_bytes().to_vec()),
        r#type: Some(AttributeType::String as i32),
        ..Default::default()
    }
}

/// An integer-list attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_owned()),
        ints: v.to_vec(),
        r#type: Some(AttributeType::Ints as i32),
        ..Default::default()
    }
}

/// A value's name, element type and shape.
pub(crate) fn value_info(name: &str, elem: DataType, dims: &[Dim]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(v) => dimension::Value::DimValue(*v as i64),
                Dim::Named(s) => dimension::Value::DimParam(s.clone()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_owned()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
    }
}

/// Accumulates nodes, initializers, inputs and outputs, and hands out unique value names.
#[derive(Debug, Default)]
pub struct GraphBuilder {
    name: String,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    taken: HashSet<String>,
    weights: HashMap<String, String>,
    counter: usize,
    /// Custom operator domains the nodes use (`domain`, version), imported by [`Self::finish`].
    domains: Vec<(String, i64)>,
    /// Whether the nodes being added must stay fp32 in a half-precision graph.
    exact: bool,
}

impl GraphBuilder {
    /// An empty graph called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    /// A value name derived from `hint` that no other value uses.
    pub fn fresh(&mut self, hint: &str) -> String {
        if self.taken.insert(hint.to_owned()) {
            return hint.to_owned();
        }
        loop {
            self.counter += 1;
            let candidate = format!("{hint}_{}", self.counter);
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }

    /// Declares a graph input and returns its name (exactly `name` unless already taken).
    pub fn input(&mut self, name: &str, elem: DataType, dims: &[Dim]) -> String {
        let name = self.fresh(name);
        self.inputs.push(value_info(&name, elem, dims));
        name
    }

    /// Declares `value` as a graph output called `name` (through an Identity when they differ).
    pub fn output(&mut self, value: &str, name: &str, elem: DataType, dims: &[Dim]) -> String {
        let out = if value == name {
            value.to_owned()
        } else {
            let out = self.fresh(name);
            self.push_node("Identity", &[value], vec![], std::slice::from_ref(&out));
            out
        };
        self.outputs.push(value_info(&out, elem, dims));
        out
    }

    /// Adds an fp32 initializer with the given shape and returns its name.
    pub fn const_f32(&mut self, hint: &str, dims: &[usize], data: &[f32]) -> String {
        let name = self.fresh(hint);
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Float as i32),
            name: Some(name.clone()),
            raw_data: Some(raw),
            ..Default::default()
        });
        name
    }

    /// Adds an int64 initializer with the given shape and returns its name.
    pub fn const_i64(&mut self, hint: &str, dims: &[usize], data: &[i64]) -> String {
        let name = self.fresh(hint);
        let raw = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Int64 as i32),
            name: Some(name.clone()),
            raw_data: Some(raw),
            ..Default::default()
        });
        name
    }

    /// A 1-D int64 constant.
    pub fn ints(&mut self, hint: &str, data: &[i64]) -> String {
        self.const_i64(hint, &[data.len()], data)
    }

    /// A 0-D fp32 constant.
    pub fn scalar(&mut self, hint: &str, v: f32) -> String {
        self.const_f32(hint, &[], &[v])
    }

    /// The state-dict tensor `key` as an initializer named after it, reshaped to `dims`
    /// (same element count). Adding the same key twice returns the first initializer.
    pub fn weight_as(&mut self, key: &str, t: &Tensor, dims: &[usize]) -> String {
        if let Some(name) = self.weights.get(key) {
            return name.clone();
        }
        let name = self.const_f32(key, dims, &t.data);
        self.weights.insert(key.to_owned(), name.clone());
        name
    }

    /// The state-dict tensor `key` as an initializer with its own shape.
    pub fn weight(&mut self, key: &str, t: &Tensor) -> String {
        self.weight_as(key, t, &t.shape)
    }

    /// Runs `build` with every node it adds marked to stay fp32 when the graph is rewritten for
    /// fp16 arithmetic ([`super::half`]): their names start with [`super::half::EXACT_PREFIX`].
    pub fn exact<R>(&mut self, build: impl FnOnce(&mut Self) -> R) -> R {
        let outer = std::mem::replace(&mut self.exact, true);
        let r = build(self);
        self.exact = outer;
        r
    }

    fn push_node(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>, out: &[String]) {
        let prefix = if self.exact {
            super::half::EXACT_PREFIX
        } else {
            ""
        };
        let node_name = self.fresh(&format!("{prefix}{op}_node"));
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: out.to_vec(),
            name: Some(node_name),
            op_type: Some(op.to_owned()),
            attribute: attrs,
            ..Default::default()
        });
    }

    /// Appends a single-output node and returns its output name.
    pub fn op(&mut self, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let out = self.fresh(&op.to_ascii_lowercase());
        self.push_node(op, inputs, attrs, std::slice::from_ref(&out));
        out
    }

    /// Appends a node of the custom operator `op` in `domain` (version 1) with `outputs` outputs
    /// and returns their names; the domain is imported by [`Self::finish`].
    pub fn custom_op_outputs(
        &mut self,
        domain: &str,
        op: &str,
        inputs: &[&str],
        outputs: usize,
    ) -> Vec<String> {
        if !self.domains.iter().any(|(d, _)| d == domain) {
            self.domains.push((domain.to_owned(), 1));
        }
        let outs: Vec<String> = (0..outputs)
            .map(|_| self.fresh(&op.to_ascii_lowercase()))
            .collect();
        self.push_node(op, inputs, vec![], &outs);
        if let Some(node) = self.nodes.last_mut() {
            node.domain = Some(domain.to_owned());
        }
        outs
    }

    /// The finished model (opset [`OPSET_VERSION`], IR [`IR_VERSION`]).
    pub fn finish(self) -> ModelProto {
        ModelProto {
            ir_version: Some(IR_VERSION),
            producer_name: Some("smoothscale".to_owned()),
            producer_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            graph: Some(GraphProto {
                node: self.nodes,
                name: Some(self.name),
                initializer: self.initializers,
                input: self.inputs,
                output: self.outputs,
                ..Default::default()
            }),
            opset_import: std::iter::once((String::new(), OPSET_VERSION))
                .chain(self.domains)
                .map(|(domain, version)| OperatorSetIdProto {
                    domain: Some(domain),
                    version: Some(version),
                })
                .collect(),
            ..Default::default()
        }
    }
}
