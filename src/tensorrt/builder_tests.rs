//! Tests of what the builder does without TensorRT: preparing a model, hashing, names, estimates.

use super::*;
use crate::tensorrt::spec::EngineShape;

fn target() -> Target {
    Target {
        tensorrt_version: "10.16.0".into(),
        has_precision_flags: true,
        gpu_name: "NVIDIA Thor".into(),
        compute_capability: ComputeCapability {
            major: 11,
            minor: 0,
        },
    }
}

#[test]
fn prepare_refuses_a_precision_before_reading_the_model() {
    let options = BuildOptions {
        precision: EnginePrecision::Fp8,
        ..BuildOptions::default()
    };
    let shape = EngineShape::Frame {
        height: 64,
        width: 64,
    };
    let missing = Path::new("/nonexistent/model.pth");
    let turing = Target {
        compute_capability: ComputeCapability { major: 7, minor: 5 },
        ..target()
    };
    let err = prepare(missing, shape, options, &turing).err().unwrap();
    assert!(matches!(err, EngineBuildError::Spec(_)), "{err}");
    let err = prepare(missing, shape, BuildOptions::default(), &target())
        .err()
        .unwrap();
    assert!(matches!(err, EngineBuildError::Model(_)), "{err}");
}

#[test]
fn prepare_builds_the_graph_and_key_of_a_real_checkpoint() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/golden/rrdbnet_x2_random_nf32_nb2_gc16.pth");
    if !model.is_file() {
        eprintln!("skipping: {} is absent", model.display());
        return;
    }
    let shape = EngineShape::Frame {
        height: 36,
        width: 40,
    };
    let p = prepare(&model, shape, BuildOptions::default(), &target()).unwrap();
    assert_eq!(p.network.scale, 2);
    assert_eq!(p.stem, "rrdbnet_x2_random_nf32_nb2_gc16-40x36-fp16");
    assert_eq!(p.key.inputs[0].max, vec![1, 3, 36, 40]);
    assert_eq!(p.key.model_sha256, model_sha256(&model).unwrap());
    assert!(p.graph.len() > 1000);
    // fp16 (the default) builds from the half-precision graph; fp32 from the plain one.
    let initializer_types = |graph: &[u8]| {
        use prost::Message as _;
        let m = crate::models::onnx::proto::ModelProto::decode(graph).unwrap();
        let g = m.graph.unwrap();
        g.initializer
            .iter()
            .filter_map(|i| i.data_type)
            .collect::<std::collections::HashSet<i32>>()
    };
    let f16 = crate::models::onnx::proto::DataType::Float16 as i32;
    assert!(initializer_types(&p.graph).contains(&f16));
    let fp32 = BuildOptions {
        precision: EnginePrecision::Fp32,
        ..BuildOptions::default()
    };
    let plain = prepare(&model, shape, fp32, &target()).unwrap();
    assert!(!initializer_types(&plain.graph).contains(&f16));
    assert_ne!(plain.key, p.key);
    let odd = EngineShape::Frame {
        height: 35,
        width: 40,
    };
    let err = prepare(&model, odd, BuildOptions::default(), &target())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("35 is not a multiple of 2"),
        "{err}"
    );
}

#[test]
fn ncnn_models_are_hashed_with_their_weights() {
    let dir = tempfile::tempdir().unwrap();
    let param = dir.path().join("m.param");
    std::fs::write(&param, b"7767517\n").unwrap();
    let alone = model_sha256(&param).unwrap();
    std::fs::write(dir.path().join("m.bin"), [1u8, 2, 3]).unwrap();
    let with_bin = model_sha256(&param).unwrap();
    assert_ne!(alone, with_bin);
    std::fs::write(dir.path().join("m.bin"), [1u8, 2, 4]).unwrap();
    assert_ne!(model_sha256(&param).unwrap(), with_bin);
}

#[test]
fn timing_caches_are_per_gpu_and_tensorrt() {
    assert_eq!(
        timing_cache_name(&target()),
        "timing-NVIDIA_Thor-sm110-trt10.16.0.cache"
    );
}

#[test]
fn estimates_prefer_the_previous_build() {
    let rife = Network::of(Architecture::Rife425);
    assert!(build_estimate(None, rife).contains("a guess"));
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        key: crate::tensorrt::spec::engine_key(
            &"0".repeat(64),
            (Architecture::Rife425, RifePart::Whole),
            EngineShape::Frame {
                height: 64,
                width: 64,
            },
            &BuildOptions::default(),
            &target(),
        ),
        plan_bytes: 1,
        plan_sha256: "0".repeat(64),
        build_seconds: 123.4,
    };
    assert_eq!(
        build_estimate(Some(&manifest), rife),
        "the previous build of this engine took 123 s"
    );
}
