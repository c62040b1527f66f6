//! `smoothscale engine-build` on a machine without TensorRT or a GPU (every development machine):
//! it must fail at once, naming the missing library, write nothing, and check its arguments.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

fn engine_build(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = common::smoothscale()
        .arg("engine-build")
        .args(args)
        .env(
            "SMOOTHSCALE_ENGINE_CACHE",
            "/nonexistent/smoothscale-engine-cache",
        )
        .output()
        .unwrap();
    (out, started.elapsed())
}

/// The single `error:` line of stderr (fails the test if there is not exactly one).
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "stderr: {stderr}");
    errors[0].to_string()
}

fn profile(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("engines")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn without_tensorrt_it_names_the_library_before_reading_the_model() {
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB that no reader accepts: an error about it would mean the model was read first.
    let model = dir.path().join("big.pth");
    std::fs::write(&model, vec![0x5a; 64 << 20]).unwrap();
    let cache = dir.path().join("cache");
    let (m, c) = (model.to_str().unwrap(), cache.to_str().unwrap());
    for args in [
        vec![
            "--model", m, "--height", "1088", "--width", "1920", "--out", c,
        ],
        vec![
            "--model",
            m,
            "--tile",
            "512",
            "--tile-pad",
            "64",
            "--batch",
            "4",
            "--out",
            c,
        ],
        vec![
            "--model",
            m,
            "--profile",
            &profile("rife-v4.25-1088p.profile"),
            "--out",
            c,
        ],
    ] {
        let (out, took) = engine_build(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let line = error_line(&out);
        assert!(
            line.contains("libnvinfer.so.") || line.contains("TensorRT headers were not found"),
            "{line}"
        );
        assert!(!line.contains("big.pth"), "the model was read: {line}");
        // "Within a second" on an idle machine; the bound allows for a loaded one.
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(
            !cache.exists(),
            "engine-build wrote into {}",
            cache.display()
        );
    }
}

#[test]
fn a_bad_profile_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.profile");
    std::fs::write(&bad, "model = x.pth\ntile = 512\nprecison = fp16\n").unwrap();
    let (out, _) = engine_build(&["--profile", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains("bad.profile:3"), "{line}");
    assert!(line.contains("unknown key \"precison\""), "{line}");
    let missing = dir.path().join("none.profile");
    let (out, _) = engine_build(&["--profile", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("none.profile"));
}

#[test]
fn conflicting_or_missing_arguments_exit_2() {
    let cases: [&[&str]; 8] = [
        &[
            "--model", "m.pth", "--height", "64", "--width", "64", "--tile", "32",
        ],
        &["--model", "m.pth", "--height", "64"],
        &[
            "--model",
            "m.pth",
            "--tile-pad",
            "8",
            "--height",
            "64",
            "--width",
            "64",
        ],
        &["--model", "m.pth", "--tile-pad", "8"],
        &["--model", "m.pth", "--tile", "64", "--batch", "0"],
        &[
            "--model",
            "m.pth",
            "--height",
            "64",
            "--width",
            "64",
            "--precision",
            "fp4",
        ],
        &["--model", "m.pth"],
        &["--height", "64", "--width", "64"],
    ];
    for args in cases {
        let (out, _) = engine_build(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        error_line(&out);
    }
}

#[test]
fn fp8_needs_a_readable_calibration_and_only_fp8_takes_one() {
    let dir = tempfile::tempdir().unwrap();
    let frame = ["--model", "m.pth", "--height", "64", "--width", "64"];
    fn with<'a>(frame: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [frame, extra].concat()
    }
    // Usage: fp8 without a calibration, a calibration without fp8 (exit 2, before TensorRT).
    let (out, _) = engine_build(&with(&frame, &["--precision", "fp8"]));
    assert_eq!(out.status.code(), Some(2));
    let line = error_line(&out);
    assert!(
        line.contains("needs --calibration") && line.contains("smoothscale calibrate"),
        "{line}"
    );
    let (out, _) = engine_build(&with(&frame, &["--calibration", "cal.json"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(error_line(&out).contains("not fp16"));
    // A file that is not a calibration is named, before TensorRT is looked for.
    let bad = dir.path().join("cal.json");
    std::fs::write(&bad, "{\"format\": 1}").unwrap();
    let (out, _) = engine_build(&with(
        &frame,
        &["--precision", "fp8", "--calibration", bad.to_str().unwrap()],
    ));
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(
        line.contains("is not a smoothscale fp8 calibration"),
        "{line}"
    );
}

#[test]
fn run_takes_an_fp8_calibration_only_on_the_cuda_backend() {
    let Some(clip) = common::shared_clip("plant_320x240_h264_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let cal = dir.path().join("cal.json");
    std::fs::write(&cal, "{}").unwrap();
    let o = common::smoothscale()
        .args(["run", clip.to_str().unwrap(), out.to_str().unwrap()])
        .args(["--upscale", "2x", "--backend", "cpu", "--fp8-calibration"])
        .arg(&cal)
        .output()
        .unwrap();
    common::assert_clean_failure(&o, &out, "--fp8-calibration is for --backend cuda");
    // Without --upscale there is nothing to calibrate: a usage error.
    let o = common::smoothscale()
        .args(["run", clip.to_str().unwrap(), out.to_str().unwrap()])
        .args(["--fp8-calibration", cal.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
