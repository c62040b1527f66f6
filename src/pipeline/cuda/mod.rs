//! The CUDA backend: NVDEC decodes into device memory, our kernel converts each surface to planar
//! RGB (`source`), RIFE and Real-ESRGAN run as TensorRT engines on device frames (`models`,
//! `interpolate`, `upscale`, with `engines` building or loading them), our kernel converts the
//! result into NVENC's input buffer and NVENC encodes (`encode`). Host memory sees bitstreams
//! only, except where the GPU has no NVENC (then the software encoder gets host copies).
//!
//! The loop, the timeline, the renderer and the output plan are the CPU path's, on one host
//! thread that submits work to three CUDA streams (`streams`): decode (the surface conversion),
//! models (scene luma, RIFE, the upscaler) and encode (the conversion into NVENC's input, and
//! NVENC). Frames cross between them by events: each frame carries the ready event its producer
//! recorded, a reading stream waits on it on the device, and records a read event that the
//! frame's free waits for (`crate::cuda::device::sync`).
//!
//! What overlaps: the host submits frame N+1's decode conversion (and NVDEC's decode of it) while
//! the model stream still works on frame N, and the model stream computes output frame k+1 while
//! the encode stream converts and NVENC encodes frame k. NVENC's bitstreams are collected three
//! frames late, so the host waits for an encode only when it is that far behind.
//!
//! What does not (the host blocks, or one stream waits for another):
//! - each conversion is waited for (its own event) before its NVDEC surface is unmapped, so the
//!   host is at most one conversion ahead on the decode stream;
//! - with a scene threshold, the cut metric of each new pair is read back to the host, which
//!   waits for the model stream's work queued before it;
//! - a frame is freed on the stream that allocated it after its readers: freeing a decoded frame
//!   makes the decode stream wait for the model stream's reads of it, and freeing an output
//!   frame makes the model stream wait for the encode stream's conversion of it. Frames are
//!   allocated stream-ordered from the device's default memory pool, which the run makes keep
//!   what is freed (`Gpu::keep_freed_memory`), so a new frame reuses a freed one's memory;
//! - within the model stream, RIFE and the upscaler run one after the other;
//! - the fallbacks synchronise the host per frame: the software decoder's uploads are ordered by
//!   events, but decoding itself is on the host; without NVENC every output frame is copied to the
//!   host (the copy waits for the frame).
//!
//! None of this has run on a GPU yet, the overlap included (no profile of it exists):
//! `scripts/gpu-check` runs `tests/gpu_pipeline.rs` there.

pub mod budget;
mod encode;
pub mod engines;
pub mod error;
mod fit;
pub mod interpolate;
mod models;
mod source;
pub mod streams;
pub mod upscale;

use std::sync::Arc;
use std::time::Instant;

use super::drive::{self, OutputPlan};
use super::{GpuOptions, Job, PipelineError, Progress, Report, StopFlag};

use crate::cuda::device::{DeviceError, DeviceFrame, Kernels};
use crate::nvcodec::encoder::NvencError;
use crate::nvcodec::video_decoder::{cannot_decode, NvdecDecoder};
use crate::tensorrt::builder::EngineBuildError;
use crate::video::{
    self, Copies, EncodeSettings, PartialFile, SoftwareDecoder, Source, VideoDecoder,
};
use budget::DeviceMemoryError;
pub use encode::{nvenc_request, FrameWriter, WriterSetup};
pub use engines::{engine_for_job, EngineEvent, JobEngine};
pub use error::GpuStageError;
pub use interpolate::GpuInterpolator;
pub use models::{input_layout, GpuModels};
pub use source::{padded_bytes, surface_format, ToDeviceRgb, UploadingDecoder};
pub use streams::Streams;
pub use upscale::GpuUpscaler;

/// Why the CUDA backend failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// A CUDA call or kernel launch failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// NVENC failed.
    #[error("NVENC: {0}")]
    Nvenc(NvencError),
    /// A model stage failed.
    #[error(transparent)]
    Stage(#[from] GpuStageError),
    /// TensorRT could not be opened.
    #[error("TensorRT: {0}")]
    TensorRt(EngineBuildError),
    /// The job asks for something the CUDA backend does not do.
    #[error("{0}")]
    Unsupported(String),
    /// The job does not fit in GPU memory or `--max-memory`.
    #[error(transparent)]
    Memory(#[from] DeviceMemoryError),
}

/// NVENC input buffers counted for the memory check: B-frames, lookahead and spare slots (the
/// session sizes its ring from the same three; 24 covers P7 with 16 frames of lookahead).
const ENCODER_INPUT_BUFFERS: u64 = 24;

/// Checks the job's device working set (see [`budget`]) before the first frame.
fn check_memory(
    job: &Job,
    device: &crate::cuda::device::Gpu,
    models: &GpuModels,
    (width, height): (u32, u32),
) -> Result<(), GpuError> {
    let mut needs = models.device_needs();
    let factor = models.factor() as u64;
    let out_pixels = u64::from(width) * u64::from(height) * factor * factor;
    // NV12 (1.5 bytes a pixel) or P010 (3): counted at the larger.
    needs.buffers.push(budget::Buffers {
        what: "encoder input",
        count: ENCODER_INPUT_BUFFERS,
        bytes: out_pixels * 3,
    });
    log::debug!(
        "GPU working set: about {} (buffers {}, engines {})",
        crate::pipeline::limits::gib(needs.total()),
        crate::pipeline::limits::gib(needs.buffer_bytes()),
        crate::pipeline::limits::gib(needs.engine_bytes())
    );
    Ok(needs.check(device.free_memory(), job.limits.max_memory)?)
}

/// What the upscaler's engine calls may use, for `--tile auto`: the tighter of the GPU's free
/// memory and `--max-memory`, less a reserve for the job's frames (decoded, blended and upscaled
/// RGB at 4 bytes a sample, and NVENC's inputs) counted as [`check_memory`] counts them.
fn call_budget(job: &Job, device: &crate::cuda::device::Gpu, (width, height): (u32, u32)) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    let factor = job.models.upscale.as_ref().map_or(1, |(f, _)| *f as u64);
    let out_pixels = pixels * factor * factor;
    let frames = pixels * 12 * 8 + out_pixels * 12 * 2 + out_pixels * 3 * ENCODER_INPUT_BUFFERS;
    let free = device.free_memory().unwrap_or(u64::MAX);
    free.min(job.limits.max_memory).saturating_sub(frames)
}

/// Runs `job` on GPU 0. The output appears at `job.output` only if everything succeeded.
pub fn run(
    job: &Job,
    options: &GpuOptions,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<Report, PipelineError> {
    let started = Instant::now();
    let partial = PartialFile::new(&job.output, &job.input, job.overwrite)?;
    let (width, height) = video::declared_frame_size(&job.input, job.limits.max_frame_pixels)?;
    let device = crate::cuda::device::Gpu::open(0).map_err(GpuError::from)?;
    log::info!("GPU: {}", device.info());
    match device.keep_freed_memory() {
        Ok(true) => log::debug!("the default memory pool keeps freed frames for reuse"),
        Ok(false) => log::debug!("no memory pools: each frame is allocated synchronously"),
        Err(e) => log::warn!("{e}; frames will be mapped afresh after each synchronisation"),
    }
    let kernels = Arc::new(Kernels::load(&device).map_err(GpuError::from)?);
    let streams = Streams::new(&device).map_err(GpuError::from)?;
    let size = (width as usize, height as usize);
    let budget = call_budget(job, &device, (width, height));
    let models = GpuModels::new(
        &job.models,
        options,
        (&kernels, &streams.models),
        (size, budget),
        &mut log_engine_event,
    )?;
    check_memory(job, &device, &models, (width, height))?;
    let converter = ToDeviceRgb::new(kernels.clone(), models.input_layout());
    let (input, window, max_pixels) = (&job.input, job.window, job.limits.max_frame_pixels);
    let nvdec = Source::open_with(input, window, max_pixels, |s| {
        NvdecDecoder::open(input, s, streams.decode.clone(), converter)
    });
    let gpu = Gpu {
        kernels: &kernels,
        streams: &streams,
        models,
        size: (width, height),
        started,
    };
    match nvdec {
        Ok(source) => finish(job, options, gpu, source, partial, progress, stop),
        Err(e) if cannot_decode(&e) => {
            log::warn!("{e}: decoding in software instead, each frame copied to the GPU");
            let layout = gpu.models.input_layout();
            let source = Source::open_with(input, window, max_pixels, |s| {
                let software = SoftwareDecoder::open(input, s, max_pixels)?;
                Ok(UploadingDecoder::new(
                    software,
                    streams.decode.clone(),
                    layout,
                ))
            })?;
            finish(job, options, gpu, source, partial, progress, stop)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the run has set up on the GPU before the source opens.
struct Gpu<'a> {
    kernels: &'a Arc<Kernels>,
    streams: &'a Streams,
    models: GpuModels,
    size: (u32, u32),
    started: Instant,
}

/// The rest of a run, on either source of device frames.
fn finish<D: VideoDecoder<Frame = DeviceFrame>>(
    job: &Job,
    options: &GpuOptions,
    gpu: Gpu<'_>,
    source: Source<D>,
    partial: PartialFile,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<Report, PipelineError> {
    let Gpu {
        kernels,
        streams,
        models,
        size: (width, height),
        started,
    } = gpu;
    let info = *source.info();
    if (info.width, info.height) != (width, height) {
        return Err(GpuError::Unsupported(format!(
            "{}: the container declares {width}x{height} frames but they decode as {}x{}",
            job.input.display(),
            info.width,
            info.height
        ))
        .into());
    }
    let plan = OutputPlan::new(job, &info)?;
    let software = EncodeSettings {
        codec: plan.codec,
        crf: job.crf,
        preset: job.preset.clone(),
    };
    let (fit, format) = plan.fitted(models.factor(), job.size)?;
    let fit = fit::DeviceFit::new(kernels, &streams.encode, fit)?;
    let writer = FrameWriter::open(
        &streams.encode,
        kernels,
        WriterSetup {
            path: partial.path(),
            container: plan.container,
            copies: Copies::of(&source),
            format,
            codec: plan.codec,
            cq: options.cq,
            software: &software,
        },
    )?;
    let writer = fit::FittedWriter { writer, fit };
    let report = drive::complete(
        job,
        source,
        plan,
        (models, writer),
        partial,
        progress,
        stop,
        started,
    )?;
    Ok(Report {
        backend: "cuda",
        ..report
    })
}

/// Engine builds take minutes: say so in the log (the progress bar starts with the video).
fn log_engine_event(event: engines::EngineEvent<'_>) {
    match event {
        engines::EngineEvent::Cached { plan } => {
            log::info!("TensorRT engine {}", plan.display())
        }
        engines::EngineEvent::Building { reason, estimate } => log::warn!(
            "building a TensorRT engine{} (about {estimate}; it is cached for later runs)",
            reason.map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        engines::EngineEvent::Finished => log::info!("TensorRT engine built"),
    }
}
