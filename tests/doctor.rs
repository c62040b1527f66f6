//! `smoothscale doctor` on the build machines, which have no GPU and no NVIDIA library: exit 0,
//! every missing piece named with what to install, JSON that parses, and no panic.

use std::process::{Command, Output};

use serde_json::Value;

fn doctor(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smoothscale"));
    cmd.arg("doctor").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run smoothscale doctor");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    out
}

fn json(env: &[(&str, &str)]) -> Value {
    let out = doctor(&["--json"], env);
    serde_json::from_slice(&out.stdout).expect("doctor --json prints JSON")
}

/// Whether this machine has the CUDA driver (then the "missing" checks do not apply).
fn has_driver() -> bool {
    smoothscale_cuda_sys::Driver::load().is_ok()
}

#[test]
fn plain_output_names_the_missing_driver_and_what_to_install() {
    let out = doctor(&[], &[]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    eprintln!("{text}");
    for label in [
        "platform",
        "CUDA driver",
        "NVDEC",
        "NVENC",
        "TensorRT",
        "ONNX parser",
        "NVRTC",
        "TensorRT shim",
        "engine cache",
        "ONNX Runtime",
        "model RIFE",
        "libx264",
        "libx265",
        "backend",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(label)),
            "no {label} line in\n{text}"
        );
    }
    // Every missing piece but the GPU list says what to install.
    for l in text.lines().filter(|l| l.get(15..24) == Some("missing  ")) {
        assert!(l.starts_with("GPU ") || l.contains("Install: "), "{l}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("backend        cpu")),
        "{text}"
    );
    if !has_driver() {
        let line = text.lines().find(|l| l.starts_with("CUDA driver")).unwrap();
        assert!(line.contains("missing  libcuda.so.1"), "{line}");
        assert!(line.contains("Install: "), "{line}");
        assert!(
            line.contains("NVIDIA driver") || line.contains("nvidia-l4t-cuda"),
            "{line}"
        );
        let backend = text.lines().find(|l| l.starts_with("backend")).unwrap();
        assert!(backend.contains("libcuda.so.1) is missing"), "{backend}");
    }
}

#[test]
fn json_report_has_a_null_driver_with_a_reason() {
    let report = json(&[]);
    assert_eq!(report["schema"], "smoothscale-doctor/1");
    assert_eq!(report["backend"]["auto"], "cpu");
    assert_eq!(report["backend"]["cuda_available"], false);
    let because = report["backend"]["cuda_unavailable_because"]
        .as_array()
        .unwrap();
    // Every reason is a missing piece (here, first of all, the driver).
    assert!(!because.is_empty());
    for reason in because {
        assert!(
            reason.as_str().unwrap().ends_with(" is missing"),
            "{reason}"
        );
    }
    for name in [
        "nvcuvid",
        "nvidia_encode",
        "nvinfer",
        "nvonnxparser",
        "nvrtc",
    ] {
        let lib = &report["libraries"][name];
        assert!(lib["ok"].is_boolean(), "{name}: {lib}");
        if lib["ok"] == false {
            assert!(
                lib["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{lib}"
            );
            assert!(
                lib["install"].as_str().is_some_and(|r| !r.is_empty()),
                "{lib}"
            );
        }
    }
    if !has_driver() {
        let cuda = &report["cuda"];
        assert!(cuda["driver"].is_null(), "{cuda}");
        assert!(
            cuda["reason"].as_str().unwrap().contains("libcuda.so.1"),
            "{cuda}"
        );
        assert!(cuda["install"].as_str().is_some(), "{cuda}");
        assert_eq!(cuda["gpus"].as_array().unwrap().len(), 0);
    }
}

#[test]
fn onnx_runtime_entry_reflects_the_library_on_disk() {
    let location = smoothscale::models::runtime::library_location().expect("HOME is set");
    let report = json(&[]);
    let ort = &report["onnx_runtime"];
    assert_eq!(
        ort["path"].as_str(),
        Some(location.path.to_str().unwrap()),
        "{ort}"
    );
    // Present here means it loads (the build machines have a good copy from fetch-onnxruntime).
    assert_eq!(ort["ok"].as_bool(), Some(location.path.is_file()), "{ort}");

    let absent = "/nonexistent/smoothscale/libonnxruntime.so.1.31.1";
    let report = json(&[("SMOOTHSCALE_ORT_LIB", absent)]);
    let ort = &report["onnx_runtime"];
    assert_eq!(ort["ok"], false, "{ort}");
    assert_eq!(ort["path"], absent, "{ort}");
    assert!(ort["reason"].as_str().unwrap().contains(absent), "{ort}");
    assert!(
        ort["install"]
            .as_str()
            .unwrap()
            .contains("scripts/fetch-onnxruntime"),
        "{ort}"
    );
    let missing = report["backend"]["cpu_missing"].as_array().unwrap();
    assert!(
        missing
            .iter()
            .any(|m| m.as_str().unwrap().contains("ONNX Runtime")),
        "{missing:?}"
    );
}

#[test]
fn models_found_in_smoothscale_models_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rife = dir.path().join("rife-v4.25/flownet.pkl");
    std::fs::create_dir_all(rife.parent().unwrap()).unwrap();
    std::fs::write(&rife, b"not checked by doctor").unwrap();
    let report = json(&[("SMOOTHSCALE_MODELS", dir.path().to_str().unwrap())]);
    let models = &report["models"];
    assert_eq!(models["dirs"][0], dir.path().to_str().unwrap());
    assert_eq!(models["rife"]["ok"], true, "{models}");
    assert_eq!(models["rife"]["path"], rife.to_str().unwrap());
    let plain = doctor(&[], &[("SMOOTHSCALE_MODELS", dir.path().to_str().unwrap())]);
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(
        text.contains(&format!("model RIFE     ok       {}", rife.display())),
        "{text}"
    );
}

#[test]
fn an_empty_environment_still_exits_zero() {
    // No HOME, no XDG variables: no cache folder, no models folder, no ONNX Runtime location.
    let out = Command::new(env!("CARGO_BIN_EXE_smoothscale"))
        .args(["doctor", "--json"])
        .env_clear()
        .output()
        .expect("run smoothscale doctor");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["engine_cache"]["dir"].is_null(), "{report}");
    assert_eq!(report["onnx_runtime"]["ok"], false);
}
