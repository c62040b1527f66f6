//! The plan's arithmetic: floors, the job's frame counts, the whole clip.

use super::*;
use crate::bench::roofline::by_key;

fn workload() -> Workload {
    Workload::cuda_1088p()
}

fn spec<'a>(w: &'a Workload, name: &str) -> &'a StageSpec {
    w.stages.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn a_floor_is_the_slower_of_compute_and_memory() {
    let h200 = by_key("h200").unwrap();
    let c = Cost {
        fp16_flops: 989.4e12,
        fp8_flops: 1978.9e12,
        bytes: 2.4e12,
    };
    let f = floor(c, &h200).unwrap();
    assert!(
        (f.compute_s - 2.0).abs() < 1e-9 && (f.memory_s - 0.5).abs() < 1e-9,
        "{f:?}"
    );
    assert_eq!((f.seconds(), f.bound()), (f.compute_s, "compute"));
    let a100 = by_key("a100").unwrap();
    assert_eq!(floor(c, &a100), None, "fp8 work on a GPU without fp8");
    let fp16_only = Cost {
        fp8_flops: 0.0,
        ..c
    };
    assert_eq!(floor(fp16_only, &a100).unwrap().bound(), "compute");
    assert_eq!(floor(Cost::bytes(1555e9), &a100).unwrap().memory_s, 1.0);
}

#[test]
fn the_job_counts_source_interpolated_and_output_frames() {
    let w = workload();
    let job = Job::of(&w).unwrap();
    let up = job.upscaler("fp16", false).unwrap();
    assert_eq!(up.name, "upscale_x2plus_fp16");
    let rows: Vec<(&str, f64)> = job
        .rows(up)
        .iter()
        .map(|(s, n)| (s.name.as_str(), *n))
        .collect();
    assert_eq!(
        rows,
        [
            ("decode_h264", 161.0),
            ("rife_encoder", 161.0),
            ("rife_flow", 160.0),
            ("upscale_x2plus_fp16", 322.0),
            ("encode", 322.0),
        ]
    );
    assert_eq!(
        job.upscaler("fp8", true).unwrap().name,
        "upscale_x2plus_tiles_fp8"
    );
}

#[test]
fn the_clip_floor_sums_its_stages_and_end_to_end_is_its_average() {
    let w = workload();
    let job = Job::of(&w).unwrap();
    let h100 = by_key("h100").unwrap();
    let up = job.upscaler("fp16", false).unwrap();
    let by_rows: f64 = job
        .rows(up)
        .iter()
        .map(|(s, n)| n * floor(stage_cost(&w, s).unwrap(), &h100).unwrap().seconds())
        .sum();
    let clip = job.floor(up, &h100).unwrap();
    assert!((clip - by_rows).abs() < 1e-12);
    // The upscaler is nearly all of it: 322 frames of 18.7 TFLOP at 989 TFLOP/s is 6.1 s.
    assert!((6.0..9.0).contains(&clip), "{clip}");
    let e2e = stage_cost(&w, spec(&w, "end_to_end")).unwrap();
    let total: Cost = job
        .rows(up)
        .iter()
        .map(|(s, n)| stage_cost(&w, s).unwrap() * *n)
        .sum();
    assert!((e2e.flops() * 322.0 / total.flops() - 1.0).abs() < 1e-12);
    // 512-pixel tiles with 64 of context: 12 slots of 640x640 for 1920x1088, 2.35x the pixels.
    let tiles = stage_cost(&w, spec(&w, "upscale_x2plus_tiles_fp16")).unwrap();
    let whole = stage_cost(&w, spec(&w, "upscale_x2plus_fp16")).unwrap();
    let ratio = tiles.flops() / whole.flops();
    assert!(
        (ratio - 12.0 * 640.0 * 640.0 / (1920.0 * 1088.0)).abs() < 0.01,
        "{ratio}"
    );
}

#[test]
fn kernel_and_codec_stages_are_bytes_only() {
    let w = workload();
    let decode = stage_cost(&w, spec(&w, "decode_h264")).unwrap();
    let p = 1920.0 * 1088.0;
    assert_eq!(decode, Cost::bytes(1.5 * p + 12.0 * p));
    let hevc = stage_cost(&w, spec(&w, "decode_hevc10")).unwrap();
    assert_eq!(hevc.bytes, 3.0 * p + 12.0 * p, "P010 is two bytes a sample");
    for s in w.stages.iter().filter(|s| s.kind == StageKind::Kernel) {
        let c = stage_cost(&w, s).unwrap_or_else(|| panic!("{}", s.name));
        assert!(c.flops() == 0.0 && c.bytes > 1e7, "{}: {c:?}", s.name);
    }
}

#[test]
fn the_plan_names_every_stage_and_the_script() {
    let w = workload();
    let thor = by_key("thor").unwrap();
    let text = render(&w, &thor, "--gpu thor");
    for s in &w.stages {
        assert!(text.contains(&s.name), "{} missing:\n{text}", s.name);
    }
    assert!(text.contains("NVIDIA Jetson AGX Thor"), "{text}");
    assert!(text.contains("of the script's 900 s"), "{text}");
    assert!(text.contains("512-px tiles, pad 64"), "{text}");
    let a100 = render(&w, &by_key("a100").unwrap(), "--gpu a100");
    assert!(
        a100.contains("no fp8 on this GPU") && a100.contains("no NVENC"),
        "{a100}"
    );
    assert_eq!(ms(0.0123), "12.3 ms");
    assert_eq!(ms(0.5), "500 ms");
}
