//! The made-up checkpoints load as the networks they stand for (`models::checkpoint` checks every
//! key and shape), and the layer descriptions they come from match the convolutions of the real
//! ONNX graphs our builders make from them.

use super::*;
use crate::models::checkpoint;
use crate::models::onnx::proto::ModelProto;
use crate::models::onnx::{rife_model, rrdbnet_model, srvgg_model, GraphShape, RifeOptions};

#[test]
fn checkpoints_load_as_their_architecture() {
    let dir = tempfile::tempdir().unwrap();
    for net in NETWORKS {
        let path = write(dir.path(), net).unwrap();
        let loaded = checkpoint::load(&path).unwrap_or_else(|e| panic!("{}: {e}", net.key));
        assert_eq!(loaded.architecture, net.arch, "{}", net.key);
        assert_eq!(loaded.state_dict, state_dict(net.arch), "{}", net.key);
        assert_eq!(network(net.key), Some(net));
    }
    // RealESRGAN_x4plus.pth holds 16,697,987 parameters.
    let params: usize = state_dict(X4PLUS.arch).values().map(Tensor::numel).sum();
    assert_eq!(params, 16_697_987);
    // Deterministic, so the engines built from them are found in the cache next time.
    assert_eq!(
        archive(&state_dict(SRVGG.arch)),
        archive(&state_dict(SRVGG.arch))
    );
}

/// The convolutions of a graph in order: (weight initializer, its dims, stride, transposed).
fn graph_convs(model: &ModelProto) -> Vec<(String, Vec<i64>, i64, bool)> {
    let g = model.graph.as_ref().unwrap();
    g.node
        .iter()
        .filter(|n| matches!(n.op_type.as_deref(), Some("Conv" | "ConvTranspose")))
        .map(|n| {
            let w = &n.input[1];
            let init = g.initializer.iter().find(|i| i.name.as_ref() == Some(w));
            let dims = init.map(|i| i.dims.clone()).unwrap_or_default();
            let stride = n
                .attribute
                .iter()
                .find(|a| a.name.as_deref() == Some("strides"))
                .and_then(|a| a.ints.first().copied())
                .unwrap_or(1);
            let transposed = n.op_type.as_deref() == Some("ConvTranspose");
            (w.clone(), dims, stride, transposed)
        })
        .collect()
}

fn described_convs(
    arch: Architecture,
    part: RifePart,
    size: (usize, usize),
) -> Vec<(String, Vec<i64>, i64, bool)> {
    let l = cost::layers(arch, part, size);
    cost::convs(&l)
        .map(|c| {
            let name = if c.state {
                format!("{}.weight", c.name)
            } else {
                "repeat_weight".into()
            };
            let dims = c.weight_shape().iter().map(|&d| d as i64).collect();
            (name, dims, c.stride as i64, c.transposed)
        })
        .collect()
}

#[test]
fn descriptions_match_the_graphs_convolutions() {
    let shape = GraphShape::fixed(64, 64);
    for net in [X2PLUS, X4PLUS] {
        let graph = rrdbnet_model(&state_dict(net.arch), shape).unwrap();
        let convs = graph_convs(&graph);
        assert_eq!(convs.len(), 351, "{}", net.key);
        assert_eq!(
            convs,
            described_convs(net.arch, RifePart::Whole, (64, 64)),
            "{}",
            net.key
        );
    }
    let graph = srvgg_model(&state_dict(SRVGG.arch), shape).unwrap();
    assert_eq!(
        graph_convs(&graph),
        described_convs(SRVGG.arch, RifePart::Whole, (64, 64))
    );
    let sd = state_dict(RIFE.arch);
    for part in [RifePart::Encoder, RifePart::FromFeatures] {
        let opts = RifeOptions {
            shape,
            part,
            ..RifeOptions::default()
        };
        let graph = rife_model(&sd, opts).unwrap();
        assert_eq!(
            graph_convs(&graph),
            described_convs(RIFE.arch, part, (64, 64)),
            "{part:?}"
        );
    }
}
