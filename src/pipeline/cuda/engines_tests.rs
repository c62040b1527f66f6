use std::path::PathBuf;

use super::*;
use crate::tensorrt::EnginePrecision;

const FRAME: EngineShape = EngineShape::Frame {
    height: 1088,
    width: 1920,
};

fn described(shape: EngineShape) -> (&'static str, EngineShape, &'static BuildOptions) {
    let options: &'static BuildOptions = Box::leak(Box::new(BuildOptions::default()));
    ("flownet-1920x1088-fp16", shape, options)
}

#[test]
fn the_command_builds_exactly_the_engine_the_run_needs() {
    let model = Path::new("/m/rife-v4.25/flownet.pkl");
    assert_eq!(
        engine_build_command(model, FRAME, &BuildOptions::default()),
        "smoothscale engine-build --model /m/rife-v4.25/flownet.pkl --height 1088 --width 1920 \
         --precision fp16"
    );
    let tiles = EngineShape::Tiles {
        tile: 256,
        pad: 64,
        batch: 4,
    };
    let options = BuildOptions {
        precision: EnginePrecision::Fp32,
        workspace_mib: 1024,
        opt_level: 5,
        calibration: None,
    };
    assert_eq!(
        engine_build_command(Path::new("my model's.pth"), tiles, &options),
        "smoothscale engine-build --model 'my model'\\''s.pth' --tile 256 --tile-pad 64 \
         --batch 4 --precision fp32 --workspace 1024 --opt-level 5"
    );
    // fp8 names its calibration file.
    let cal: crate::models::calibration::Calibration = serde_json::from_value(serde_json::json!({
        "format": 1, "model_sha256": "ab", "architecture": "x", "clip": "c", "samples": 1,
        "crop": 8, "headroom": 2.0, "ranges": {},
        "quality": {"samples": 0, "fp8_psnr_db": {"min": 0.0, "mean": 0.0}, "fp8_max_abs": 0.0,
                    "fp16_psnr_db": {"min": 0.0, "mean": 0.0}, "fp16_max_abs": 0.0}
    }))
    .unwrap();
    let fp8 = BuildOptions {
        precision: EnginePrecision::Fp8,
        ..BuildOptions::default()
    }
    .with_calibration(PathBuf::from("/cal/x4 plus.json"), cal);
    assert!(
        engine_build_command(Path::new("x4.pth"), tiles, &fp8)
            .ends_with("--precision fp8 --calibration '/cal/x4 plus.json'"),
        "{}",
        engine_build_command(Path::new("x4.pth"), tiles, &fp8)
    );
}

#[test]
fn a_cached_engine_is_loaded_and_a_missing_one_built_when_allowed() {
    let model = Path::new("flownet.pkl");
    let hit = CacheDecision::Hit {
        plan: PathBuf::from("x.plan"),
    };
    assert_eq!(
        decide_action(hit.clone(), false, model, described(FRAME)).unwrap(),
        EngineAction::Load
    );
    assert_eq!(
        decide_action(hit, true, model, described(FRAME)).unwrap(),
        EngineAction::Load
    );
    assert_eq!(
        decide_action(CacheDecision::Miss, true, model, described(FRAME)).unwrap(),
        EngineAction::Build { reason: None }
    );
    let stale = CacheDecision::Rebuild {
        reason: "TensorRT changed".into(),
    };
    assert_eq!(
        decide_action(stale, true, model, described(FRAME)).unwrap(),
        EngineAction::Build {
            reason: Some("TensorRT changed".into())
        }
    );
}

#[test]
fn without_building_a_missing_engine_names_the_command() {
    let model = Path::new("flownet.pkl");
    let err = decide_action(CacheDecision::Miss, false, model, described(FRAME)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GpuStageError::NotBuilt { .. }), "{err:?}");
    assert!(
        text.contains("flownet-1920x1088-fp16 for flownet.pkl is not built"),
        "{text}"
    );
    assert!(
        text.contains("smoothscale engine-build --model flownet.pkl --height 1088 --width 1920"),
        "{text}"
    );
    let stale = CacheDecision::Rebuild {
        reason: "another GPU".into(),
    };
    let text = decide_action(stale, false, model, described(FRAME))
        .unwrap_err()
        .to_string();
    assert!(text.contains("is out of date (another GPU)"), "{text}");
}

#[test]
fn both_rife_engines_name_the_one_command_that_builds_them() {
    let model = Path::new("flownet.pkl");
    let options = BuildOptions::default();
    let rife = Network::of(crate::models::checkpoint::Architecture::Rife425);
    let errors: Vec<String> = rife
        .engines()
        .into_iter()
        .map(|net| {
            let stem = crate::tensorrt::spec::entry_stem(model, net.part, FRAME, options.precision);
            let err = decide_action(CacheDecision::Miss, false, model, (&stem, FRAME, &options));
            err.unwrap_err().to_string()
        })
        .collect();
    assert!(
        errors[0].contains("flownet-encoder-1920x1088-fp16 for"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("flownet-flow-1920x1088-fp16 for"),
        "{}",
        errors[1]
    );
    let command = engine_build_command(model, FRAME, &options);
    assert!(errors.iter().all(|e| e.contains(&command)), "{errors:?}");
}
