//! `bench --backend cuda --plan`: the workload's costs and floors as text.

use std::fmt::Write as _;

use super::{against_script, floor, stage_cost, Job};
use crate::bench::roofline::Peak;
use crate::bench::workload::{StageSpec, Workload};
use crate::bench::workload_cuda::SCRIPT_SECONDS;

/// Milliseconds, three significant digits.
pub fn ms(seconds: f64) -> String {
    let ms = seconds * 1e3;
    match ms {
        m if m >= 100.0 => format!("{m:.0} ms"),
        m if m >= 10.0 => format!("{m:.1} ms"),
        m if m >= 1.0 => format!("{m:.2} ms"),
        m => format!("{m:.3} ms"),
    }
}

/// How many frames of `spec` one clip of the job runs (none: not part of the job, or another
/// variant of the upscaler than `upscaler`).
fn in_job(job: &Job<'_>, spec: &StageSpec) -> Option<f64> {
    let upscalers = ["fp16", "fp8"]
        .into_iter()
        .flat_map(|p| [job.upscaler(p, false), job.upscaler(p, true)])
        .flatten();
    upscalers
        .map(|u| job.rows(u))
        .find_map(|rows| rows.into_iter().find(|(s, _)| s.name == spec.name))
        .map(|(_, n)| n)
}

/// The plan of `workload` on `peak` (`key`: how it was chosen, for the header).
pub fn render(workload: &Workload, peak: &Peak, chosen: &str) -> String {
    let mut out = String::new();
    let fp8 = peak
        .fp8_tflops
        .map_or("no fp8".into(), |t| format!("fp8 {t:.1} TFLOP/s"));
    let _ = writeln!(
        out,
        "workload {} on {} ({chosen}, compute {}): nothing runs, these are floors\n\
         peaks: fp16 {:.1} TFLOP/s, {fp8} (dense tensor cores), memory {:.0} GB/s; {}\n\
         source: {}",
        workload.name,
        peak.name,
        peak.compute_capability,
        peak.fp16_tflops,
        peak.memory_gbps,
        if peak.nvenc {
            "NVENC encodes"
        } else {
            "no NVENC: the software encoder runs on the host, off this roofline"
        },
        peak.source
    );
    let job = Job::of(workload);
    if let Some(job) = &job {
        let _ = writeln!(
            out,
            "the job: {:.0} frames of {}x{} (H.264), 2x RIFE v4.25, then 2x Real-ESRGAN x2plus: \
             {:.0} frames of {}x{}",
            job.frames,
            workload.clips[0].width,
            workload.clips[0].height,
            job.output_frames(),
            2 * workload.clips[0].width,
            2 * workload.clips[0].height
        );
    }
    out.push_str(
        "floor = the larger of compute (FLOPs at the dense tensor peak: a hard bound) and memory \
         (bytes at the DRAM bandwidth, every layer's input and output through DRAM once, as \
         TensorRT's layer-by-layer execution moves them; an estimate: the L2 cache can save some \
         for small tensors); NVDEC and NVENC are fixed-function and not counted. Per frame: per \
         source frame for the decodes and rife_encoder, per interpolated frame for rife_flow, per \
         output frame for the upscalers, encode and end_to_end.\n\n",
    );
    let _ = writeln!(
        out,
        "{:<32} {:>10} {:>10} {:>9} {:>10} {:>10} {:>10} {:>8} {:>7} {:>8}",
        "stage", "size", "GFLOP", "GB", "compute", "memory", "floor", "bound", "in job", "clip s"
    );
    for spec in &workload.stages {
        let Some(cost) = stage_cost(workload, spec) else {
            continue;
        };
        let size = format!("{}x{}", spec.width, spec.height);
        let gflop = if cost.flops() > 0.0 {
            format!("{:.1}", cost.flops() / 1e9)
        } else {
            "-".into()
        };
        let count = job.as_ref().and_then(|j| in_job(j, spec));
        let (times, clip) = match floor(cost, peak) {
            Some(f) => (
                format!(
                    "{:>10} {:>10} {:>10} {:>8}",
                    if cost.flops() > 0.0 {
                        ms(f.compute_s)
                    } else {
                        "-".into()
                    },
                    ms(f.memory_s),
                    ms(f.seconds()),
                    f.bound()
                ),
                count.map_or("-".into(), |n| format!("{:.2}", n * f.seconds())),
            ),
            None => (format!("{:>41}", "no fp8 on this GPU"), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<32} {size:>10} {gflop:>10} {:>9.3} {times} {:>7} {clip:>8}",
            spec.name,
            cost.bytes / 1e9,
            count.map_or("-".into(), |n| format!("{n:.0}")),
        );
    }
    let Some(job) = job else {
        return out;
    };
    let _ = writeln!(
        out,
        "\nthe whole clip ({:.0} source frames), floor of each upscaler variant:",
        job.frames
    );
    for (precision, tiled) in [
        ("fp16", false),
        ("fp8", false),
        ("fp16", true),
        ("fp8", true),
    ] {
        let Some(upscaler) = job.upscaler(precision, tiled) else {
            continue;
        };
        let how = match upscaler.tiles {
            Some(t) => format!("{}-px tiles, pad {}", t.tile, t.pad),
            None => "whole frames".into(),
        };
        let line = match job.floor(upscaler, peak) {
            Some(s) => format!("{s:.1} s, {}", against_script(s)),
            None => "no fp8 on this GPU".into(),
        };
        let _ = writeln!(out, "  x2plus {precision:<4} {how:<22} {line}");
    }
    if !peak.nvenc {
        let _ = writeln!(
            out,
            "  (plus the software encoding of {:.0} frames on the host, not counted: no NVENC)",
            job.output_frames()
        );
    }
    let _ = writeln!(
        out,
        "the script takes {SCRIPT_SECONDS:.0} s; nothing here is measured (see docs/bench-cuda.md)"
    );
    out
}
