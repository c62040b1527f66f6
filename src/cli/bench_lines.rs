//! The lines `smoothscale bench` prints: the header, one per stage (with the roofline figures of
//! a CUDA stage), and the summary.

use smoothscale::bench::{plan, BenchReport, StageResult, StageStatus, Workload};

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
}

/// What ran where, and how often.
pub fn header(report: &BenchReport) -> String {
    let m = &report.machine;
    format!(
        "workload {} on {} ({} CPUs, {}), {} timed runs after {} warm-up",
        report.workload.name,
        m.cpu_model.as_deref().unwrap_or("unknown CPU"),
        m.logical_cpus.map_or("?".into(), |n| n.to_string()),
        m.gpu
            .as_ref()
            .and_then(|g| g.name.as_deref())
            .unwrap_or("no GPU"),
        report.settings.repeat,
        report.settings.warmup
    )
}

/// One stage's line.
pub fn stage(workload: &Workload, s: &StageResult) -> String {
    let size = workload
        .stages
        .iter()
        .find(|spec| spec.name == s.name)
        .map_or(String::new(), |spec| {
            format!("{}x{}", spec.width, spec.height)
        });
    let (StageStatus::Measured, Some(per_frame)) = (s.status, s.per_frame_s) else {
        let status = match s.status {
            StageStatus::Failed => "FAILED",
            _ => "skipped",
        };
        return format!(
            "{:<26} {size:>9}  {status}: {}",
            s.name,
            s.reason.as_deref().unwrap_or("no frames")
        );
    };
    let mut line = format!(
        "{:<26} {size:>9}  {per_frame:.5} s/frame  {:8.2} frames/s  {} frames/run  peak {}",
        s.name,
        s.frames_per_s.unwrap_or(0.0),
        s.frames,
        mib(s.host_peak_bytes)
    );
    if let Some(g) = &s.gpu {
        line += &format!(", device {}", mib(s.device_peak_bytes));
        if let Some(t) = g.achieved_tflops {
            line += &format!(", {t:.1} TFLOP/s");
        }
        if let Some(b) = g.achieved_gbps {
            line += &format!(", {b:.0} GB/s");
        }
        if let (Some(f), Some(floor)) = (g.fraction_of_peak, g.floor_per_frame_s) {
            line += &format!(
                ", {:.0}% of the {} floor ({})",
                100.0 * f,
                g.bound.as_deref().unwrap_or(""),
                plan::ms(floor)
            );
        }
        if let Some(c) = &g.copies_per_frame {
            if c.pixels() > 0.0 {
                line += &format!(
                    ", {:.1} MiB of pixels host<->device per frame",
                    c.pixels() / 1048576.0
                );
            }
        }
        if let Some(clip) = g.clip_s {
            line += &format!(", {clip:.1} s per clip: {}", plan::against_script(clip));
        }
        if let Some(note) = &g.note {
            line += &format!("\n{:<38}{note}", "");
        }
    }
    line
}

/// Memory, time, the engines and (CUDA) the frame path's copies.
pub fn summary(report: &BenchReport) -> String {
    let mut out = format!(
        "peak host memory {}, {:.1} s in all",
        mib(report.memory.host_peak_bytes),
        report.elapsed_s
    );
    if report.memory.device_peak_bytes.is_some() {
        out += &format!(", device memory {}", mib(report.memory.device_peak_bytes));
    }
    if !report.engines.is_empty() {
        let hits = report.engines.iter().filter(|e| e.cache == "hit").count();
        let built: f64 = report.engines.iter().filter_map(|e| e.build_s).sum();
        out += &format!(
            "\nengines: {hits} from the cache, {} built ({built:.0} s, outside the timed runs)",
            report.engines.len() - hits
        );
    }
    if report.peak.is_none() && report.backend == smoothscale::bench::Backend::Cuda {
        out += "\nroofline: no peak known for this GPU";
    }
    if let Some(nvenc) = report.nvenc {
        out += if nvenc {
            "\nencoder: NVENC"
        } else {
            "\nencoder: software, on the host (this GPU has no NVENC)"
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothscale::bench::{CopiesPerFrame, GpuFigures};

    fn result(status: StageStatus, gpu: Option<GpuFigures>) -> StageResult {
        StageResult {
            name: "end_to_end".into(),
            status,
            reason: (status != StageStatus::Measured).then(|| "no TensorRT".into()),
            frames: 322,
            runs_s: vec![16.1],
            median_s: Some(16.1),
            per_frame_s: Some(0.05),
            frames_per_s: Some(20.0),
            host_peak_bytes: Some(1 << 30),
            device_peak_bytes: Some(10 << 30),
            gpu,
        }
    }

    #[test]
    fn a_cuda_stage_line_has_its_roofline_figures() {
        let w = Workload::cuda_1088p();
        let figures = GpuFigures {
            achieved_tflops: Some(375.0),
            achieved_gbps: Some(1399.0),
            fraction_of_peak: Some(0.38),
            floor_per_frame_s: Some(0.019),
            bound: Some("compute".into()),
            copies_per_frame: Some(CopiesPerFrame {
                pixels_to_host: 2.0 * 1048576.0,
                ..CopiesPerFrame::default()
            }),
            clip_s: Some(16.1),
            note: Some("made-up weights".into()),
            ..GpuFigures::default()
        };
        let line = stage(&w, &result(StageStatus::Measured, Some(figures)));
        for part in [
            "1920x1088",
            "0.05000 s/frame",
            "device 10240.0 MiB",
            "375.0 TFLOP/s",
            "1399 GB/s",
            "38% of the compute floor (19.0 ms)",
            "2.0 MiB of pixels host<->device per frame",
            "16.1 s per clip: 1.8% of the script's 900 s (56x faster)",
            "made-up weights",
        ] {
            assert!(line.contains(part), "{part:?} not in {line}");
        }
        let failed = stage(&w, &result(StageStatus::Failed, None));
        assert!(failed.contains("FAILED: no TensorRT"), "{failed}");
        let skipped = stage(&w, &result(StageStatus::Skipped, None));
        assert!(skipped.contains("skipped: no TensorRT"), "{skipped}");
    }
}
