//! The CPU models at small sizes (RIFE 256x256, RRDBNet x4plus 64x64, SRVGG 256x256) through our
//! ONNX graphs on ONNX Runtime, with GFLOP/s printed so the speed can be compared with other
//! runtimes at the same thread count (`SMOOTHSCALE_BENCH_THREADS`, default 2).
//!
//! Needs the real weights in ../shared/models (or `SMOOTHSCALE_MODELS`) and the ONNX Runtime
//! library (scripts/fetch-onnxruntime); a model that is absent is skipped with a message.

use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use smoothscale::models::runtime::{self, Model};
use smoothscale::models::weights::{StateDict, Tensor};

fn models_dir() -> PathBuf {
    std::env::var_os("SMOOTHSCALE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/models"))
}

fn image(h: usize, w: usize, seed: u32) -> Tensor {
    let data = (0..3 * h * w)
        .map(|i| {
            ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0
        })
        .collect();
    Tensor {
        shape: vec![1, 3, h, w],
        data,
    }
}

/// FLOPs of the 3x3 convolutions of a state dict whose every conv runs at the resolution `at`
/// gives for its key (2 per multiply-add; biases and activations ignored).
fn conv_flops(sd: &StateDict, at: impl Fn(&str) -> usize) -> f64 {
    sd.iter()
        .filter(|(k, t)| k.ends_with(".weight") && t.shape.len() == 4)
        .map(|(k, t)| 2.0 * t.numel() as f64 * at(k) as f64)
        .sum()
}

fn bench_model(
    c: &mut Criterion,
    name: &str,
    file: &str,
    input: (usize, usize),
    flops: impl Fn(&StateDict) -> f64,
) {
    let path = models_dir().join(file);
    if !path.is_file() {
        eprintln!("skipping {name}: {} is absent", path.display());
        return;
    }
    let threads: usize = std::env::var("SMOOTHSCALE_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let mut model = match Model::load(&path, threads) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("skipping {name}: {e}");
            return;
        }
    };
    let sd = smoothscale::models::checkpoint::load(&path)
        .map(|m| m.state_dict)
        .unwrap_or_default();
    let flop = flops(&sd);
    let (a, b) = (image(input.0, input.1, 1), image(input.0, input.1, 2));
    let run = |model: &mut Model| {
        if file.contains("rife") {
            model.interpolate(&a, &b, 0.5).map(|_| ())
        } else {
            model.upscale(&a).map(|_| ())
        }
    };
    // One timed run outside criterion for the GFLOP/s line.
    let _ = run(&mut model);
    let start = Instant::now();
    let _ = run(&mut model);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {:.3} s per call, {:.1} GFLOP, {:.1} GFLOP/s at {threads} threads",
        secs,
        flop / 1e9,
        flop / 1e9 / secs
    );
    let mut group = c.benchmark_group("cpu_models");
    group.sample_size(10);
    group.bench_function(name, |bch| bch.iter(|| run(&mut model)));
    group.finish();
}

fn models(c: &mut Criterion) {
    if let Err(e) = runtime::init() {
        eprintln!("skipping the CPU model benchmarks: {e}");
        return;
    }
    // RIFE: 0.12 TFLOP per 1920x1088 interpolated frame plus the two encoder passes (models.md),
    // scaled by pixels.
    bench_model(
        c,
        "rife_256x256",
        "rife-v4.25/flownet.pkl",
        (256, 256),
        |_| (0.12e12 + 2.0 * 3e9) * (256.0 * 256.0) / (1920.0 * 1088.0),
    );
    // RRDBNet x4: the body at input size, conv_up1 at 2x, conv_up2/conv_hr/conv_last at 4x.
    bench_model(
        c,
        "rrdb_x4plus_64x64",
        "realesrgan/realesrgan-x4plus.param",
        (64, 64),
        |sd| {
            let px = 64 * 64;
            conv_flops(sd, |k| match k {
                k if k.starts_with("conv_up1") => 4 * px,
                k if k.starts_with("conv_up2")
                    || k.starts_with("conv_hr")
                    || k.starts_with("conv_last") =>
                {
                    16 * px
                }
                _ => px,
            })
        },
    );
    // SRVGG: every conv at input size.
    bench_model(
        c,
        "srvgg_256x256",
        "realesrgan/realesr-animevideov3-x4.param",
        (256, 256),
        |sd| conv_flops(sd, |_| 256 * 256),
    );
}

criterion_group!(benches, models);
criterion_main!(benches);
