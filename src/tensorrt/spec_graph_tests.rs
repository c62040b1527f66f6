//! Tests of the graphs RIFE's two engines are built from: the interface of the CPU runner's
//! split graphs, and (in ONNX Runtime, when its library is here) the whole graph's output.

use super::*;
use crate::models::onnx::proto::{tensor_shape_proto, type_proto, ModelProto, ValueInfoProto};
use crate::models::runtime::{CpuSession, TensorView};
use crate::models::weights::Tensor;

/// The frames of the tests: 64x128, as a multiple of 64 must be.
const SMALL: EngineShape = EngineShape::Frame {
    height: 64,
    width: 128,
};

/// The real RIFE v4.25 checkpoint in `../shared`, when present.
fn rife_weights() -> Option<crate::models::checkpoint::LoadedModel> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/models/rife-v4.25/flownet.pkl");
    if !path.is_file() {
        eprintln!("skipping: {} is absent", path.display());
        return None;
    }
    Some(crate::models::checkpoint::load(&path).unwrap())
}

/// Names and dimensions (`None`: symbolic) of a graph's inputs, and of its outputs.
type Interface = Vec<(String, Vec<Option<i64>>)>;

fn interface(onnx: &[u8]) -> (Interface, Interface) {
    use prost::Message as _;
    use tensor_shape_proto::{dimension, Dimension};
    let graph = ModelProto::decode(onnx).unwrap().graph.unwrap();
    let of = |values: &[ValueInfoProto]| -> Interface {
        let dims = |v: &ValueInfoProto| {
            let Some(type_proto::Value::TensorType(t)) = v.r#type.as_ref().unwrap().value.as_ref()
            else {
                panic!("not a tensor")
            };
            let dim = |d: &Dimension| match d.value {
                Some(dimension::Value::DimValue(n)) => Some(n),
                _ => None,
            };
            t.shape.as_ref().unwrap().dim.iter().map(dim).collect()
        };
        values
            .iter()
            .map(|v| (v.name.clone().unwrap(), dims(v)))
            .collect()
    };
    (of(&graph.input), of(&graph.output))
}

/// The engines' graphs have the inputs and output of the CPU runner's split graphs (which the
/// CPU path feeds from one encoding per source frame), at the engine's fixed sizes.
#[test]
fn rife_engine_graphs_have_the_cpu_split_graphs_interface() {
    let Some(loaded) = rife_weights() else { return };
    let sd = &loaded.state_dict;
    let shape = SMALL;
    for net in Network::of(Architecture::Rife425).engines() {
        let engine = engine_graph(Architecture::Rife425, net.part, sd, shape).unwrap();
        let cpu = crate::models::runtime::model::cpu_part_graph(sd, net.part).unwrap();
        let ((e_in, e_out), (c_in, c_out)) = (interface(&engine), interface(&cpu));
        let profiles = input_profiles(net, shape);
        assert_eq!(e_in.len(), profiles.len(), "{net:?}");
        for (((name, dims), (cpu_name, cpu_dims)), p) in e_in.iter().zip(&c_in).zip(&profiles) {
            assert_eq!((name, cpu_name), (&p.name, &p.name), "{net:?}");
            let fixed: Vec<i64> = dims.iter().map(|d| d.unwrap()).collect();
            assert_eq!(fixed, p.max, "{name}");
            for (e, c) in fixed.iter().zip(cpu_dims) {
                assert!(
                    c.is_none_or(|c| c == *e),
                    "{name}: {dims:?} vs {cpu_dims:?}"
                );
            }
        }
        assert_eq!(c_in.len(), e_in.len(), "{net:?}");
        assert_eq!((e_out.len(), c_out.len()), (1, 1));
        assert_eq!((e_out[0].0.as_str(), c_out[0].0.as_str()), ("out", "out"));
        let out: Vec<i64> = e_out[0].1.iter().map(|d| d.unwrap()).collect();
        assert_eq!(out, output_shape(net, shape, 1), "{net:?}");
    }
    let srvgg = Architecture::SrVgg {
        nf: 64,
        num_conv: 16,
        scale: 4,
    };
    let e = engine_graph(srvgg, RifePart::Encoder, sd, shape).unwrap_err();
    assert!(e.to_string().contains("Encoder part of"), "{e}");
}

/// A frame of smooth stripes that move `step` pixels to the right per frame.
fn moving(step: usize) -> Tensor {
    let (h, w) = SMALL.input_size();
    let data = (0..3 * h * w)
        .map(|i| {
            let (c, y, x) = (i / (h * w), (i / w) % h, i % w);
            let phase = (x as f32 - 3.0 * step as f32) * 0.13 + y as f32 * 0.05 + c as f32;
            0.5 + 0.4 * phase.sin()
        })
        .collect();
    Tensor {
        shape: vec![1, 3, h, w],
        data,
    }
}

/// The encoder run once per frame and the rest run per pair and timestep give the whole graph's
/// output: the same graphs TensorRT builds its two engines from (standard operators, fixed size).
/// Their fp16 rewrites (what an fp16 engine is built from) stay within 5e-3 of it.
#[test]
fn rife_engine_parts_compute_the_whole_graph() {
    if let Err(e) = crate::models::runtime::init() {
        eprintln!("skipping: {e}");
        return;
    }
    let Some(loaded) = rife_weights() else { return };
    let session = |part, half: bool| {
        let graph = engine_graph(Architecture::Rife425, part, &loaded.state_dict, SMALL).unwrap();
        if half {
            let graph = crate::models::onnx::half::half_graph(&graph).unwrap();
            CpuSession::reduced_precision(&graph, 2).unwrap()
        } else {
            CpuSession::new(&graph, 2).unwrap()
        }
    };
    let mut whole = session(RifePart::Whole, false);
    let frames: Vec<Tensor> = (0..3).map(moving).collect();
    for (half, tolerance) in [(false, 1e-5), (true, 5e-3)] {
        let mut encoder = session(RifePart::Encoder, half);
        let mut flow = session(RifePart::FromFeatures, half);
        compare_parts(&mut whole, (&mut encoder, &mut flow), &frames, tolerance);
    }
}

fn compare_parts(
    whole: &mut CpuSession,
    (encoder, flow): (&mut CpuSession, &mut CpuSession),
    frames: &[Tensor],
    tolerance: f32,
) {
    let features: Vec<Tensor> = frames
        .iter()
        .map(|f| encoder.run(&[("img", f.into())]).unwrap().remove(0))
        .collect();
    assert_eq!(features[0].shape, [1, FEATURE_CHANNELS, 64, 128]);
    for (i, j) in [(0, 1), (1, 2)] {
        for t in [0.25f32, 0.5] {
            let ts = [t];
            let step = TensorView {
                shape: &[1, 1, 1, 1],
                data: &ts,
            };
            let (img0, img1) = ((&frames[i]).into(), (&frames[j]).into());
            let want = whole
                .run(&[("img0", img0), ("img1", img1), ("timestep", step)])
                .unwrap()
                .remove(0);
            let (img0, img1) = ((&frames[i]).into(), (&frames[j]).into());
            let (feat0, feat1) = ((&features[i]).into(), (&features[j]).into());
            let inputs = [
                ("img0", img0),
                ("img1", img1),
                ("feat0", feat0),
                ("feat1", feat1),
                ("timestep", step),
            ];
            let got = flow.run(&inputs).unwrap().remove(0);
            assert_eq!(got.shape, want.shape);
            let err = crate::models::golden::max_abs_err(&got.data, &want.data);
            assert!(err < tolerance, "frames {i}, {j} at t={t}: max abs {err}");
            let moved = want.data.iter().zip(&frames[i].data);
            assert!(
                moved.map(|(a, b)| (a - b).abs()).sum::<f32>() > 1.0,
                "not a copy"
            );
        }
    }
}
