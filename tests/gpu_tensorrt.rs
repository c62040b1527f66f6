//! TensorRT on a GPU: every golden case of `../shared/golden` through an engine built by
//! `smoothscale::tensorrt` (fp32: max abs <= 2e-3; fp16: PSNR >= 45 dB; the upscalers in fp8,
//! calibrated on the case's input, on GPUs that have it: PSNR >= 38 dB), and the engine cache's
//! miss / hit / rebuild with real builds. Skipped, with the reason, without a CUDA device,
//! TensorRT or the shared data. Not yet run on a GPU.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::CudaContext;
use smoothscale::models::checkpoint;
use smoothscale::models::golden::{max_abs_err, psnr, CaseKind, GoldenCase, GoldenSet};
use smoothscale::models::runtime::model::{crop, reflect_pad, zero_pad};
use smoothscale::models::weights::Tensor;
use smoothscale::pipeline::Tiling;
use smoothscale::tensorrt::builder::{prepare, Toolchain};
use smoothscale::tensorrt::jobs::shape_for_job;
use smoothscale::tensorrt::spec::{output_shape, BuildOptions, Network};
use smoothscale::tensorrt::stage::{Input, TensorRtStage};
use smoothscale::tensorrt::{CacheDecision, EngineCache, EnginePrecision};

fn shared_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The device, TensorRT and the golden cases, or `None` after printing why not.
fn setup() -> Option<(Arc<CudaContext>, Toolchain, GoldenSet)> {
    let ctx = common::gpu::cuda_device()?;
    let toolchain = match Toolchain::probe() {
        Ok(t) => t,
        Err(e) => {
            common::gpu::skip(&format!("no TensorRT ({e})"));
            return None;
        }
    };
    match GoldenSet::load(&shared_root().join("golden")) {
        Ok(set) => Some((ctx, toolchain, set)),
        Err(e) => {
            common::gpu::skip(&format!("no golden data ({e})"));
            None
        }
    }
}

/// Builder options for the tests: optimization level 1 keeps the builds short.
fn options(precision: EnginePrecision) -> BuildOptions {
    BuildOptions {
        precision,
        opt_level: 1,
        ..BuildOptions::default()
    }
}

/// Runs one case through its engine (built into `cache` unless already there) and returns the
/// output, cropped, and the reference.
fn run_case(
    ctx: &Arc<CudaContext>,
    tc: &Toolchain,
    set: &GoldenSet,
    case: &GoldenCase,
    cache: &EngineCache,
    options: BuildOptions,
) -> (Tensor, Tensor) {
    let model = case.weights_path(&shared_root()).unwrap();
    let arch = checkpoint::load(&model).unwrap().architecture;
    let net = Network::of(arch);
    let kind = case.kind.clone().unwrap();
    let first = match kind {
        CaseKind::Rife { .. } => set.tensor(case, "img0").unwrap(),
        CaseKind::Upscale => set.tensor(case, "input").unwrap(),
    };
    let (h, w) = (first.shape[2], first.shape[3]);
    let whole = Tiling {
        tile: 0,
        pad: 0,
        batch: 1,
    };
    let shape = shape_for_job(net, w, h, whole);
    let (ph, pw) = shape.input_size();
    let prepared = prepare(&model, shape, options, tc.target()).unwrap();
    if !matches!(
        cache.decide(&prepared.stem, &prepared.key),
        CacheDecision::Hit { .. }
    ) {
        tc.build(&prepared, cache).unwrap();
    }
    let mut stage =
        TensorRtStage::load(tc.tensorrt(), cache, &prepared.stem, &prepared.key).unwrap();
    let stream = ctx.default_stream();
    let image_shape = [1, 3, ph as i64, pw as i64];
    let mut host: Vec<(&str, Vec<i64>, Vec<f32>)> = Vec::new();
    match kind {
        CaseKind::Rife { timestep } => {
            let img1 = set.tensor(case, "img1").unwrap();
            host.push(("img0", image_shape.to_vec(), zero_pad(&first, ph, pw).data));
            host.push(("img1", image_shape.to_vec(), zero_pad(&img1, ph, pw).data));
            host.push(("timestep", vec![1, 1, 1, 1], vec![timestep]));
        }
        CaseKind::Upscale => {
            host.push((
                "input",
                image_shape.to_vec(),
                reflect_pad(&first, ph, pw).data,
            ));
        }
    }
    let device: Vec<_> = host
        .iter()
        .map(|(_, _, data)| stream.clone_htod(data).unwrap())
        .collect();
    let inputs: Vec<Input<'_, f32>> = host
        .iter()
        .zip(&device)
        .map(|((name, shape, _), buffer)| Input {
            name,
            shape,
            buffer,
        })
        .collect();
    let out_shape = output_shape(net, shape, 1);
    let n: i64 = out_shape.iter().product();
    let mut out = stream.alloc_zeros::<f32>(n as usize).unwrap();
    stage
        .enqueue(&stream, &inputs, &mut [("out", &mut out)])
        .unwrap();
    let data = stream.clone_dtoh(&out).unwrap();
    stream.synchronize().unwrap();
    let got = Tensor {
        shape: out_shape.iter().map(|&d| d as usize).collect(),
        data,
    };
    let want = set.tensor(case, "out").unwrap();
    let got = crop(&got, want.shape[2], want.shape[3]);
    (got, want)
}

#[test]
fn golden_cases_through_fp32_engines() {
    let Some((ctx, tc, set)) = setup() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    let mut failures = Vec::new();
    for case in &set.cases {
        let (got, want) = run_case(
            &ctx,
            &tc,
            &set,
            case,
            &cache,
            options(EnginePrecision::Fp32),
        );
        assert_eq!(got.shape, want.shape, "{}", case.name);
        let err = max_abs_err(&got.data, &want.data);
        eprintln!("{} fp32 max_abs_err={err:.3e}", case.name);
        if err.is_nan() || err > 2e-3 {
            failures.push(format!("{}: {err:e}", case.name));
        }
    }
    assert!(failures.is_empty(), "over 2e-3: {failures:?}");
}

/// Checks that `got` is within `floor` dB PSNR of `want` (the reference of `case`), printing the
/// PSNR and noting a failure.
fn check_psnr(
    case: &GoldenCase,
    label: &str,
    (got, want): (Tensor, Tensor),
    floor: f64,
    failures: &mut Vec<String>,
) {
    assert_eq!(got.shape, want.shape, "{}", case.name);
    let db = psnr(&got.data, &want.data);
    eprintln!("{} {label} psnr={db:.2} dB", case.name);
    if db.is_nan() || db < floor {
        failures.push(format!("{}: {db:.2} dB", case.name));
    }
}

#[test]
fn golden_cases_through_fp16_engines() {
    let Some((ctx, tc, set)) = setup() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    let mut failures = Vec::new();
    for case in &set.cases {
        let fp16 = options(EnginePrecision::Fp16);
        let outputs = run_case(&ctx, &tc, &set, case, &cache, fp16);
        check_psnr(case, "fp16", outputs, 45.0, &mut failures);
    }
    assert!(failures.is_empty(), "under 45 dB: {failures:?}");
}

/// fp8 on GPUs of compute capability 8.9 and newer: each golden upscaler case calibrated on its
/// own input (the ranges `smoothscale calibrate` would measure on a clip). On the CPU the same
/// fp8 graphs reach 42.9 to 57.5 dB (`tests/calibration.rs`); 38 dB leaves TensorRT's kernels
/// some room.
#[test]
fn golden_upscalers_through_fp8_engines() {
    let Some((ctx, tc, set)) = setup() else {
        return;
    };
    let cc = tc.target().compute_capability;
    if (cc.major, cc.minor) < (8, 9) {
        common::gpu::skip(&format!("compute capability {cc} has no fp8"));
        return;
    }
    // The ranges are measured on the CPU, through ONNX Runtime.
    if let Err(e) = smoothscale::models::runtime::init() {
        common::gpu::skip(&format!("no ONNX Runtime to calibrate with ({e})"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    let mut failures = Vec::new();
    for case in &set.cases {
        if case.kind != Ok(CaseKind::Upscale) {
            continue;
        }
        let model = case.weights_path(&shared_root()).unwrap();
        let input = set.tensor(case, "input").unwrap();
        let calibration = common::fp8::calibration_on(&model, &input);
        let fp8 =
            options(EnginePrecision::Fp8).with_calibration(PathBuf::from("cal.json"), calibration);
        let outputs = run_case(&ctx, &tc, &set, case, &cache, fp8);
        check_psnr(case, "fp8", outputs, 38.0, &mut failures);
    }
    assert!(failures.is_empty(), "under 38 dB: {failures:?}");
}

#[test]
fn engine_cache_misses_hits_and_rebuilds() {
    let Some((_ctx, tc, _set)) = setup() else {
        return;
    };
    let model = shared_root().join("golden/rrdbnet_x2_random_nf32_nb2_gc16.pth");
    let shape = smoothscale::tensorrt::spec::EngineShape::Frame {
        height: 36,
        width: 40,
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    let first = prepare(&model, shape, options(EnginePrecision::Fp32), tc.target()).unwrap();
    assert_eq!(cache.decide(&first.stem, &first.key), CacheDecision::Miss);
    let built = tc.build(&first, &cache).unwrap();
    assert!(!built.timing_cache_reused);
    assert!(matches!(
        cache.decide(&first.stem, &first.key),
        CacheDecision::Hit { .. }
    ));
    // Another optimization level is the same entry with another key: rebuild, saying why.
    let other_opts = BuildOptions {
        opt_level: 2,
        ..options(EnginePrecision::Fp32)
    };
    let other = prepare(&model, shape, other_opts, tc.target()).unwrap();
    assert_eq!(other.stem, first.stem);
    match cache.decide(&other.stem, &other.key) {
        CacheDecision::Rebuild { reason } => {
            assert!(reason.contains("builder options"), "{reason}")
        }
        d => panic!("expected a rebuild, got {d:?}"),
    }
    let stale = TensorRtStage::load(tc.tensorrt(), &cache, &other.stem, &other.key);
    assert!(stale.is_err());
    let rebuilt = tc.build(&other, &cache).unwrap();
    assert!(
        rebuilt.timing_cache_reused,
        "the timing cache was not reused"
    );
    assert!(matches!(
        cache.decide(&other.stem, &other.key),
        CacheDecision::Hit { .. }
    ));
    // A damaged plan is never deserialized.
    let mut plan = std::fs::read(&rebuilt.plan).unwrap();
    plan.push(0);
    std::fs::write(&rebuilt.plan, plan).unwrap();
    match cache.decide(&other.stem, &other.key) {
        CacheDecision::Rebuild { reason } => assert!(reason.contains("bytes"), "{reason}"),
        d => panic!("expected a rebuild, got {d:?}"),
    }
}
