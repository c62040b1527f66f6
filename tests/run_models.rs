//! `smoothscale run` with the models: interpolation, retiming, upscaling, scene cuts, wrong or
//! missing models. Needs the ONNX Runtime library (scripts/fetch-onnxruntime) and the real
//! weights in ../shared/models; each test says so and is skipped when they are absent.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn models_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models");
    let lib = smoothscale::models::runtime::library_location().ok()?.path;
    if !lib.is_file() {
        eprintln!(
            "skipping: the ONNX Runtime library {} is absent (run scripts/fetch-onnxruntime)",
            lib.display()
        );
        return None;
    }
    if !dir.join("rife-v4.25/flownet.pkl").is_file() {
        eprintln!("skipping: {} is absent", dir.display());
        return None;
    }
    Some(dir)
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn interpolate_2x_and_upscale_2x_on_the_real_clip() {
    let (Some(models), Some(input)) = (models_dir(), shared_clip("plant_320x240_h264_aac.mp4"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let json = dir.path().join("r.json");
    let light = models.join("realesrgan/realesr-animevideov3-x4.param");
    let run = smoothscale()
        .env("SMOOTHSCALE_MODELS", &models)
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--interpolate",
            "2x",
            "--upscale",
            "2x",
        ])
        // Exactly six source frames (at 45000/1499 fps): the window ends on a frame boundary.
        .args([
            "--duration",
            "8994/45000",
            "--preset",
            "ultrafast",
            "--upscale-model",
        ])
        .arg(&light)
        .arg("--report")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = report(&json);
    let sources = r["source_frames"].as_u64().unwrap();
    assert_eq!(sources, 6, "{r}");
    // RIFE's encoder ran once per source frame, not twice per pair.
    assert_eq!(r["rife_encoder_runs"].as_u64(), Some(sources), "{r}");
    assert_eq!(
        r["output_frames"].as_u64().unwrap(),
        2 * sources,
        "twice the frames"
    );
    assert_eq!(r["output_fps"], "90000/1499", "twice 45000/1499");
    let p = probe(&out);
    let v = streams(&p, "video")[0];
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(
        v["nb_read_frames"].as_str().unwrap(),
        (2 * sources).to_string()
    );
    assert!(
        (field_f64(v, "duration") - 0.19987).abs() < 0.017,
        "{}",
        v["duration"]
    );
    assert_eq!(streams(&p, "audio").len(), 1);
}

#[test]
fn target_fps_retimes_exactly() {
    let (Some(models), Some(input)) = (models_dir(), shared_clip("plant_320x240_h264_aac.mp4"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mkv");
    let json = dir.path().join("r.json");
    let run = smoothscale()
        .env("SMOOTHSCALE_MODELS", &models)
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--target-fps",
            "24",
            "--duration",
            "0.5",
        ])
        .args(["--preset", "ultrafast", "--report"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = report(&json);
    // 0.5 s at 24 fps: outputs at k/24 for k = 0..11.
    assert_eq!(r["output_frames"], 12);
    assert_eq!(r["output_fps"], "24");
    let p = probe(&out);
    let v = streams(&p, "video")[0];
    assert_eq!(v["nb_read_frames"], "12");
    assert!((rate(v, "r_frame_rate") - 24.0).abs() < 1e-9);
}

#[test]
fn pairs_across_a_scene_cut_are_not_interpolated() {
    let Some(models) = models_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "cut.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=red:size=128x64:rate=10:duration=0.4",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:size=128x64:rate=10:duration=0.4",
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-c:v",
            "libx264",
        ],
    );
    let out = dir.path().join("out.mp4");
    let json = dir.path().join("r.json");
    let run = smoothscale()
        .env("SMOOTHSCALE_MODELS", &models)
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--interpolate",
            "2x",
            "--report",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = report(&json);
    assert_eq!(r["scene_cuts"], 1, "{r}");
    assert_eq!(r["output_frames"], 16);
}

#[test]
fn wrong_and_missing_models_fail_cleanly() {
    let Some(models) = models_dir() else { return };
    let Some(input) = shared_clip("plant_320x240_h264_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let upscaler = models.join("realesrgan/realesr-animevideov3-x4.param");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--interpolate",
            "2x",
            "--rife-model",
        ])
        .arg(&upscaler)
        .output()
        .unwrap();
    assert_clean_failure(&run, &out, "is not a RIFE model");
    let run = smoothscale()
        .env("SMOOTHSCALE_MODELS", dir.path().join("none"))
        .env("XDG_DATA_HOME", dir.path().join("none"))
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--upscale",
            "4x",
        ])
        .output()
        .unwrap();
    assert_clean_failure(&run, &out, "no upscaling model found");
    let rife = models.join("rife-v4.25/flownet.pkl");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--upscale",
            "2x",
            "--upscale-model",
        ])
        .arg(&rife)
        .output()
        .unwrap();
    assert_clean_failure(&run, &out, "is not an upscaling model");
}
