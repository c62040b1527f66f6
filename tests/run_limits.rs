//! `run` under limits: `--tile auto` tiles a job that does not fit `--max-memory` and matches the
//! whole-frame run; the memory estimate stays at or above the peak resident memory measured for
//! RRDBNet, SRVGG and RIFE at small sizes; SIGTERM stops a run inside a long model call; progress
//! lines without a terminal; temporary files of dead runs are removed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The shared model `name` (under `models/`), when it and the ONNX Runtime library are here.
fn model(name: &str) -> Option<PathBuf> {
    let path = shared_dir().join("models").join(name);
    let lib = smoothscale::models::runtime::library_location().ok()?.path;
    if !path.is_file() || !lib.is_file() {
        eprintln!("skipping: {name} or the ONNX Runtime library is absent");
        return None;
    }
    Some(path)
}

/// `smoothscale run IN OUT ARGS --report`, asserted to succeed; its report.
fn run_reported(input: &Path, out: &Path, args: &[&str]) -> Value {
    let report = out.with_extension("json");
    let output = smoothscale()
        .arg("run")
        .arg(input)
        .arg(out)
        .args(["--preset", "ultrafast", "--overwrite", "--report"])
        .arg(&report)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap()
}

/// The decoded frames of `path` as raw 8-bit YUV 4:2:0.
fn raw_frames(path: &Path) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", path.to_str().unwrap()])
        .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_memory_limited_run_tiles_and_matches_the_whole_frame_run() {
    let (Some(upscaler), Some(input)) = (
        model("realesrgan/realesr-animevideov3-x4.param"),
        shared_clip("plant_320x240_h264_aac.mp4"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "--upscale",
        "2x",
        "--upscale-model",
        upscaler.to_str().unwrap(),
        "--duration",
        "0.1",
        "--crf",
        "0",
    ];
    let whole = run_reported(&input, &dir.path().join("whole.mp4"), &common);
    assert_eq!(whole["tiling"]["tile"], 0, "{whole}");
    let limited_args = [&common[..], &["--max-memory", "450M"]].concat();
    let limited = run_reported(&input, &dir.path().join("limited.mp4"), &limited_args);
    let tile = limited["tiling"]["tile"].as_u64().unwrap();
    assert!(tile > 0 && tile.is_multiple_of(16), "{limited}");
    assert!(limited["estimated_memory_bytes"].as_u64().unwrap() <= 450 << 20);
    assert_eq!(whole["output_frames"], limited["output_frames"]);
    // Seams under 1/255 before encoding: at most one code value apart after it (x264 lossless).
    let (a, b) = (
        raw_frames(&dir.path().join("whole.mp4")),
        raw_frames(&dir.path().join("limited.mp4")),
    );
    assert_eq!(a.len(), b.len());
    let worst = a.iter().zip(&b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
    assert!(worst <= 1, "{worst} code values apart");
}

#[test]
fn the_memory_estimate_covers_the_measured_peak() {
    let (Some(srvgg), Some(rrdb_x4), Some(rife)) = (
        model("realesrgan/realesr-animevideov3-x4.param"),
        model("realesrgan/RealESRGAN_x4plus_anime_6B.pth"),
        model("rife-v4.25/flownet.pkl"),
    ) else {
        return;
    };
    let rrdb_x2 = shared_dir().join("golden/rrdbnet_x2_random_nf32_nb2_gc16.pth");
    let dir = tempfile::tempdir().unwrap();
    let small = testsrc_clip(dir.path(), "small.mp4", "128x96", 1);
    let wide = testsrc_clip(dir.path(), "wide.mp4", "320x240", 1);
    let m = |p: &PathBuf| p.to_str().unwrap().to_string();
    // (what, clip, arguments): whole frames, tiles one per call, tiles several per call.
    let cases: Vec<(&str, &PathBuf, Vec<String>)> = vec![
        (
            "SRVGG whole",
            &wide,
            vec!["--upscale-model".into(), m(&srvgg)],
        ),
        (
            "SRVGG tiles",
            &wide,
            vec![
                "--upscale-model".into(),
                m(&srvgg),
                "--tile".into(),
                "64".into(),
            ],
        ),
        (
            "RRDBNet x4 whole",
            &small,
            vec!["--upscale-model".into(), m(&rrdb_x4)],
        ),
        (
            "RRDBNet x4 tiles",
            &small,
            vec![
                "--upscale-model".into(),
                m(&rrdb_x4),
                "--tile".into(),
                "64".into(),
                "--tile-pad".into(),
                "16".into(),
            ],
        ),
        (
            "RRDBNet x2 tiles",
            &wide,
            vec![
                "--upscale-model".into(),
                m(&rrdb_x2),
                "--tile".into(),
                "64".into(),
            ],
        ),
    ];
    for (i, (what, input, args)) in cases.iter().enumerate() {
        if what.contains("x2") && !rrdb_x2.is_file() {
            continue;
        }
        let factor = if what.contains("x2") { "2x" } else { "4x" };
        let mut all: Vec<&str> = vec!["--upscale", factor];
        all.extend(args.iter().map(String::as_str));
        let r = run_reported(input, &dir.path().join(format!("u{i}.mp4")), &all);
        assert_covered(what, &r);
    }
    let r = run_reported(
        &wide,
        &dir.path().join("rife.mp4"),
        &[
            "--interpolate",
            "2x",
            "--rife-model",
            rife.to_str().unwrap(),
        ],
    );
    assert_covered("RIFE", &r);
}

/// The run's estimate is at least its process's peak resident memory.
fn assert_covered(what: &str, report: &Value) {
    let estimate = report["estimated_memory_bytes"].as_u64().unwrap();
    let peak = report["peak_rss_bytes"].as_u64().unwrap();
    eprintln!(
        "{what}: tiling {}, estimate {} MiB, peak {} MiB",
        report["tiling"],
        estimate >> 20,
        peak >> 20
    );
    assert!(
        peak <= estimate,
        "{what}: peak {peak} over the estimate {estimate}"
    );
}

#[test]
fn sigterm_inside_a_long_model_call_ends_the_run_within_seconds() {
    let Some(upscaler) = model("realesrgan/realesr-animevideov3-x4.param") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // One whole 1280x720 frame through SRVGG: one model call of several seconds.
    let input = testsrc_clip(dir.path(), "hd.mp4", "1280x720", 1);
    let out = dir.path().join("out.mp4");
    let mut child = smoothscale()
        .arg("run")
        .arg(&input)
        .arg(&out)
        .args(["--upscale", "4x", "--tile", "0", "--upscale-model"])
        .arg(&upscaler)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_partial(dir.path(), &mut child);
    // The output opens just before the first frame is decoded and upscaled.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the call ended early");
    tool("kill", &["-TERM", &child.id().to_string()]);
    let signalled = Instant::now();
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    eprintln!("stopped {took:?} after SIGTERM");
    assert!(took < Duration::from_secs(3), "stopped in {took:?}");
    assert_eq!(status.code(), Some(143));
    assert!(!out.exists());
    assert_no_partials(dir.path());
}

#[test]
fn progress_lines_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "in.mp4", "640x360", 48);
    let out = dir.path().join("out.mp4");
    let output = smoothscale()
        .env("SMOOTHSCALE_PROGRESS_INTERVAL", "0.05")
        .arg("run")
        .arg(&input)
        .arg(&out)
        .args(["--preset", "veryslow"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(!lines.is_empty(), "no progress line: {stderr}");
    let last = lines[lines.len() - 1];
    assert!(
        last.contains("/48 frames") && last.contains("frames/s") && last.contains("ETA"),
        "{last}"
    );
    let quiet = smoothscale()
        .env("SMOOTHSCALE_PROGRESS_INTERVAL", "0.05")
        .args(["-q", "run", "--overwrite"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("progress:"));
}

#[test]
fn temporary_files_of_dead_runs_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "in.mp4", "64x48", 2);
    let out = dir.path().join("out.mp4");
    // Pids above the kernel's limit (2^22) never exist; this test process does.
    let dead = dir.path().join(".out.mp4.99999999.partial");
    let live = dir
        .path()
        .join(format!(".out.mp4.{}.partial", std::process::id()));
    std::fs::write(&dead, b"left by a killed run").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    let output = smoothscale()
        .args(["run", "--preset", "ultrafast"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(out.is_file());
    assert!(!dead.exists(), "the dead run's file is removed");
    assert!(live.exists(), "a live process's file is left alone");
}
