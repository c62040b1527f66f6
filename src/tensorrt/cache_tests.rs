//! Tests of engine keys, cache decisions and manifest reading.

use super::*;
use crate::tensorrt::manifest::{write_manifest, ManifestError, MAX_MANIFEST_BYTES};

fn key() -> EngineKey {
    let mut options = BTreeMap::new();
    options.insert("workspace_mib".to_string(), "4096".to_string());
    options.insert("optimization_level".to_string(), "3".to_string());
    EngineKey {
        model_sha256: "ab".repeat(32),
        graph_version: "rife-4.25/1".into(),
        tensorrt_version: "10.16.0".into(),
        gpu_name: "NVIDIA Thor".into(),
        compute_capability: ComputeCapability {
            major: 11,
            minor: 0,
        },
        inputs: vec![InputProfile {
            name: "img0".into(),
            min: vec![1, 3, 1088, 1920],
            opt: vec![1, 3, 1088, 1920],
            max: vec![1, 3, 1088, 1920],
        }],
        precision: EnginePrecision::Fp16,
        options,
    }
}

fn manifest(key: EngineKey, plan_bytes: u64) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT,
        key,
        plan_bytes,
        // The plans of these tests are `plan_bytes` bytes of 7.
        plan_sha256: sha256_reader(&vec![7u8; plan_bytes as usize][..]).unwrap(),
        build_seconds: 95.5,
    }
}

/// A cache with entry "rife" whose plan has `plan` bytes (none when `None`) and `manifest` beside it.
fn cache_with(
    plan: Option<usize>,
    manifest_json: Option<&[u8]>,
) -> (tempfile::TempDir, EngineCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    if let Some(n) = plan {
        std::fs::write(cache.plan_path("rife"), vec![7u8; n]).unwrap();
    }
    if let Some(json) = manifest_json {
        std::fs::write(cache.manifest_path("rife"), json).unwrap();
    }
    (dir, cache)
}

fn rebuild_reason(d: CacheDecision) -> String {
    match d {
        CacheDecision::Rebuild { reason } => reason,
        other => panic!("expected a rebuild, got {other:?}"),
    }
}

#[test]
fn fingerprint_is_stable_and_sensitive_to_every_field() {
    let k = key();
    assert_eq!(k.fingerprint(), key().fingerprint());
    assert_eq!(k.fingerprint().len(), 16);
    let mut variants = Vec::new();
    let mut v = key();
    v.tensorrt_version = "10.13.3".into();
    variants.push(v);
    let mut v = key();
    v.compute_capability.minor = 1;
    variants.push(v);
    let mut v = key();
    v.inputs[0].max[3] = 3840;
    variants.push(v);
    let mut v = key();
    v.precision = EnginePrecision::Bf16;
    variants.push(v);
    let mut v = key();
    v.options.insert("workspace_mib".into(), "8192".into());
    variants.push(v);
    for v in variants {
        assert_ne!(v.fingerprint(), k.fingerprint(), "{v:?}");
    }
}

#[test]
fn option_insertion_order_does_not_change_the_key() {
    let mut a = key();
    a.options.clear();
    a.options.insert("b".into(), "2".into());
    a.options.insert("a".into(), "1".into());
    let mut b = key();
    b.options.clear();
    b.options.insert("a".into(), "1".into());
    b.options.insert("b".into(), "2".into());
    assert_eq!(a.fingerprint(), b.fingerprint());
}

#[test]
fn empty_cache_is_a_miss() {
    let (_d, cache) = cache_with(None, None);
    assert_eq!(cache.decide("rife", &key()), CacheDecision::Miss);
}

#[test]
fn matching_manifest_and_plan_is_a_hit() {
    let (_d, cache) = cache_with(Some(100), None);
    write_manifest(&cache.manifest_path("rife"), &manifest(key(), 100)).unwrap();
    assert_eq!(
        cache.decide("rife", &key()),
        CacheDecision::Hit {
            plan: cache.plan_path("rife")
        }
    );
}

#[test]
fn tensorrt_upgrade_rebuilds_and_says_why() {
    let (_d, cache) = cache_with(Some(100), None);
    let mut old = key();
    old.tensorrt_version = "10.13.3".into();
    write_manifest(&cache.manifest_path("rife"), &manifest(old, 100)).unwrap();
    let reason = rebuild_reason(cache.decide("rife", &key()));
    assert!(
        reason.contains("TensorRT version: engine has 10.13.3, wanted 10.16.0"),
        "{reason}"
    );
}

#[test]
fn other_gpu_shapes_or_precision_rebuild() {
    let (_d, cache) = cache_with(Some(100), None);
    let mut built = key();
    built.gpu_name = "NVIDIA H100".into();
    built.compute_capability = ComputeCapability { major: 9, minor: 0 };
    built.precision = EnginePrecision::Fp32;
    write_manifest(&cache.manifest_path("rife"), &manifest(built, 100)).unwrap();
    let reason = rebuild_reason(cache.decide("rife", &key()));
    for part in [
        "GPU: engine has NVIDIA H100",
        "compute capability: engine has 9.0, wanted 11.0",
        "precision",
    ] {
        assert!(reason.contains(part), "{part} not in {reason}");
    }
}

#[test]
fn missing_or_truncated_plan_rebuilds() {
    let (_d, cache) = cache_with(None, None);
    write_manifest(&cache.manifest_path("rife"), &manifest(key(), 100)).unwrap();
    assert!(rebuild_reason(cache.decide("rife", &key())).contains("is missing"));
    std::fs::write(cache.plan_path("rife"), [0u8; 10]).unwrap();
    assert!(rebuild_reason(cache.decide("rife", &key())).contains("has 10 bytes"));
}

#[test]
fn plan_without_manifest_rebuilds() {
    let (_d, cache) = cache_with(Some(10), None);
    assert!(rebuild_reason(cache.decide("rife", &key())).contains("no manifest"));
}

#[test]
fn other_manifest_format_rebuilds() {
    let (_d, cache) = cache_with(Some(100), None);
    let mut m = manifest(key(), 100);
    m.format = MANIFEST_FORMAT + 1;
    write_manifest(&cache.manifest_path("rife"), &m).unwrap();
    assert!(rebuild_reason(cache.decide("rife", &key())).contains("manifest format"));
}

#[test]
fn malformed_manifests_rebuild_without_panicking() {
    let good = serde_json::to_string(&manifest(key(), 100)).unwrap();
    let deep = "[".repeat(100_000);
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[1,2,3]".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        good.as_bytes()[..good.len() / 2].to_vec(),
        good.replace("\"format\":1", "\"format\":-1").into_bytes(),
        good.replace("\"plan_bytes\":100", "\"plan_bytes\":\"100\"")
            .into_bytes(),
        good.replace(&"ab".repeat(32), "not-a-hash").into_bytes(),
        good.replace("95.5", "-1.0").into_bytes(),
        deep.into_bytes(),
    ];
    for (i, json) in cases.into_iter().enumerate() {
        let (_d, cache) = cache_with(Some(100), Some(&json));
        let reason = rebuild_reason(cache.decide("rife", &key()));
        assert!(reason.contains("unusable manifest"), "case {i}: {reason}");
    }
}

#[test]
fn oversized_manifest_is_rejected_unread() {
    let big = vec![b' '; (MAX_MANIFEST_BYTES + 10) as usize];
    let (_d, cache) = cache_with(Some(100), Some(&big));
    let err = read_manifest(&cache.manifest_path("rife")).unwrap_err();
    assert!(matches!(err, ManifestError::TooLarge { .. }), "{err}");
}

#[test]
fn manifest_round_trips() {
    let (_d, cache) = cache_with(None, None);
    let m = manifest(key(), 123);
    write_manifest(&cache.manifest_path("rife"), &m).unwrap();
    assert_eq!(read_manifest(&cache.manifest_path("rife")).unwrap(), m);
    // Only the manifest is left: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(cache.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("rife.json")]);
}

#[test]
fn sha256_matches_a_known_vector() {
    assert_eq!(
        sha256_reader(&b"abc"[..]).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, b"abc").unwrap();
    assert_eq!(
        sha256_file(&path).unwrap(),
        sha256_reader(&b"abc"[..]).unwrap()
    );
}
