//! `bench --backend cuda`: the `cuda-1088p` workload on GPU 0, stage by stage, through the
//! pieces `pipeline::run` uses (NVDEC and `ToDeviceRgb`, our kernels, `GpuUpscaler`, RIFE's two
//! engines, `FrameWriter`, and `pipeline::run` itself), with `bench::synthetic`'s made-up
//! weights. Each stage is timed as runs of several frames ending in a stream synchronisation;
//! engines are built or loaded before their stage's runs (and recorded); the host↔device copies
//! come from `cuda::device::copies`; the roofline figures from `bench::plan`.
//!
//! Compiled and type-checked here; NOT YET RUN ON A GPU.

mod end_to_end;
mod engines;
mod frames;
mod models;
mod timing;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use cudarc::driver::CudaStream;

use super::measure::measure;
use super::plan::{self, stage_cost};
use super::stages;
use super::synthetic::{self, Network};
use super::workload::{StageKind, StageSpec, Workload};
use super::{
    roofline, BenchError, BenchReport, CopiesPerFrame, EngineRecord, GpuFigures, Settings,
    StageResult,
};
use crate::cuda::device::{DeviceError, Gpu, Kernels};
use crate::pipeline::cuda::engines::default_engine_cache;
use crate::pipeline::cuda::Streams;
use crate::tensorrt::builder::Toolchain;
use crate::tensorrt::EngineCache;

/// What every stage shares: the device, its kernels and streams, TensorRT (or why not), the
/// folder of the clips and made-up models, and the settings.
struct Rig<'a> {
    pub gpu: Gpu,
    pub kernels: Arc<Kernels>,
    pub streams: Streams,
    /// TensorRT and the engine cache, or the reason the model stages are skipped.
    pub trt: Result<(Toolchain, EngineCache), String>,
    pub dir: &'a Path,
    pub workload: &'a Workload,
    pub settings: Settings,
}

impl Rig<'_> {
    pub fn clip_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("clip-{name}.mp4"))
    }

    /// The made-up checkpoint of `net`, written on first use.
    pub fn model(&self, net: Network) -> Result<PathBuf, BenchError> {
        let path = self.dir.join(net.file);
        if path.is_file() {
            return Ok(path);
        }
        synthetic::write(self.dir, net).map_err(|source| BenchError::Synthetic {
            path: path.clone(),
            source,
        })
    }

    /// The model stream (RIFE, the upscalers, the kernels).
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.streams.models
    }
}

/// What a stage function gives back, or why it was skipped.
enum Outcome {
    Measured {
        counted: Box<Counted>,
        note: Option<String>,
    },
    Skipped(String),
}

impl Outcome {
    pub fn measured(counted: Counted, note: Option<String>) -> Self {
        Outcome::Measured {
            counted: Box::new(counted),
            note,
        }
    }
}

/// Opens GPU 0, its kernels and streams; the error says what is missing.
fn open() -> Result<(Gpu, Arc<Kernels>, Streams), BenchError> {
    let missing = |e: DeviceError| BenchError::NoDevice(e.to_string());
    let gpu = Gpu::open(0).map_err(missing)?;
    if let Err(e) = gpu.keep_freed_memory() {
        log::warn!("{e}");
    }
    let kernels = Arc::new(Kernels::load(&gpu).map_err(missing)?);
    let streams = Streams::new(&gpu).map_err(missing)?;
    Ok((gpu, kernels, streams))
}

/// Checks that a CUDA GPU can be opened (`Err`: what is missing), without running anything.
pub fn check_device() -> Result<String, BenchError> {
    open().map(|(gpu, _, _)| gpu.info().to_string())
}

/// Wraps a stage's pipeline error with the stage's name.
fn stage_error(
    spec: &StageSpec,
) -> impl Fn(crate::pipeline::PipelineError) -> BenchError + Copy + '_ {
    |source| BenchError::Stage {
        stage: spec.name.clone(),
        source: Box::new(source),
    }
}

fn run_stage(
    rig: &Rig<'_>,
    spec: &StageSpec,
    engines: &mut Vec<EngineRecord>,
) -> Result<Outcome, BenchError> {
    let stage = stage_error(spec);
    match spec.kind {
        StageKind::Decode => frames::decode(rig, spec).map_err(stage),
        StageKind::Kernel => frames::kernel(rig, spec).map_err(stage),
        StageKind::Encode => frames::encode(rig, spec).map_err(stage),
        StageKind::Interpolate => models::rife(rig, spec, engines),
        StageKind::Upscale => models::upscale(rig, spec, engines),
        StageKind::EndToEnd => end_to_end::run(rig, spec, engines),
    }
}

/// Fills the roofline figures of a measured stage.
fn figures(
    workload: &Workload,
    spec: &StageSpec,
    result: &StageResult,
    peak: Option<&roofline::Peak>,
    copies: CopiesPerFrame,
    note: Option<String>,
) -> GpuFigures {
    let cost = stage_cost(workload, spec);
    let per_frame = result.per_frame_s.filter(|s| *s > 0.0);
    let floor = cost.zip(peak).and_then(|(c, p)| plan::floor(c, p));
    let rate = |amount: f64, unit: f64| per_frame.map(|s| amount / s / unit);
    GpuFigures {
        flops_per_frame: cost.map(|c| c.flops()),
        bytes_per_frame: cost.map(|c| c.bytes),
        floor_per_frame_s: floor.map(|f| f.seconds()),
        bound: floor.map(|f| f.bound().to_string()),
        achieved_tflops: cost
            .filter(|c| c.flops() > 0.0)
            .and_then(|c| rate(c.flops(), 1e12)),
        achieved_gbps: cost.and_then(|c| rate(c.bytes, 1e9)),
        fraction_of_peak: floor.zip(per_frame).map(|(f, s)| f.seconds() / s),
        copies_per_frame: Some(copies),
        clip_s: None,
        script_speedup: None,
        note,
    }
}

/// Runs `report.workload` on GPU 0, calling `each` after each stage.
pub fn run(
    mut report: BenchReport,
    mut each: impl FnMut(&StageResult),
) -> Result<BenchReport, BenchError> {
    let started = Instant::now();
    let (gpu, kernels, streams) = open()?;
    let info = gpu.info().clone();
    let compute = (info.compute.major, info.compute.minor);
    report.peak = roofline::lookup(&info.name, compute);
    if let Some(g) = report.machine.gpu.as_mut() {
        g.compute_capability = Some(info.compute.to_string());
        g.memory_bytes = Some(info.memory_bytes);
    }
    let dir = tempfile::Builder::new()
        .prefix("smoothscale-bench-cuda-")
        .tempdir()
        .map_err(BenchError::TempDir)?;
    let workload = report.workload.clone();
    let trt = Toolchain::probe()
        .map_err(|e| format!("TensorRT: {e}"))
        .and_then(|t| Ok((t, default_engine_cache().map_err(|e| e.to_string())?)));
    let rig = Rig {
        gpu,
        kernels,
        streams,
        trt,
        dir: dir.path(),
        workload: &workload,
        settings: report.settings,
    };
    let encode = workload.encode_settings();
    for clip in &workload.clips {
        super::write_clip(&rig.clip_path(&clip.name), clip, &encode).map_err(|source| {
            BenchError::Clip {
                name: clip.name.clone(),
                source: Box::new(source),
            }
        })?;
    }
    let mut host_peak = super::peak_rss_bytes();
    let runs = u64::from(report.settings.warmup + report.settings.repeat.max(1));
    for spec in &workload.stages {
        super::reset_peak_rss();
        let outcome = match run_stage(&rig, spec, &mut report.engines) {
            Err(e @ BenchError::Stage { .. }) => {
                log::error!("stage {}: {e}", spec.name);
                Err(StageResult::failed(&spec.name, &e))
            }
            other => Ok(other?),
        };
        let mut result = match outcome {
            Err(failed) => failed,
            Ok(Outcome::Skipped(reason)) => StageResult::skipped(&spec.name, reason),
            Ok(Outcome::Measured { counted, note }) => {
                let Counted {
                    mut result,
                    copies: copied,
                    device_peak,
                } = *counted;
                let frames = (result.frames * runs).max(1) as f64;
                let per = |b: u64| b as f64 / frames;
                let copies = CopiesPerFrame {
                    pixels_to_device: per(copied.pixels_to_device),
                    pixels_to_host: per(copied.pixels_to_host),
                    other_to_device: per(copied.other_to_device),
                    other_to_host: per(copied.other_to_host),
                };
                if spec.kind == StageKind::Encode {
                    report.nvenc = Some(copied.pixels_to_host == 0);
                }
                let peak = report.peak.as_ref();
                let mut figures = figures(&workload, spec, &result, peak, copies, note);
                if spec.kind == StageKind::EndToEnd {
                    figures.clip_s = result.median_s;
                    figures.script_speedup = result.median_s.map(|s| super::SCRIPT_SECONDS / s);
                }
                result.gpu = Some(figures);
                result.device_peak_bytes = device_peak;
                result
            }
        };
        result.host_peak_bytes = super::peak_rss_bytes();
        host_peak = host_peak.max(result.host_peak_bytes);
        report.memory.device_peak_bytes = report
            .memory
            .device_peak_bytes
            .max(result.device_peak_bytes);
        each(&result);
        report.stages.push(result);
    }
    report.memory.host_peak_bytes = host_peak;
    report.elapsed_s = started.elapsed().as_secs_f64();
    Ok(report)
}

pub(super) use stages::Silent;
use timing::{counting, dev, pattern_on_device, sync, timed_launches, Counted};
