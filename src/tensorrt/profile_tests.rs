//! Tests of build profiles: the shipped `engines/*.profile` files and broken ones.

use std::path::PathBuf;

use super::*;
use crate::models::checkpoint::Architecture;
use crate::tensorrt::cache::ComputeCapability;
use crate::tensorrt::spec::{check_shape, engine_key, entry_stem, input_profiles, Network, Target};

fn engines_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("engines")
}

/// Every shipped profile with the network its model holds and the shape it must give.
fn shipped() -> Vec<(&'static str, Architecture, EngineShape)> {
    let rrdb = |scale| Architecture::RrdbNet {
        scale,
        nf: 64,
        nb: 23,
        gc: 32,
    };
    let frame = EngineShape::Frame {
        height: 1088,
        width: 1920,
    };
    vec![
        ("rife-v4.25-1088p", Architecture::Rife425, frame),
        ("realesrgan-x2plus-1088p", rrdb(2), frame),
        (
            "realesrgan-x2plus-tile512",
            rrdb(2),
            EngineShape::Tiles {
                tile: 512,
                pad: 64,
                batch: 4,
            },
        ),
        ("realesrgan-x4plus-1088p", rrdb(4), frame),
        (
            "realesrgan-x4plus-tile384",
            rrdb(4),
            EngineShape::Tiles {
                tile: 384,
                pad: 64,
                batch: 4,
            },
        ),
    ]
}

#[test]
fn every_shipped_profile_parses_into_a_buildable_engine() {
    let files: Vec<_> = std::fs::read_dir(engines_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "profile"))
        .collect();
    assert_eq!(files.len(), shipped().len(), "{files:?}");
    let target = Target {
        tensorrt_version: "10.16.0".into(),
        has_precision_flags: true,
        gpu_name: "NVIDIA Thor".into(),
        compute_capability: ComputeCapability {
            major: 11,
            minor: 0,
        },
    };
    for (name, arch, shape) in shipped() {
        let path = engines_dir().join(format!("{name}.profile"));
        let p = BuildProfile::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            p.description.as_ref().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        assert_eq!(p.shape, Some(shape), "{name}");
        assert_eq!(p.precision, Some(EnginePrecision::Fp16), "{name}");
        let model = p.model.clone().unwrap();
        let options = p.options(None, None, None);
        // Every engine a run of the profile's model uses (RIFE: its encoder and flow parts).
        for net in Network::of(arch).engines() {
            check_shape(net, shape).unwrap_or_else(|e| panic!("{name}: {e}"));
            let key = engine_key(&"0".repeat(64), (arch, net.part), shape, &options, &target);
            assert_eq!(key.inputs, input_profiles(net, shape), "{name}");
            let (side, batch) = (shape.input_size().0 as i64, shape.max_batch() as i64);
            let first = &key.inputs[0];
            assert_eq!(first.min[0], 1, "{name}");
            assert_eq!(first.max[0], batch, "{name}");
            assert_eq!(first.max[2], side, "{name}");
            let stem = entry_stem(&model, net.part, shape, options.precision);
            assert!(stem.ends_with(&format!("-{shape}-fp16")), "{stem}");
        }
    }
}

#[test]
fn flags_override_the_profile() {
    let p = BuildProfile::parse("precision = bf16\nworkspace_mib = 512\nopt_level = 1\n").unwrap();
    assert_eq!(p.shape, None);
    let o = p.options(Some(EnginePrecision::Fp32), None, Some(4));
    assert_eq!(o.precision, EnginePrecision::Fp32);
    assert_eq!(o.workspace_mib, 512);
    assert_eq!(o.opt_level, 4);
    let tiles = BuildProfile::parse("tile = 256 # comment\n\n# only a comment\n").unwrap();
    assert_eq!(
        tiles.shape,
        Some(EngineShape::Tiles {
            tile: 256,
            pad: 0,
            batch: 1
        })
    );
}

#[test]
fn bad_profiles_say_where_and_why() {
    let cases = [
        (
            "height = 1088\nwidth = 1920\nheigth = 3\n",
            3,
            "unknown key \"heigth\"",
        ),
        ("height = 1088\nheight = 1080\n", 2, "height is set twice"),
        ("width = wide\n", 1, "\"wide\" is not a whole number"),
        ("precision = fp4\n", 1, "unknown precision \"fp4\""),
        ("opt_level = 9\n", 1, "not a level from 0 to 5"),
        ("just words\n", 1, "expected `key = value`"),
        ("height = 1088\n", 0, "height and width go together"),
        ("height = 64\nwidth = 64\ntile = 32\n", 0, "not both"),
        ("batch = 4\n", 0, "need tile"),
        ("model =\n", 1, "empty path"),
    ];
    for (text, line, why) in cases {
        let (l, reason) = BuildProfile::parse(text).unwrap_err();
        assert_eq!(l, line, "{text:?}: {reason}");
        assert!(reason.contains(why), "{text:?}: {reason}");
    }
}

#[test]
fn profile_files_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.profile");
    std::fs::write(&path, "tile = 512\ntile_pad = -1\n").unwrap();
    let e = BuildProfile::read(&path).unwrap_err().to_string();
    assert!(e.contains("bad.profile:2: tile_pad"), "{e}");
    std::fs::write(&path, vec![b'#'; MAX_PROFILE_BYTES as usize + 1]).unwrap();
    let e = BuildProfile::read(&path).unwrap_err().to_string();
    assert!(e.contains("larger than"), "{e}");
    assert!(!e.contains("bad.profile:0"), "{e}");
    let e = BuildProfile::read(&dir.path().join("none.profile")).unwrap_err();
    assert!(matches!(e, ProfileError::Io { .. }), "{e}");
}
