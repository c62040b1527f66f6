use super::{to_half, EXACT_PREFIX};
use crate::models::onnx::builder::{Dim, GraphBuilder};
use crate::models::onnx::proto::{DataType, GraphProto, ModelProto, NodeProto, TensorProto};
use crate::models::onnx::GraphError;

const F32: i32 = DataType::Float as i32;
const F16: i32 = DataType::Float16 as i32;

fn dims() -> Vec<Dim> {
    [1, 2, 4, 4].map(Dim::Fixed).to_vec()
}

/// x → Conv → (exact: cast to float, multiply by a constant) → cast to float → Relu → out.
fn small_graph(weight: f32) -> ModelProto {
    let mut g = GraphBuilder::new("small");
    let x = g.input("x", DataType::Float, &dims());
    let w = g.const_f32("w", &[2, 2, 1, 1], &[weight, 0.1, 0.2, 0.3]);
    let b = g.const_f32("b", &[2], &[0.0, 1.0]);
    let y = g.conv(&x, &w, &b, 1, 0);
    let scaled = g.exact(|g| {
        let y = g.cast(&y, DataType::Float);
        g.mul_scalar(&y, 0.5)
    });
    let back = g.cast(&scaled, DataType::Float);
    let r = g.relu(&back);
    g.output(&r, "out", DataType::Float, &dims());
    g.finish()
}

fn graph(m: &ModelProto) -> &GraphProto {
    m.graph.as_ref().unwrap()
}

fn producer<'a>(g: &'a GraphProto, value: &str) -> Option<&'a NodeProto> {
    g.node.iter().find(|n| n.output.iter().any(|o| o == value))
}

fn init<'a>(g: &'a GraphProto, name: &str) -> Option<&'a TensorProto> {
    g.initializer
        .iter()
        .find(|i| i.name.as_deref() == Some(name))
}

fn op(n: &NodeProto) -> &str {
    n.op_type.as_deref().unwrap_or_default()
}

fn cast_to(n: &NodeProto) -> Option<i64> {
    n.attribute.first().and_then(|a| a.i)
}

fn elem(v: &crate::models::onnx::proto::ValueInfoProto) -> Option<i32> {
    match v.r#type.as_ref()?.value.as_ref()? {
        crate::models::onnx::proto::type_proto::Value::TensorType(t) => t.elem_type,
    }
}

#[test]
fn arithmetic_turns_fp16_and_exact_nodes_stay_fp32() {
    let half = to_half(small_graph(1.0009766)).unwrap();
    let g = graph(&half);
    // The interface is unchanged: float32 in, float32 out, same names.
    assert_eq!(g.input.len(), 1);
    assert_eq!(g.input[0].name.as_deref(), Some("x"));
    assert_eq!(elem(&g.input[0]), Some(F32));
    assert_eq!(g.output[0].name.as_deref(), Some("out"));
    assert_eq!(elem(&g.output[0]), Some(F32));

    // The convolution reads x through a cast to fp16 and fp16 weights.
    let conv = g.node.iter().find(|n| op(n) == "Conv").unwrap();
    let cast_x = producer(g, &conv.input[0]).unwrap();
    assert_eq!(
        (op(cast_x), cast_to(cast_x)),
        ("Cast", Some(i64::from(F16)))
    );
    assert_eq!(cast_x.input, ["x"]);
    let w = init(g, &conv.input[1]).unwrap();
    assert_eq!(w.data_type, Some(F16));
    let raw = w.raw_data.as_ref().unwrap();
    let first = half::f16::from_bits(u16::from_le_bytes([raw[0], raw[1]]));
    assert_eq!(first, half::f16::from_f32(1.0009766));
    assert_eq!(init(g, &conv.input[2]).unwrap().data_type, Some(F16));

    // The exact multiplication keeps its fp32 constant and reads a cast to float.
    let mul = g.node.iter().find(|n| op(n) == "Mul").unwrap();
    assert!(mul.name.as_deref().unwrap().starts_with(EXACT_PREFIX));
    assert_eq!(init(g, &mul.input[1]).unwrap().data_type, Some(F32));
    let into_exact = producer(g, &mul.input[0]).unwrap();
    assert_eq!(cast_to(into_exact), Some(i64::from(F32)));

    // Leaving the exact region, the graph's cast to float is now a cast to fp16, and the output
    // is a cast of the fp16 Relu back to float32 under the output's own name.
    let relu = g.node.iter().find(|n| op(n) == "Relu").unwrap();
    let exit = producer(g, &relu.input[0]).unwrap();
    assert_eq!(cast_to(exit), Some(i64::from(F16)));
    assert_eq!(exit.input, mul.output);
    let last = producer(g, "out").unwrap();
    assert_eq!((op(last), cast_to(last)), ("Cast", Some(i64::from(F32))));
    // The Identity the builder put before the output reads the Relu in fp16.
    let identity = producer(g, &last.input[0]).unwrap();
    assert_eq!(op(identity), "Identity");

    // The fp32 weights nothing reads any more are gone.
    assert!(init(g, &conv.input[1].replace(".f16", "")).is_none());
}

#[test]
fn each_value_is_converted_once() {
    // x read by two fp16 nodes: one cast, shared.
    let mut g = GraphBuilder::new("twice");
    let x = g.input("x", DataType::Float, &dims());
    let a = g.relu(&x);
    let b = g.op("Sigmoid", &[&x], vec![]);
    let s = g.add(&a, &b);
    g.output(&s, "out", DataType::Float, &dims());
    let half = to_half(g.finish()).unwrap();
    let casts_of_x = graph(&half)
        .node
        .iter()
        .filter(|n| op(n) == "Cast" && n.input == ["x"])
        .count();
    assert_eq!(casts_of_x, 1);
}

#[test]
fn unknown_operators_and_out_of_range_weights_are_refused() {
    let mut g = GraphBuilder::new("unknown");
    let x = g.input("x", DataType::Float, &dims());
    let y = g.op("Softmax", &[&x], vec![]);
    g.output(&y, "out", DataType::Float, &dims());
    let e = to_half(g.finish()).unwrap_err();
    assert!(
        matches!(&e, GraphError::Unsupported(m) if m.contains("Softmax")),
        "{e}"
    );

    let e = to_half(small_graph(1.0e6)).unwrap_err();
    assert!(
        matches!(&e, GraphError::Unsupported(m) if m.contains("`w`") && m.contains("fp16")),
        "{e}"
    );
}

#[test]
fn exact_scopes_nest_and_end() {
    let mut g = GraphBuilder::new("scopes");
    let x = g.input("x", DataType::Float, &dims());
    let (inner, outer) = g.exact(|g| {
        let a = g.relu(&x);
        let b = g.exact(|g| g.relu(&a));
        let c = g.relu(&b);
        (b, c)
    });
    let after = g.relu(&outer);
    g.output(&after, "out", DataType::Float, &dims());
    let m = g.finish();
    let names: Vec<(&str, bool)> = graph(&m)
        .node
        .iter()
        .filter(|n| op(n) == "Relu")
        .map(|n| {
            let exact = n.name.as_deref().unwrap().starts_with(EXACT_PREFIX);
            (n.output[0].as_str(), exact)
        })
        .collect();
    assert_eq!(names.len(), 4);
    assert!(names[..3].iter().all(|(_, exact)| *exact), "{names:?}");
    assert!(!names[3].1, "{names:?}");
    assert_eq!(names[1].0, inner);
}
