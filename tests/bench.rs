//! `smoothscale bench`: the JSON it writes, and the baseline comparison's exit codes. These check
//! behaviour, not speed: the baselines are doctored or the tolerance generous. The model stages
//! run when the ONNX Runtime library and ../shared/models are present and are reported as
//! skipped otherwise; the decode, encode and end-to-end passthrough stages always run. The CUDA
//! backend's tests are in `tests/bench_cuda.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use common::*;

const STAGES: [&str; 7] = [
    "decode",
    "encode",
    "rife",
    "upscale_srvgg",
    "upscale_rrdb",
    "end_to_end",
    "end_to_end_models",
];

/// One bench at a time in this binary, so that the runs do not slow each other down.
static SERIAL: Mutex<()> = Mutex::new(());

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// `smoothscale bench ARGS --repeat 1 --warmup 0`, with the models of ../shared/models when
/// `models`, else with every models folder pointing at an empty one (model stages skipped).
fn bench(args: &[&str], models: bool) -> Output {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = smoothscale();
    cmd.arg("bench")
        .args(args)
        .args(["--repeat", "1", "--warmup", "0"]);
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models");
    if models && shared.is_dir() {
        cmd.env("SMOOTHSCALE_MODELS", shared);
    } else {
        let empty = tmp().join("no-models");
        std::fs::create_dir_all(&empty).unwrap();
        cmd.env("SMOOTHSCALE_MODELS", &empty)
            .env("XDG_DATA_HOME", &empty);
    }
    cmd.output().unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stage<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in {report}"))
}

/// A baseline without the model stages, made once for the comparison tests.
fn baseline() -> &'static Path {
    static BASELINE: OnceLock<PathBuf> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let path = tmp().join("bench-baseline.json");
        let out = bench(&["-q", "--json", path.to_str().unwrap()], false);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    })
}

fn error_lines(out: &Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn bench_json_has_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("a.json");
    let out = bench(&["--json", json.to_str().unwrap()], true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_json(&json);
    assert_eq!(r["schema"], "smoothscale-bench/1");
    assert_eq!(r["backend"], "cpu");
    assert_eq!(r["settings"]["repeat"], 1);
    assert_eq!(r["workload"]["name"], "cpu-small");
    let names: Vec<&str> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, STAGES);
    let specs = r["workload"]["stages"].as_array().unwrap();
    assert_eq!(specs.len(), STAGES.len());
    assert!(
        specs.iter().all(|s| s["width"].as_u64() > Some(0)),
        "sizes stated"
    );
    for s in r["stages"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        assert!(stdout.contains(name), "{name} not printed: {stdout}");
        assert!(
            s["device_peak_bytes"].is_null(),
            "no device memory on the CPU"
        );
        match s["status"].as_str().unwrap() {
            "measured" => {
                let per_frame = s["per_frame_s"].as_f64().unwrap();
                let fps = s["frames_per_s"].as_f64().unwrap();
                assert!(
                    per_frame > 0.0 && (per_frame * fps - 1.0).abs() < 1e-6,
                    "{s}"
                );
                assert_eq!(s["runs_s"].as_array().unwrap().len(), 1, "{s}");
                assert!(s["host_peak_bytes"].as_u64() > Some(1 << 20), "{s}");
            }
            "skipped" => {
                assert!(s["reason"].as_str().is_some_and(|r| !r.is_empty()), "{s}");
                assert!(s["per_frame_s"].is_null(), "{s}");
            }
            other => panic!("status {other}"),
        }
    }
    // The passthrough stages always run: 48 frames of 256x256 each way.
    for name in ["decode", "encode", "end_to_end"] {
        let s = stage(&r, name);
        assert_eq!(s["status"], "measured", "{s}");
        assert_eq!(s["frames"], 48, "{s}");
    }
    let e2e = stage(&r, "end_to_end_models");
    if e2e["status"] == "measured" {
        assert_eq!(e2e["frames"], 12, "6 source frames interpolated 2x: {e2e}");
    }
    assert!(r["memory"]["host_peak_bytes"].as_u64() > Some(1 << 20));
    assert!(r["memory"]["device_peak_bytes"].is_null());
    assert!(r["machine"]["logical_cpus"].as_u64() > Some(0));
    assert!(r["machine"]["arch"].is_string());
}

#[test]
fn baseline_within_tolerance_exits_0() {
    let base = baseline();
    let out = bench(
        &["--baseline", base.to_str().unwrap(), "--tolerance", "1000"],
        false,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("decode ") && l.contains('%'));
    assert!(row.is_some(), "a comparison row for decode: {stdout}");
    assert!(!stdout.contains("REGRESSION"), "{stdout}");
    // The baseline was made with the models hidden: their stages say why they were skipped.
    let r = read_json(base);
    for name in ["rife", "upscale_srvgg", "upscale_rrdb", "end_to_end_models"] {
        let s = stage(&r, name);
        let reason = s["reason"].as_str().unwrap_or("");
        assert_eq!(s["status"], "skipped", "{s}");
        assert!(
            reason.contains("model found") || reason.contains("ONNX Runtime"),
            "{s}"
        );
    }
}

#[test]
fn doctored_baseline_fails_naming_the_stage() {
    let mut r = read_json(baseline());
    let encode = r["stages"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["name"] == "encode")
        .unwrap();
    for key in ["median_s", "per_frame_s"] {
        encode[key] = Value::from(encode[key].as_f64().unwrap() / 10.0);
    }
    let dir = tempfile::tempdir().unwrap();
    let (doctored, json) = (dir.path().join("fast.json"), dir.path().join("now.json"));
    std::fs::write(&doctored, r.to_string()).unwrap();
    let out = bench(
        &[
            "--baseline",
            doctored.to_str().unwrap(),
            "--tolerance",
            "300",
            "--json",
            json.to_str().unwrap(),
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(1));
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("encode (+"), "{errors:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("encode ") && l.ends_with("REGRESSION")),
        "{stdout}"
    );
    assert_eq!(
        read_json(&json)["schema"],
        "smoothscale-bench/1",
        "JSON kept"
    );
}

#[test]
fn baseline_of_another_workload_or_machine_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("never.json");
    type Doctor = fn(&mut Value);
    let cases: [(&str, Doctor, &str); 2] = [
        (
            "workload",
            |r| r["workload"]["clips"][0]["width"] = Value::from(320),
            "different workload (workload.clips[0].width: baseline 320, now 256)",
        ),
        (
            "machine",
            |r| r["machine"]["cpu_model"] = Value::from("Some Other CPU"),
            "different machine (machine.cpu_model",
        ),
    ];
    for (name, doctor, needle) in cases {
        let mut r = read_json(baseline());
        doctor(&mut r);
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, r.to_string()).unwrap();
        let out = bench(
            &[
                "--baseline",
                path.to_str().unwrap(),
                "--json",
                json.to_str().unwrap(),
            ],
            false,
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
        let errors = error_lines(&out);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(needle), "{needle:?} not in {errors:?}");
        assert!(!json.exists(), "refused before any work");
    }
}
