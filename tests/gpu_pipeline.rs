//! The whole CUDA chain against the CPU path: `run --backend cuda` (NVDEC → our kernels →
//! TensorRT → our kernels → NVENC, or the software encoder where the GPU has no NVENC) and
//! `run --backend cpu` on the same clip must give the same frames at the same times, PSNR >= 40 dB
//! per frame, with the audio copied. Without a GPU, NVDEC, TensorRT (for the model case) or the
//! shared clips and models, each test prints `skipped: REASON` and passes.

mod common;

use std::path::{Path, PathBuf};

use common::gpu::{cuda_device, skip};
use common::*;
use smoothscale::frame::RgbFrame;
use smoothscale::video::{Item, Source, Window};

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

/// A decoded output: its frames' times (seconds), frames, and copied audio streams. Decoded with
/// smoothscale's own FFmpeg source, so the check needs no ffmpeg executable (the GPU bundle has
/// none).
fn decode(path: &Path) -> (Vec<f64>, Vec<RgbFrame>, usize) {
    let mut source = Source::open(path, Window::default()).unwrap();
    let audio = source.copied_streams().len();
    let (mut times, mut frames) = (Vec::new(), Vec::new());
    while let Some(item) = source.next_item().unwrap() {
        if let Item::Frame(f) = item {
            times.push(f.time.to_f64());
            frames.push(f.rgb);
        }
    }
    (times, frames, audio)
}

/// PSNR in dB of `a` against `b` over all samples (peak 1.0); infinite when identical.
fn psnr(a: &RgbFrame, b: &RgbFrame) -> f64 {
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "frame sizes"
    );
    let mut sum = 0.0f64;
    for c in 0..3 {
        for (x, y) in a.plane(c).iter().zip(b.plane(c)) {
            sum += f64::from(x - y).powi(2);
        }
    }
    let mse = sum / (3 * a.width() * a.height()) as f64;
    10.0 * (1.0 / mse).log10()
}

/// Both backends on `input` with `extra` options; the outputs must agree.
fn compare_backends(name: &str, input: &Path, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("engines");
    let (cpu, gpu) = (dir.path().join("cpu.mp4"), dir.path().join("gpu.mp4"));
    run("cpu", input, &cpu, extra, &cache);
    run("cuda", input, &gpu, extra, &cache);
    let (cpu_times, cpu_frames, _) = decode(&cpu);
    let (gpu_times, gpu_frames, gpu_audio) = decode(&gpu);
    assert_eq!(gpu_times.len(), cpu_times.len(), "{name}: frame count");
    for (i, (g, c)) in gpu_times.iter().zip(&cpu_times).enumerate() {
        assert!(
            (g - c).abs() < 1e-3,
            "{name}: frame {i} at {g} s, CPU {c} s"
        );
    }
    let psnr: Vec<f64> = gpu_frames
        .iter()
        .zip(&cpu_frames)
        .map(|(g, c)| psnr(g, c))
        .collect();
    let worst = psnr.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(worst >= MIN_PSNR, "{name}: worst frame PSNR {worst:.2} dB");
    let (_, _, input_audio) = decode(input);
    assert_eq!(gpu_audio, input_audio, "{name}: audio streams copied");
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
    let path = shared_dir().join(relative);
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
        shared_model("models/rife-v4.25/flownet.pkl"),
        shared_model("models/realesrgan/realesr-animevideov3.pth"),
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
