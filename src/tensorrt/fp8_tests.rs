//! fp8 builds without TensorRT: the calibration checks and the graph a real checkpoint gives.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::*;
use crate::models::calibration::{Quality, Spread, CALIBRATION_FORMAT};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::fp8::sites;
use crate::models::onnx::GraphShape;
use crate::tensorrt::builder::{model_sha256, prepare};
use crate::tensorrt::cache::ComputeCapability;
use crate::tensorrt::spec::{EngineShape, Target};

fn target() -> Target {
    Target {
        tensorrt_version: "10.16.0".into(),
        has_precision_flags: true,
        gpu_name: "NVIDIA H200".into(),
        compute_capability: ComputeCapability { major: 9, minor: 0 },
    }
}

fn calibration(sha: &str, ranges: BTreeMap<String, f32>) -> Calibration {
    let spread = Spread {
        min: 45.0,
        mean: 50.0,
    };
    Calibration {
        format: CALIBRATION_FORMAT,
        model_sha256: sha.into(),
        architecture: "RRDBNet".into(),
        clip: "clip.mp4".into(),
        samples: 2,
        crop: 32,
        headroom: 2.0,
        ranges,
        quality: Quality {
            samples: 1,
            fp8_psnr_db: spread,
            fp8_max_abs: 0.1,
            fp16_psnr_db: spread,
            fp16_max_abs: 0.01,
        },
    }
}

fn fp8(cal: Option<Calibration>) -> BuildOptions {
    let options = BuildOptions {
        precision: EnginePrecision::Fp8,
        ..BuildOptions::default()
    };
    match cal {
        Some(c) => options.with_calibration(PathBuf::from("cal.json"), c),
        None => options,
    }
}

#[test]
fn fp8_needs_a_calibration_of_this_model_and_an_upscaler() {
    let model = (Path::new("x2.pth"), "ab".repeat(32));
    let x2 = Network::of(Architecture::RrdbNet {
        scale: 2,
        nf: 64,
        nb: 23,
        gc: 32,
    });
    let rife = Network::of(Architecture::Rife425);
    let check =
        |o: &BuildOptions, n| check_calibration(o, n, (model.0, &model.1)).map(|c| c.is_some());
    assert!(!check(&BuildOptions::default(), x2).unwrap());
    let e = check(&fp8(None), x2).unwrap_err().to_string();
    assert!(e.contains("smoothscale calibrate"), "{e}");
    let mine = fp8(Some(calibration(&model.1, BTreeMap::new())));
    assert!(check(&mine, x2).unwrap());
    let e = check(&mine, rife).unwrap_err().to_string();
    assert!(e.contains("RIFE") && e.contains("fp16"), "{e}");
    let theirs = fp8(Some(calibration(&"cd".repeat(32), BTreeMap::new())));
    let e = check(&theirs, x2).unwrap_err().to_string();
    assert!(e.contains("x2.pth") && e.contains(&"cd".repeat(32)), "{e}");
    let fp16_with = BuildOptions {
        precision: EnginePrecision::Fp16,
        ..mine.clone()
    };
    let e = check(&fp16_with, x2).unwrap_err().to_string();
    assert!(e.contains("not fp16"), "{e}");
}

#[test]
fn a_real_checkpoint_prepares_an_fp8_graph_keyed_by_its_calibration() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/golden/rrdbnet_x2_random_nf32_nb2_gc16.pth");
    if !model.is_file() {
        eprintln!("skipping: {} is absent", model.display());
        return;
    }
    let loaded = crate::models::checkpoint::load(&model).unwrap();
    let (_, graph) = crate::models::runtime::graph_for(
        loaded.architecture,
        &loaded.state_dict,
        GraphShape::dynamic(),
    )
    .unwrap();
    let g = decode_model(&graph).unwrap().graph.unwrap();
    let weights: Vec<String> = sites(&g).into_iter().map(|s| s.weight).collect();
    // nf 32 and gc 16: every convolution but the first (12 channels in) and last (3 out).
    assert!(weights.len() > 10, "{weights:?}");
    let sha = model_sha256(&model).unwrap();
    let ranges = |r: f32| weights.iter().map(|w| (w.clone(), r)).collect();
    let shape = EngineShape::Tiles {
        tile: 32,
        pad: 8,
        batch: 2,
    };
    let p = prepare(
        &model,
        shape,
        fp8(Some(calibration(&sha, ranges(2.0)))),
        &target(),
    )
    .unwrap();
    let m = decode_model(&p.graph).unwrap();
    let ops: HashSet<String> = m
        .graph
        .unwrap()
        .node
        .into_iter()
        .filter_map(|n| n.op_type)
        .collect();
    assert!(ops.contains("QuantizeLinear") && ops.contains("DequantizeLinear"));
    assert_eq!(p.stem, "rrdbnet_x2_random_nf32_nb2_gc16-tile32-pad8-b2-fp8");
    let fingerprint = &p.key.options["fp8_calibration"];
    let other = prepare(
        &model,
        shape,
        fp8(Some(calibration(&sha, ranges(3.0)))),
        &target(),
    )
    .unwrap();
    assert_ne!(&other.key.options["fp8_calibration"], fingerprint);
    assert_eq!(p.key.differences(&other.key).len(), 1);
    // A calibration missing one convolution was made for another graph.
    let mut short: BTreeMap<String, f32> = ranges(2.0);
    short.remove(&weights[3]);
    let e = prepare(
        &model,
        shape,
        fp8(Some(calibration(&sha, short))),
        &target(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains(&weights[3]), "{e}");
}
