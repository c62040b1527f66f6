use std::collections::BTreeMap;

use half::f16;

use super::{at_least, range_probe, sites, to_fp8, FP8_MAX, FP8_OPSET, HEADROOM};
use crate::models::onnx::builder::{Dim, GraphBuilder};
use crate::models::onnx::proto::{DataType, GraphProto, ModelProto, NodeProto, TensorProto};

/// x (3 channels) → 1x1 conv to 16 → 3x3 conv 16 → 16 ("mid.weight") → 1x1 conv to 3 → out. Only
/// the middle convolution has channel counts fp8 kernels take.
fn three_convs() -> ModelProto {
    let mut g = GraphBuilder::new("three");
    let dims = |c: usize| [1, c, 4, 4].map(Dim::Fixed).to_vec();
    let x = g.input("x", DataType::Float, &dims(3));
    let ramp = |n: usize, amp: f32| -> Vec<f32> {
        (0..n)
            .map(|i| amp * ((i * 7 % 13) as f32 - 6.0) / 6.0)
            .collect()
    };
    let w1 = g.const_f32("first.weight", &[16, 3, 1, 1], &ramp(48, 0.5));
    let b1 = g.const_f32("first.bias", &[16], &[0.0; 16]);
    let mut mid = ramp(16 * 16 * 9, 0.25);
    // Channel 5 all zero, channel 6 with one large weight.
    mid[5 * 144..6 * 144].fill(0.0);
    mid[6 * 144 + 3] = 3.0;
    let w2 = g.const_f32("mid.weight", &[16, 16, 3, 3], &mid);
    let b2 = g.const_f32("mid.bias", &[16], &[0.1; 16]);
    let w3 = g.const_f32("last.weight", &[3, 16, 1, 1], &ramp(48, 0.5));
    let b3 = g.const_f32("last.bias", &[3], &[0.0; 3]);
    let y = g.conv(&x, &w1, &b1, 1, 0);
    let y = g.conv(&y, &w2, &b2, 1, 1);
    let y = g.conv(&y, &w3, &b3, 1, 0);
    g.output(&y, "out", DataType::Float, &dims(3));
    g.finish()
}

fn graph(m: &ModelProto) -> &GraphProto {
    m.graph.as_ref().unwrap()
}

fn ops(g: &GraphProto) -> Vec<&str> {
    g.node
        .iter()
        .map(|n| n.op_type.as_deref().unwrap_or_default())
        .collect()
}

fn init<'a>(g: &'a GraphProto, name: &str) -> &'a TensorProto {
    g.initializer
        .iter()
        .find(|i| i.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no initializer {name}"))
}

fn producer<'a>(g: &'a GraphProto, value: &str) -> &'a NodeProto {
    g.node
        .iter()
        .find(|n| n.output.iter().any(|o| o == value))
        .unwrap_or_else(|| panic!("nothing makes {value}"))
}

fn halves(t: &TensorProto) -> Vec<f32> {
    let raw = t.raw_data.as_ref().unwrap();
    raw.chunks_exact(2)
        .map(|b| f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
        .collect()
}

fn ranges(pairs: &[(&str, f32)]) -> BTreeMap<String, f32> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn only_convolutions_with_channel_multiples_of_16_are_sites() {
    let m = three_convs();
    let s = sites(graph(&m));
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].weight, "mid.weight");
    let conv = graph(&m)
        .node
        .iter()
        .find(|n| n.name.as_deref() == Some(s[0].node.as_str()))
        .unwrap();
    assert_eq!(conv.input[0], s[0].activation);
}

#[test]
fn the_probe_adds_one_scalar_maximum_per_activation() {
    let (probe, outputs) = range_probe(three_convs()).unwrap();
    let g = graph(&probe);
    assert_eq!(g.output.len(), 2);
    assert_eq!(g.output[0].name.as_deref(), Some("out"));
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].weights, vec!["mid.weight".to_string()]);
    assert_eq!(
        g.output[1].name.as_deref(),
        Some(outputs[0].output.as_str())
    );
    let reduce = producer(g, &outputs[0].output);
    assert_eq!(reduce.op_type.as_deref(), Some("ReduceMax"));
    let abs = producer(g, &reduce.input[0]);
    assert_eq!(abs.op_type.as_deref(), Some("Abs"));
    assert_eq!(abs.input[0], sites(graph(&three_convs()))[0].activation);
}

#[test]
fn the_site_reads_quantized_activation_and_weights_with_the_right_scales() {
    let m = to_fp8(three_convs(), &ranges(&[("mid.weight", 5.0)])).unwrap();
    assert!(m
        .opset_import
        .iter()
        .any(|o| o.domain.as_deref() == Some("") && o.version == Some(FP8_OPSET)));
    assert_eq!(m.ir_version, Some(9));
    let g = graph(&m);
    let kinds = ops(g);
    assert_eq!(kinds.iter().filter(|&&o| o == "QuantizeLinear").count(), 2);
    assert_eq!(
        kinds.iter().filter(|&&o| o == "DequantizeLinear").count(),
        2
    );
    let convs: Vec<&NodeProto> = g
        .node
        .iter()
        .filter(|n| n.op_type.as_deref() == Some("Conv"))
        .collect();
    // First and last convolutions read no dequantized value.
    for n in [convs[0], convs[2]] {
        for i in &n.input {
            let made_by_dq = g
                .node
                .iter()
                .any(|p| p.output.contains(i) && p.op_type.as_deref() == Some("DequantizeLinear"));
            assert!(!made_by_dq, "{:?} reads {i}", n.name);
        }
    }
    let mid = convs[1];
    let act_dq = producer(g, &mid.input[0]);
    let w_dq = producer(g, &mid.input[1]);
    assert_eq!(act_dq.op_type.as_deref(), Some("DequantizeLinear"));
    assert_eq!(w_dq.op_type.as_deref(), Some("DequantizeLinear"));
    // The activation scale: the range with headroom maps to the largest fp8 value, rounded up.
    let act_scale = halves(init(g, &act_dq.input[1]));
    assert_eq!(act_scale.len(), 1);
    let want = 5.0 * HEADROOM / FP8_MAX;
    assert!(
        act_scale[0] >= want && act_scale[0] < want * 1.001,
        "{act_scale:?}"
    );
    assert_eq!(init(g, &act_dq.input[2]).data_type, Some(17));
    // The weight scales: one per output channel, none saturating, an all-zero channel at 1.
    let w_scale = halves(init(g, &w_dq.input[1]));
    assert_eq!(w_scale.len(), 16);
    assert_eq!(w_scale[5], 1.0);
    assert!(w_scale[6] >= 3.0 / FP8_MAX && w_scale[6] < 3.0 / FP8_MAX * 1.001);
    assert!(w_scale[0] < w_scale[6]);
    assert!(w_dq
        .attribute
        .iter()
        .any(|a| a.name.as_deref() == Some("axis") && a.i == Some(0)));
    let w_q = producer(g, &w_dq.input[0]);
    assert_eq!(w_q.op_type.as_deref(), Some("QuantizeLinear"));
    assert_eq!(
        init(g, &w_q.input[0]).data_type,
        Some(10),
        "fp16 weights are quantized"
    );
}

#[test]
fn calibrations_for_another_graph_are_refused_by_name() {
    let missing = to_fp8(three_convs(), &BTreeMap::new()).unwrap_err();
    assert!(
        missing.to_string().contains("no range for `mid.weight`"),
        "{missing}"
    );
    let extra = ranges(&[("mid.weight", 1.0), ("body.3.weight", 1.0)]);
    let e = to_fp8(three_convs(), &extra).unwrap_err();
    assert!(e.to_string().contains("`body.3.weight`"), "{e}");
    let bad = to_fp8(three_convs(), &ranges(&[("mid.weight", f32::NAN)])).unwrap_err();
    assert!(bad.to_string().contains("NaN"), "{bad}");
}

#[test]
fn scales_round_up_so_the_range_never_saturates() {
    for v in [1e-7f32, 3.3e-5, 0.0123, 0.5, 1.7, 300.0] {
        let s = at_least(v);
        assert!(s.to_f32() >= v, "{v} -> {s}");
        let below = f16::from_bits(s.to_bits() - 1).to_f32();
        assert!(below < v, "{v} -> {s} is not the smallest");
    }
}
