//! The whole CUDA chain against the CPU path: `run --backend cuda` (NVDEC → our kernels →
//! TensorRT → our kernels → NVENC, or the software encoder where the GPU has no NVENC) and
//! `run --backend cpu` on the same clip must give the same frames at the same times, PSNR >= 40 dB
//! per frame, with the audio copied. Without a GPU, NVDEC, TensorRT (for the model case) or the
//! shared clips and models, each test prints `skipped: REASON` and passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::gpu::{cuda_device, skip};
use common::*;

const MIN_PSNR: f64 = 40.0;

/// Runs `smoothscale run` on `backend`; panics with its stderr when it fails.
fn run(backend: &str, input: &Path, out: &Path, extra: &[&str], cache: &Path) {
    let output = smoothscale()
        .args(["-v", "run", "--backend", backend, "--preset", "veryfast"])
        .args(extra)
        .arg(input)
        .arg(out)
        .env("SMOOTHSCALE_ENGINE_CACHE", cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("--- {backend}:\n{stderr}");
    assert!(output.status.success(), "{backend} failed: {stderr}");
}

/// Per-frame PSNR (average over planes) of `a` against `b`, in frame order.
fn frame_psnr(a: &Path, b: &Path) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(a)
        .arg("-i")
        .arg(b)
        .args(["-lavfi", "psnr=stats_file=-", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split("psnr_avg:").nth(1))
        .filter_map(|v| v.split_whitespace().next())
        .map(|v| {
            if v == "inf" {
                f64::INFINITY
            } else {
                v.parse().unwrap()
            }
        })
        .collect()
}

/// The presentation times of `path`'s video frames, in seconds.
fn frame_times(path: &Path) -> Vec<f64> {
    tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "default=nw=1:nk=1",
            path.to_str().unwrap(),
        ],
    )
    .lines()
    .filter_map(|l| l.trim().parse().ok())
    .collect()
}

/// Both backends on `input` with `extra` options; the outputs must agree.
fn compare_backends(name: &str, input: &Path, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("engines");
    let (cpu, gpu) = (dir.path().join("cpu.mp4"), dir.path().join("gpu.mp4"));
    run("cpu", input, &cpu, extra, &cache);
    run("cuda", input, &gpu, extra, &cache);
    let (cpu_times, gpu_times) = (frame_times(&cpu), frame_times(&gpu));
    assert_eq!(gpu_times.len(), cpu_times.len(), "{name}: frame count");
    for (i, (g, c)) in gpu_times.iter().zip(&cpu_times).enumerate() {
        assert!(
            (g - c).abs() < 1e-3,
            "{name}: frame {i} at {g} s, CPU {c} s"
        );
    }
    let psnr = frame_psnr(&gpu, &cpu);
    assert_eq!(psnr.len(), cpu_times.len(), "{name}: PSNR of every frame");
    let worst = psnr.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(worst >= MIN_PSNR, "{name}: worst frame PSNR {worst:.2} dB");
    let audio = |p: &Path| streams(&probe(p), "audio").len();
    assert_eq!(audio(&gpu), audio(input), "{name}: audio streams copied");
    eprintln!(
        "{name}: {} frames, worst PSNR against the CPU path {worst:.2} dB",
        psnr.len()
    );
}

fn has_nvdec() -> bool {
    match smoothscale_nvcodec_sys::Cuvid::load() {
        Ok(_) => true,
        Err(e) => {
            skip(&format!("no NVDEC ({e})"));
            false
        }
    }
}

#[test]
fn cuda_transcode_matches_the_cpu_path() {
    if cuda_device().is_none() || !has_nvdec() {
        return;
    }
    for name in ["plant_320x240_h264_aac.mp4", "plant_320x240_hevc_aac.mp4"] {
        let Some(input) = shared_clip(name) else {
            skip("no shared clip (../shared/media is absent)");
            return;
        };
        compare_backends(name, &input, &["--duration", "1"]);
    }
}

fn shared_model(relative: &str) -> Option<PathBuf> {
    let path = shared_dir().join("models").join(relative);
    path.is_file().then_some(path)
}

#[test]
fn cuda_interpolation_and_tiled_upscaling_match_the_cpu_path() {
    if cuda_device().is_none() || !has_nvdec() {
        return;
    }
    if let Err(e) = smoothscale_tensorrt_sys::TensorRt::load() {
        skip(&format!("no TensorRT ({e})"));
        return;
    }
    let (Some(input), Some(rife), Some(upscaler)) = (
        shared_clip("plant_320x240_h264_aac.mp4"),
        shared_model("rife-v4.25/flownet.pkl"),
        shared_model("realesrgan/realesr-animevideov3.pth"),
    ) else {
        skip("no shared clip or models (../shared is absent)");
        return;
    };
    let (rife, upscaler) = (rife.to_str().unwrap(), upscaler.to_str().unwrap());
    compare_backends(
        "RIFE 2x + SRVGG x4 at 2x in 128 px tiles",
        &input,
        &[
            "--duration",
            "0.5",
            "--interpolate",
            "2x",
            "--rife-model",
            rife,
            "--upscale",
            "2x",
            "--upscale-model",
            upscaler,
            "--tile",
            "128",
        ],
    );
}
