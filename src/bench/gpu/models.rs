//! The model stages: RIFE's two engines alone, and each upscaler through `GpuUpscaler` (its
//! tile extraction and stitching included), on made-up weights.

use cudarc::driver::{CudaSlice, CudaView};

use super::engines::{build_options, Recorder};
use super::{dev, pattern_on_device, stage_error, timed_launches, Outcome, Rig};
use crate::bench::synthetic::{self, RIFE};
use crate::bench::workload::StageSpec;
use crate::bench::{BenchError, EngineRecord};
use crate::cuda::device::{DeviceError, DeviceFrame};
use crate::models::onnx::FEATURE_CHANNELS;
use crate::pipeline::cuda::engines::{engines_for_job, read_model};
use crate::pipeline::cuda::error::{device, engine};
use crate::pipeline::cuda::interpolate::rife_layout;
use crate::pipeline::cuda::{EngineEvent, GpuError, GpuStageError, GpuUpscaler, JobEngine};
use crate::pipeline::{PipelineError, Tiling};
use crate::tensorrt::spec::BuildOptions;
use crate::tensorrt::stage::ViewInput;

const WEIGHTS: &str = "made-up weights of the real shapes (timing only)";

fn view(f: &DeviceFrame) -> Result<CudaView<'_, f32>, PipelineError> {
    f.f32_view().map_err(dev)
}

fn gpu(e: GpuStageError) -> PipelineError {
    GpuError::from(e).into()
}

/// RIFE's feature encoder (`part` `encoder`) or the rest (`flow`) alone, on two frames.
pub(super) fn rife(
    rig: &Rig<'_>,
    spec: &StageSpec,
    records: &mut Vec<EngineRecord>,
) -> Result<Outcome, BenchError> {
    let (toolchain, cache) = match &rig.trt {
        Ok(t) => t,
        Err(reason) => return Ok(Outcome::Skipped(reason.clone())),
    };
    let err = stage_error(spec);
    let model = rig.model(RIFE)?;
    let (w, h) = (spec.width as usize, spec.height as usize);
    let loaded = read_model(&model).map_err(gpu).map_err(&err)?;
    let mut recorder = Recorder::new(&spec.name, records);
    let events: &mut dyn FnMut(EngineEvent<'_>) = &mut |e| recorder.event(e);
    let job = (w, h, Tiling::default());
    let options = BuildOptions::default();
    let engines = engines_for_job(
        toolchain,
        (&model, &loaded),
        job,
        options,
        (cache, true),
        &mut *events,
    )
    .map_err(gpu)
    .map_err(&err)?;
    let [encoder, flow]: [JobEngine; 2] = engines
        .try_into()
        .map_err(|_| err(GpuError::Unsupported("RIFE without its two engines".into()).into()))?;
    let stream = rig.stream();
    let layout = rife_layout(w, h).map_err(gpu).map_err(&err)?;
    let frames = [
        pattern_on_device(stream, layout, 0),
        pattern_on_device(stream, layout, 1),
    ];
    let [a, b] = frames.map(|f| f.map_err(&err));
    let (a, b) = (a?, b?);
    let (ph, pw) = (layout.padded_height as i64, layout.padded_width as i64);
    let features = |n: usize| -> Result<CudaSlice<f32>, PipelineError> {
        stream
            .alloc_zeros::<f32>(n)
            .map_err(DeviceError::driver("allocating RIFE features"))
            .map_err(dev)
    };
    let feature_len = FEATURE_CHANNELS * (ph * pw) as usize;
    let (mut fa, fb) = (
        features(feature_len).map_err(&err)?,
        features(feature_len).map_err(&err)?,
    );
    let timestep = stream
        .clone_htod(&[0.5f32])
        .map_err(DeviceError::driver("uploading the timestep"))
        .map_err(dev)
        .map_err(&err)?;
    let mut out = DeviceFrame::alloc_zeroed(stream, layout)
        .map_err(dev)
        .map_err(&err)?;
    let (image, feat, step) = (
        [1, 3, ph, pw],
        [1, FEATURE_CHANNELS as i64, ph, pw],
        [1i64, 1, 1, 1],
    );
    let k = spec.frames.unwrap_or(1);
    let counted = match spec.part.as_deref() {
        Some("encoder") => {
            let mut encoder = encoder;
            timed_launches(rig, &spec.name, stream, k, || {
                let input = ViewInput {
                    name: "img",
                    shape: &image,
                    buffer: view(&a)?,
                };
                encoder
                    .stage
                    .enqueue_views(stream, &[input], &mut [("out", fa.as_view_mut())])
                    .map_err(engine(&encoder.stem, "encoding a frame"))
                    .map_err(gpu)
            })
        }
        _ => {
            let mut flow = flow;
            timed_launches(rig, &spec.name, stream, k, || {
                let input = |name, shape, buffer| ViewInput {
                    name,
                    shape,
                    buffer,
                };
                let inputs = [
                    input("img0", &image[..], view(&a)?),
                    input("img1", &image, view(&b)?),
                    input("feat0", &feat, fa.as_view()),
                    input("feat1", &feat, fb.as_view()),
                    input("timestep", &step, timestep.as_view()),
                ];
                let output = out.f32_view_mut().map_err(dev)?;
                flow.stage
                    .enqueue_views(stream, &inputs, &mut [("out", output)])
                    .map_err(engine(&flow.stem, "interpolating a frame"))
                    .map_err(gpu)
            })
        }
    }
    .map_err(&err)?;
    Ok(Outcome::measured(counted, Some(format!("fp16; {WEIGHTS}"))))
}

/// An upscaler, whole frames or tiles, through `GpuUpscaler` on one frame.
pub(super) fn upscale(
    rig: &Rig<'_>,
    spec: &StageSpec,
    records: &mut Vec<EngineRecord>,
) -> Result<Outcome, BenchError> {
    let (toolchain, cache) = match &rig.trt {
        Ok(t) => t,
        Err(reason) => return Ok(Outcome::Skipped(reason.clone())),
    };
    let err = stage_error(spec);
    let Some(net) = spec.network.as_deref().and_then(synthetic::network) else {
        return Err(BenchError::BadWorkload(format!(
            "stage {} has no network",
            spec.name
        )));
    };
    let model = rig.model(net)?;
    let precision = spec.precision.as_deref().unwrap_or("fp16");
    let options = match build_options(toolchain, precision, (&model, net.arch)) {
        Ok(o) => o,
        Err(reason) => return Ok(Outcome::Skipped(reason)),
    };
    let tiling = match spec.tiles {
        Some(t) => Tiling {
            tile: t.tile,
            pad: t.pad,
            batch: t.batch,
        },
        None => Tiling {
            tile: 0,
            ..Tiling::default()
        },
    };
    let (w, h) = (spec.width as usize, spec.height as usize);
    let factor = spec.upscale.unwrap_or(2) as usize;
    let stream = rig.stream();
    let mut recorder = Recorder::new(&spec.name, records);
    let events: &mut dyn FnMut(EngineEvent<'_>) = &mut |e| recorder.event(e);
    let mut upscaler = GpuUpscaler::new(
        toolchain,
        stream,
        &model,
        (w, h, factor, tiling),
        options,
        (cache, true),
        &mut *events,
    )
    .map_err(gpu)
    .map_err(&err)?;
    let layouts = upscaler.layouts();
    let src = pattern_on_device(stream, layouts.input, 0).map_err(&err)?;
    let mut out = DeviceFrame::alloc_zeroed(stream, layouts.output)
        .map_err(device("upscaler", "allocating the output"))
        .map_err(gpu)
        .map_err(&err)?;
    let kernels = &rig.kernels;
    let k = spec.frames.unwrap_or(1);
    let counted = timed_launches(rig, &spec.name, stream, k, || {
        upscaler
            .upscale(kernels, stream, &src, &mut out)
            .map_err(gpu)
    })
    .map_err(&err)?;
    let how = match spec.tiles {
        Some(t) => format!("{}-px tiles, pad {}, {} per call", t.tile, t.pad, t.batch),
        None => "whole frames".into(),
    };
    let g = upscaler.graph_stats();
    let graphs = format!(
        "CUDA graphs: {} captured, {} launched, {} plain enqueues{}",
        g.captures,
        g.launches,
        g.plain,
        g.off
            .as_ref()
            .map(|o| format!(" (off: {o:?})"))
            .unwrap_or_default()
    );
    let note = format!("{precision}, {how}; {WEIGHTS}; {graphs}");
    Ok(Outcome::measured(counted, Some(note)))
}
