//! Tests of engine shapes, precision checks, input profiles, keys and tile batches.

use super::*;

fn target(major: u32, minor: u32, flags: bool) -> Target {
    Target {
        tensorrt_version: if flags { "10.16.0" } else { "11.4.0" }.into(),
        has_precision_flags: flags,
        gpu_name: "NVIDIA Thor".into(),
        compute_capability: ComputeCapability { major, minor },
    }
}

const X2: Architecture = Architecture::RrdbNet {
    scale: 2,
    nf: 64,
    nb: 23,
    gc: 32,
};

#[test]
fn rife_needs_whole_frames_in_multiples_of_64() {
    let rife = Network::of(Architecture::Rife425);
    let frame = |height, width| EngineShape::Frame { height, width };
    assert_eq!(check_shape(rife, frame(1088, 1920)), Ok(()));
    let err = check_shape(rife, frame(1080, 1920)).unwrap_err();
    assert!(
        err.to_string().contains("1080 is not a multiple of 64"),
        "{err}"
    );
    let tiles = EngineShape::Tiles {
        tile: 512,
        pad: 64,
        batch: 4,
    };
    assert_eq!(check_shape(rife, tiles), Err(SpecError::RifeTiles));
    assert!(matches!(
        check_shape(rife, frame(0, 64)),
        Err(SpecError::OutOfRange { what: "height", .. })
    ));
}

#[test]
fn upscaler_tiles_need_the_unshuffle_multiple_and_a_sane_batch() {
    let x2 = Network::of(X2);
    assert_eq!(x2.scale, 2);
    assert_eq!(x2.multiple(), 2);
    let tiles = |tile, pad, batch| EngineShape::Tiles { tile, pad, batch };
    assert_eq!(check_shape(x2, tiles(512, 64, 4)), Ok(()));
    assert!(matches!(
        check_shape(x2, tiles(511, 64, 4)),
        Err(SpecError::NotMultiple { multiple: 2, .. })
    ));
    assert!(matches!(
        check_shape(x2, tiles(512, 64, 0)),
        Err(SpecError::OutOfRange { what: "batch", .. })
    ));
    assert!(check_shape(x2, tiles(512, 64, MAX_BATCH + 1)).is_err());
}

#[test]
fn precision_depends_on_the_gpu_and_tensorrt() {
    let thor = target(11, 0, true);
    assert_eq!(check_precision(EnginePrecision::Fp16, &thor), Ok(()));
    assert_eq!(check_precision(EnginePrecision::Bf16, &thor), Ok(()));
    assert_eq!(check_precision(EnginePrecision::Fp8, &thor), Ok(()));
    let turing = target(7, 5, true);
    let e = check_precision(EnginePrecision::Fp8, &turing).unwrap_err();
    assert!(e.to_string().contains("compute capability 8.9"), "{e}");
    let e = check_precision(EnginePrecision::Bf16, &turing).unwrap_err();
    assert!(e.to_string().contains("compute capability 8.0"), "{e}");
    let ada = target(8, 9, true);
    assert_eq!(check_precision(EnginePrecision::Fp8, &ada), Ok(()));
    let ampere = target(8, 7, true);
    assert!(check_precision(EnginePrecision::Fp8, &ampere).is_err());
    let trt11 = target(11, 0, false);
    assert_eq!(check_precision(EnginePrecision::Fp32, &trt11), Ok(()));
    assert_eq!(check_precision(EnginePrecision::Fp16, &trt11), Ok(()));
    let e = check_precision(EnginePrecision::Bf16, &trt11).unwrap_err();
    assert!(
        e.to_string().contains("use --precision fp16 or fp32"),
        "{e}"
    );
}

#[test]
fn tile_profiles_range_over_the_batch() {
    let shape = EngineShape::Tiles {
        tile: 512,
        pad: 64,
        batch: 4,
    };
    let p = input_profiles(Network::of(X2), shape);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].name, "input");
    assert_eq!(p[0].min, vec![1, 3, 640, 640]);
    assert_eq!(p[0].opt, vec![4, 3, 640, 640]);
    assert_eq!(p[0].max, vec![4, 3, 640, 640]);
    assert_eq!(
        output_shape(Network::of(X2), shape, 3),
        vec![3, 3, 1280, 1280]
    );
    let g = graph_shape(shape);
    assert_eq!((g.batch, g.size), (None, Some((640, 640))));
}

#[test]
fn rife_profiles_are_static() {
    let shape = EngineShape::Frame {
        height: 1088,
        width: 1920,
    };
    let p = input_profiles(Network::of(Architecture::Rife425), shape);
    let names: Vec<&str> = p.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["img0", "img1", "timestep"]);
    assert!(p.iter().all(|i| i.min == i.max && i.opt == i.max));
    assert_eq!(p[0].max, vec![1, 3, 1088, 1920]);
    assert_eq!(graph_shape(shape).batch, Some(1));
}

#[test]
fn keys_and_stems_change_with_what_the_plan_depends_on() {
    let shape = EngineShape::Frame {
        height: 1088,
        width: 1920,
    };
    let sha = "ab".repeat(32);
    let t = target(11, 0, true);
    let base = engine_key(
        &sha,
        (X2, RifePart::Whole),
        shape,
        &BuildOptions::default(),
        &t,
    );
    assert_eq!(base.options["workspace_mib"], "4096");
    assert_eq!(base.options["optimization_level"], "3");
    assert!(
        base.graph_version.contains("RRDBNet x2"),
        "{}",
        base.graph_version
    );
    let opts = BuildOptions {
        opt_level: 5,
        ..BuildOptions::default()
    };
    let other = engine_key(&sha, (X2, RifePart::Whole), shape, &opts, &t);
    assert_ne!(base.fingerprint(), other.fingerprint());
    assert_eq!(base.differences(&other).len(), 1);
    let other_gpu = engine_key(
        &sha,
        (X2, RifePart::Whole),
        shape,
        &BuildOptions::default(),
        &target(8, 7, true),
    );
    assert!(base.differences(&other_gpu)[0].starts_with("compute capability"));
    let stem = entry_stem(
        std::path::Path::new("/m/Real ESRGAN_x2plus.pth"),
        RifePart::Whole,
        shape,
        EnginePrecision::Fp16,
    );
    assert_eq!(stem, "Real_ESRGAN_x2plus-1920x1088-fp16");
}

const RIFE_FRAME: EngineShape = EngineShape::Frame {
    height: 1088,
    width: 1920,
};

#[test]
fn rife_runs_as_an_encoder_and_a_flow_engine_with_their_own_entries() {
    let rife = Network::of(Architecture::Rife425);
    let parts: Vec<RifePart> = rife.engines().iter().map(|n| n.part).collect();
    assert_eq!(parts, [RifePart::Encoder, RifePart::FromFeatures]);
    let x2 = Network::of(X2).engines();
    assert_eq!((x2.len(), x2[0].part), (1, RifePart::Whole));
    let names = |net: Network| -> Vec<String> {
        let p = input_profiles(net, RIFE_FRAME);
        assert!(p.iter().all(|i| i.min == i.max && i.opt == i.max), "static");
        p.into_iter().map(|i| i.name).collect()
    };
    let (encoder, flow) = (
        rife.with_part(RifePart::Encoder),
        rife.with_part(RifePart::FromFeatures),
    );
    assert_eq!(names(encoder), ["img"]);
    assert_eq!(names(flow), ["img0", "img1", "feat0", "feat1", "timestep"]);
    let p = input_profiles(flow, RIFE_FRAME);
    assert_eq!(p[2].max, vec![1, 4, 1088, 1920]);
    assert_eq!(p[4].max, vec![1, 1, 1, 1]);
    assert_eq!(output_shape(encoder, RIFE_FRAME, 1), [1, 4, 1088, 1920]);
    assert_eq!(output_shape(flow, RIFE_FRAME, 1), [1, 3, 1088, 1920]);
    assert_eq!(check_shape(encoder, RIFE_FRAME), Ok(()));

    let model = std::path::Path::new("/m/rife-v4.25/flownet.pkl");
    let stem = |part| entry_stem(model, part, RIFE_FRAME, EnginePrecision::Fp16);
    assert_eq!(stem(RifePart::Encoder), "flownet-encoder-1920x1088-fp16");
    assert_eq!(stem(RifePart::FromFeatures), "flownet-flow-1920x1088-fp16");
    assert_eq!(stem(RifePart::Whole), "flownet-1920x1088-fp16");
    let sha = "cd".repeat(32);
    let t = target(11, 0, true);
    let key = |part| {
        let arch = Architecture::Rife425;
        engine_key(&sha, (arch, part), RIFE_FRAME, &BuildOptions::default(), &t)
    };
    let (whole, enc, rest) = (
        key(RifePart::Whole),
        key(RifePart::Encoder),
        key(RifePart::FromFeatures),
    );
    assert!(
        enc.graph_version.contains("RIFE v4.25 encoder; graph r"),
        "{}",
        enc.graph_version
    );
    assert!(
        rest.graph_version.contains(" flow; graph r"),
        "{}",
        rest.graph_version
    );
    assert!(!whole.graph_version.contains("encoder"));
    assert_eq!(enc.inputs, input_profiles(encoder, RIFE_FRAME));
    assert_eq!(rest.inputs, input_profiles(flow, RIFE_FRAME));
    // A cached plan of one part never passes for the other: the keys differ in the graph.
    assert!(enc
        .differences(&rest)
        .iter()
        .any(|d| d.starts_with("graph version")));
    assert_ne!(enc.fingerprint(), whole.fingerprint());
}
