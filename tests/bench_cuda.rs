//! `smoothscale bench --backend cuda` where no GPU is needed: the plan, the one-line refusal
//! without a GPU, baselines of another GPU or workload refused before any work, the JSON of a
//! CUDA report read back, and the workload's clips drawn and encoded in-process. The timed run
//! itself needs a GPU: `scripts/gpu-check` runs it there.

mod common;

use std::path::Path;
use std::process::Output;

use smoothscale::bench::{
    self, BenchReport, CopiesPerFrame, GpuFigures, Machine, Settings, StageResult, StageStatus,
    Workload,
};

use common::*;

fn bench(args: &[&str]) -> Output {
    smoothscale().arg("bench").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `error:` lines of a run (and no panic).
fn error_lines(out: &Output) -> Vec<String> {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_string)
        .collect()
}

/// Whether this machine has a CUDA device (then the no-GPU checks do not apply).
fn has_gpu() -> bool {
    smoothscale::cuda::device::Gpu::open(0).is_ok()
}

#[test]
fn plan_for_thor_prints_every_stage_and_the_clip_floor() {
    let out = bench(&["--backend", "cuda", "--plan", "--gpu", "thor"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for spec in &Workload::cuda_1088p().stages {
        assert!(
            stdout.contains(&spec.name),
            "{} missing:\n{stdout}",
            spec.name
        );
    }
    assert!(stdout.contains("NVIDIA Jetson AGX Thor"), "{stdout}");
    assert!(stdout.contains("161 frames of 1920x1088"), "{stdout}");
    let clip_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("of the script's 900 s"))
        .collect();
    assert_eq!(clip_lines.len(), 4, "fp16/fp8, whole/tiles:\n{stdout}");
    assert!(stdout.contains("nothing here is measured"), "{stdout}");
}

#[test]
fn plan_names_the_gpus_it_knows_and_refuses_others() {
    for gpu in ["h100", "H200", "h100-pcie", "l40s", "rtx4090", "a100"] {
        let out = bench(&["--backend", "cuda", "--plan", "--gpu", gpu]);
        assert!(out.status.success(), "{gpu}: {}", text(&out.stderr));
    }
    let out = bench(&["--backend", "cuda", "--plan", "--gpu", "v100"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("v100") && errors[0].contains("thor, "),
        "{errors:?}"
    );
    // --gpu belongs to --plan, and --plan to the CUDA workload: usage errors.
    assert_eq!(
        bench(&["--backend", "cuda", "--gpu", "thor"]).status.code(),
        Some(2)
    );
    assert_eq!(
        bench(&["--backend", "cpu", "--plan"]).status.code(),
        Some(2)
    );
}

#[test]
fn plan_without_a_gpu_asks_for_one() {
    if Machine::detect().gpu.is_some() {
        eprintln!("skipping: this machine has a GPU (nvidia-smi answers)");
        return;
    }
    let out = bench(&["--backend", "cuda", "--plan"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("no GPU on this machine") && errors[0].contains("--gpu"),
        "{errors:?}"
    );
}

#[test]
fn without_a_gpu_one_line_says_what_is_missing() {
    if has_gpu() {
        eprintln!("skipping: this machine has a CUDA device");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("cuda.json");
    let out = bench(&["--backend", "cuda", "-q", "--json", json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("needs a CUDA GPU"), "{errors:?}");
    assert!(
        errors[0].contains("libcuda") || errors[0].contains("CUDA device"),
        "{errors:?}"
    );
    assert!(!json.exists(), "nothing written");
}

/// A CUDA report of this machine as it would be written, with one measured stage.
fn cuda_report() -> BenchReport {
    let settings = Settings {
        repeat: 3,
        warmup: 1,
    };
    let mut r = BenchReport::empty(
        bench::Backend::Cuda,
        settings,
        Machine::detect(),
        Workload::cuda_1088p(),
    );
    r.peak = bench::roofline::by_key("h100");
    r.nvenc = Some(false);
    r.stages.push(StageResult {
        name: "upscale_x2plus_fp16".into(),
        status: StageStatus::Measured,
        reason: None,
        frames: 4,
        runs_s: vec![0.2, 0.21, 0.19],
        median_s: Some(0.2),
        per_frame_s: Some(0.05),
        frames_per_s: Some(20.0),
        host_peak_bytes: Some(1 << 30),
        device_peak_bytes: Some(9 << 30),
        gpu: Some(GpuFigures {
            flops_per_frame: Some(18.7e12),
            bytes_per_frame: Some(68e9),
            floor_per_frame_s: Some(0.0189),
            bound: Some("compute".into()),
            achieved_tflops: Some(374.0),
            achieved_gbps: Some(1360.0),
            fraction_of_peak: Some(0.378),
            copies_per_frame: Some(CopiesPerFrame::default()),
            clip_s: None,
            script_speedup: None,
            note: Some("fp16, whole frames".into()),
        }),
    });
    r
}

#[test]
fn cuda_json_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let report = cuda_report();
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["schema"], "smoothscale-bench/1");
    assert_eq!(v["backend"], "cuda");
    assert_eq!(v["workload"]["name"], "cuda-1088p");
    assert_eq!(v["peak"]["key"], "h100");
    assert_eq!(v["stages"][0]["gpu"]["bound"], "compute");
    assert_eq!(BenchReport::load(&path).unwrap(), report);
}

fn write_baseline(dir: &Path, name: &str, report: &BenchReport) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_baseline_of_another_gpu_or_workload_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("never.json");
    let mut other_gpu = cuda_report();
    other_gpu.machine.gpu = Some(bench::Gpu {
        name: Some("NVIDIA Test GPU 9000".into()),
        driver: Some("999.1".into()),
        cuda: Some("13.0".into()),
        tensorrt: None,
        compute_capability: Some("9.0".into()),
        memory_bytes: Some(80 << 30),
    });
    let cpu = BenchReport::empty(
        bench::Backend::Cpu,
        other_gpu.settings,
        Machine::detect(),
        Workload::cpu_small(0),
    );
    let cases = [
        (
            "gpu.json",
            other_gpu,
            "different machine (machine.gpu: baseline \"NVIDIA Test GPU 9000\"",
        ),
        ("cpu.json", cpu, "different workload (workload."),
    ];
    for (name, baseline, needle) in cases {
        let path = write_baseline(dir.path(), name, &baseline);
        let out = bench(&[
            "--backend",
            "cuda",
            "--baseline",
            &path,
            "--json",
            json.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let errors = error_lines(&out);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(needle), "{needle:?} not in {errors:?}");
        assert!(!json.exists(), "refused before any work");
    }
}

#[test]
fn the_workload_clips_are_drawn_and_encoded_in_process() {
    smoothscale::video::init(false).unwrap();
    let w = Workload::cuda_1088p();
    let dir = tempfile::tempdir().unwrap();
    // The real clips are 1920x1088; the same specs at a small size and length keep this quick.
    for clip in &w.clips {
        let small = bench::ClipSpec {
            width: 192,
            height: 128,
            frames: 6,
            ..clip.clone()
        };
        let path = dir.path().join(format!("{}.mp4", clip.name));
        let written = bench::write_clip(&path, &small, &w.encode_settings()).unwrap();
        assert_eq!(written, 6);
        let p = probe(&path);
        let v = streams(&p, "video")[0];
        assert_eq!(
            (v["width"].as_u64(), v["height"].as_u64()),
            (Some(192), Some(128))
        );
        assert_eq!(v["nb_read_frames"], "6");
        let (codec, pix_fmt) = match clip.codec.as_deref() {
            Some("hevc") => ("hevc", "yuv420p10le"),
            _ => ("h264", "yuv420p"),
        };
        assert_eq!(
            (v["codec_name"].as_str(), v["pix_fmt"].as_str()),
            (Some(codec), Some(pix_fmt)),
            "{}",
            clip.name
        );
    }
    assert_eq!(
        w.clips[1].codec.as_deref(),
        Some("hevc"),
        "an HEVC Main10 clip"
    );
}
