//! The CUDA backend: NVDEC decodes into device memory, our kernel converts each surface to planar
//! RGB (`source`), RIFE and Real-ESRGAN run as TensorRT engines on device frames (`models`,
//! `interpolate`, `upscale`, with `engines` building or loading them), our kernel converts the
//! result into NVENC's input buffer and NVENC encodes (`encode`). Host memory sees bitstreams
//! only, except where the GPU has no NVENC (then the software encoder gets host copies).
//!
//! The loop, the timeline, the renderer and the output plan are the CPU path's. Everything runs
//! on one CUDA stream, in order: decode, inference and encode are not yet overlapped.
//!
//! None of this has run on a GPU yet: `scripts/gpu-check` runs `tests/gpu_pipeline.rs` there.

pub mod budget;
mod encode;
pub mod engines;
pub mod error;
pub mod interpolate;
mod models;
mod source;
pub mod upscale;

use std::sync::Arc;
use std::time::Instant;

use super::drive::{self, OutputPlan};
use super::{GpuOptions, Job, PipelineError, Progress, Report, StopFlag};
use cudarc::driver::CudaStream;

use crate::cuda::device::{DeviceError, DeviceFrame, Kernels};
use crate::nvcodec::encoder::NvencError;
use crate::nvcodec::video_decoder::{cannot_decode, NvdecDecoder};
use crate::tensorrt::builder::EngineBuildError;
use crate::video::{
    self, Copies, EncodeSettings, PartialFile, SoftwareDecoder, Source, VideoDecoder,
};
pub use encode::{nvenc_request, FrameWriter, WriterSetup};
pub use engines::{engine_for_job, EngineEvent, JobEngine};
pub use error::GpuStageError;
pub use interpolate::GpuInterpolator;
pub use models::{input_layout, GpuModels};
pub use source::{padded_bytes, surface_format, ToDeviceRgb, UploadingDecoder};
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
    let kernels = Arc::new(Kernels::load(&device).map_err(GpuError::from)?);
    let stream = device.new_stream().map_err(GpuError::from)?;
    let size = (width as usize, height as usize);
    let models = GpuModels::new(
        &job.models,
        options,
        (&kernels, &stream),
        size,
        &mut log_engine_event,
    )?;
    let converter = ToDeviceRgb::new(kernels.clone(), models.input_layout());
    let (input, window, max_pixels) = (&job.input, job.window, job.limits.max_frame_pixels);
    let nvdec = Source::open_with(input, window, max_pixels, |s| {
        NvdecDecoder::open(input, s, stream.clone(), converter)
    });
    let gpu = Gpu {
        kernels: &kernels,
        stream: &stream,
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
                Ok(UploadingDecoder::new(software, stream.clone(), layout))
            })?;
            finish(job, options, gpu, source, partial, progress, stop)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the run has set up on the GPU before the source opens.
struct Gpu<'a> {
    kernels: &'a Arc<Kernels>,
    stream: &'a Arc<CudaStream>,
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
        stream,
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
    let writer = FrameWriter::open(
        stream,
        kernels,
        WriterSetup {
            path: partial.path(),
            container: plan.container,
            copies: Copies::of(&source),
            format: plan.scaled(models.factor()),
            codec: plan.codec,
            cq: options.cq,
            software: &software,
        },
    )?;
    drive::complete(
        job,
        source,
        plan,
        (models, writer),
        partial,
        progress,
        stop,
        started,
    )
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
