//! The whole job through `pipeline::run` on the CUDA backend: the 161-frame clip, 2x RIFE, 2x
//! x2plus (made-up weights), fp16 engines on whole frames, with `smoothscale run`'s defaults
//! (scene cuts at 0.12, NVENC at its default CQ, or the software encoder at CRF 18). The engines
//! are made sure of first, so the timed runs never build one.

use super::engines::Recorder;
use super::{counting, measure, stage_error, Outcome, Rig, Silent};
use crate::bench::synthetic::{self, RIFE};
use crate::bench::workload::StageSpec;
use crate::bench::{BenchError, EngineRecord};
use crate::nvcodec::DEFAULT_CQ;
use crate::pipeline::cuda::engines::{engine_for_job, engines_for_job, read_model};
use crate::pipeline::cuda::{EngineEvent, GpuError};
use crate::pipeline::{self, GpuOptions, ModelOptions, PipelineError, TileRequest, Tiling};
use crate::tensorrt::spec::BuildOptions;
use crate::timeline::RateMode;

/// `smoothscale run`'s default scene-cut threshold.
const SCENE_THRESHOLD: f32 = 0.12;

pub(super) fn run(
    rig: &Rig<'_>,
    spec: &StageSpec,
    records: &mut Vec<EngineRecord>,
) -> Result<Outcome, BenchError> {
    let (toolchain, cache) = match &rig.trt {
        Ok(t) => t,
        Err(reason) => return Ok(Outcome::Skipped(reason.clone())),
    };
    let err = stage_error(spec);
    let gpu = |e| PipelineError::from(GpuError::from(e));
    let Some(net) = spec.network.as_deref().and_then(synthetic::network) else {
        return Err(BenchError::BadWorkload(format!(
            "stage {} has no network",
            spec.name
        )));
    };
    let (rife, upscaler) = (rig.model(RIFE)?, rig.model(net)?);
    let (w, h) = (spec.width as usize, spec.height as usize);
    let whole = Tiling {
        tile: 0,
        ..Tiling::default()
    };
    // The engines the run will load, from the cache (built now if a stage before did not).
    {
        let mut recorder = Recorder::new(&spec.name, records);
        let events: &mut dyn FnMut(EngineEvent<'_>) = &mut |e| recorder.event(e);
        let loaded = read_model(&rife).map_err(gpu).map_err(err)?;
        let build = (cache, true);
        engines_for_job(
            toolchain,
            (&rife, &loaded),
            (w, h, whole),
            BuildOptions::default(),
            build,
            &mut *events,
        )
        .map_err(gpu)
        .map_err(err)?;
        engine_for_job(
            toolchain,
            &upscaler,
            (w, h, whole),
            BuildOptions::default(),
            build,
            &mut *events,
        )
        .map_err(gpu)
        .map_err(err)?;
    }
    let clip = spec.clip.as_deref().unwrap_or(crate::bench::JOB_CLIP);
    let job = rig.workload.job(
        rig.clip_path(clip),
        rig.dir.join("end_to_end.mp4"),
        RateMode::Multiply(spec.interpolate.unwrap_or(2)),
        ModelOptions {
            rife: Some(rife),
            upscale: Some((spec.upscale.unwrap_or(2) as usize, upscaler)),
            tiles: TileRequest::fixed(0, whole.pad),
            cut_threshold: Some(SCENE_THRESHOLD),
            threads: 0,
        },
        Some(GpuOptions {
            cq: DEFAULT_CQ,
            build_engines: false,
            upscale_engine: BuildOptions::default(),
            // A bench of the CUDA path never runs on the CPU instead.
            fallback_to_cpu: false,
        }),
    );
    let stop = pipeline::StopFlag::new(0);
    let counted = counting(rig, || {
        measure(&spec.name, rig.settings, || {
            Ok(pipeline::run(&job, &Silent, &stop)?.output_frames)
        })
    })
    .map_err(err)?;
    Ok(Outcome::measured(
        counted,
        Some(format!(
            "pipeline::run: {} frames, 2x RIFE then 2x {} (fp16, whole frames), made-up weights; \
             per_frame_s is per output frame",
            rig.workload.clip(clip).map_or(0, |c| c.frames),
            net.key
        )),
    ))
}
