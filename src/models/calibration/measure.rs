//! Measuring a calibration: the fp32 graph with range outputs over the calibration crops, then
//! the fp8 and fp16 graphs against fp32 over the held-out crops.

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message as _;

use super::samples::{held_out, read_crops, Settings};
use super::{Calibration, CalibrationError, Quality, Spread, CALIBRATION_FORMAT};
use crate::models::checkpoint::LoadedModel;
use crate::models::golden::{max_abs_err, psnr};
use crate::models::onnx::fp8::{range_probe, to_fp8, HEADROOM};
use crate::models::onnx::half::to_half;
use crate::models::onnx::proto::ModelProto;
use crate::models::onnx::{decode_model, GraphError, GraphShape};
use crate::models::runtime::{graph_for, CpuSession, ModelKind, TensorView};
use crate::models::weights::Tensor;

/// What [`calibrate`] reports while it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The crops are read: `samples` of them, `side` pixels square.
    Sampled {
        /// Crops read.
        samples: usize,
        /// Their side.
        side: usize,
    },
    /// One more graph run of `total` finished.
    Ran {
        /// Runs finished.
        done: usize,
        /// Runs in all.
        total: usize,
    },
}

/// Calibrates the upscaler `loaded` (read from a model file whose sha256 is `model_sha256`) on
/// crops of `clip`: ranges from two thirds of the crops, quality on the rest.
pub fn calibrate(
    (loaded, model_sha256): (&LoadedModel, &str),
    clip: &Path,
    settings: Settings,
    progress: &mut dyn FnMut(Progress),
) -> Result<Calibration, CalibrationError> {
    let (kind, fp32) = graph_for(
        loaded.architecture,
        &loaded.state_dict,
        GraphShape::dynamic(),
    )?;
    // Symbolic batch and size: one graph serves every crop.
    let ModelKind::Upscaler { pad_multiple } = kind else {
        return Err(CalibrationError::NotUpscaler(
            loaded.architecture.to_string(),
        ));
    };
    let crops = read_crops(clip, settings, pad_multiple)?;
    let side = crops[0].shape[3];
    progress(Progress::Sampled {
        samples: crops.len(),
        side,
    });
    let fp32 = decode_model(&fp32)?;
    let held: Vec<usize> = (0..crops.len()).filter(|&k| held_out(k)).collect();
    let total = crops.len() + 2 * held.len();
    let mut done = 0;
    let mut tick = || {
        done += 1;
        progress(Progress::Ran { done, total });
    };
    let measured: Vec<&Tensor> = (0..crops.len())
        .filter(|&k| !held_out(k))
        .map(|k| &crops[k])
        .collect();
    let ranges = measure_ranges(&fp32, &measured, settings.threads, &mut tick)?;
    let mut references = Vec::with_capacity(held.len());
    let mut session = CpuSession::new(&fp32.encode_to_vec(), settings.threads)?;
    for &k in &held {
        references.push(
            run(&mut session, &crops[k])?
                .into_iter()
                .next()
                .ok_or_else(no_output)?,
        );
        tick();
    }
    drop(session);

    let fp8 = to_fp8(fp32.clone(), &ranges)?;
    let half = to_half(fp32)?;
    let mut compared = Vec::new();
    for graph in [fp8, half] {
        let mut session = CpuSession::reduced_precision(&graph.encode_to_vec(), settings.threads)?;
        let mut scores = Vec::with_capacity(held.len());
        for (&k, reference) in held.iter().zip(&references) {
            let out = run(&mut session, &crops[k])?;
            tick();
            let got = out.first().ok_or_else(no_output)?;
            scores.push((
                psnr(&got.data, &reference.data),
                max_abs_err(&got.data, &reference.data),
            ));
        }
        compared.push(scores);
    }
    let spread = |s: &[(f64, f32)]| Spread {
        min: s.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        mean: s.iter().map(|p| p.0).sum::<f64>() / s.len().max(1) as f64,
    };
    let worst = |s: &[(f64, f32)]| s.iter().map(|p| p.1).fold(0.0f32, f32::max);
    Ok(Calibration {
        format: CALIBRATION_FORMAT,
        model_sha256: model_sha256.to_string(),
        architecture: loaded.architecture.to_string(),
        clip: clip.display().to_string(),
        samples: crops.len() - held.len(),
        crop: side,
        headroom: HEADROOM,
        ranges,
        quality: Quality {
            samples: held.len(),
            fp8_psnr_db: spread(&compared[0]),
            fp8_max_abs: worst(&compared[0]),
            fp16_psnr_db: spread(&compared[1]),
            fp16_max_abs: worst(&compared[1]),
        },
    })
}

/// The largest activation magnitude each fp8 convolution of the upscaler graph `fp32` reads over
/// `inputs`, by weight name (the ranges of a calibration); `tick` hears of each run.
pub fn measure_ranges(
    fp32: &ModelProto,
    inputs: &[&Tensor],
    threads: usize,
    tick: &mut dyn FnMut(),
) -> Result<BTreeMap<String, f32>, CalibrationError> {
    let (probe, outputs) = range_probe(fp32.clone())?;
    let mut probe = CpuSession::new(&probe.encode_to_vec(), threads)?;
    let mut ranges: BTreeMap<String, f32> = BTreeMap::new();
    for input in inputs {
        let out = run(&mut probe, input)?;
        for (probe_out, value) in outputs.iter().zip(out.iter().skip(1)) {
            let amax = value.data.first().copied().unwrap_or(0.0);
            for w in &probe_out.weights {
                let r = ranges.entry(w.clone()).or_insert(0.0);
                *r = r.max(amax);
            }
        }
        tick();
    }
    Ok(ranges)
}

/// Runs an upscaler graph (input `input`) on one crop.
fn run(session: &mut CpuSession, crop: &Tensor) -> Result<Vec<Tensor>, CalibrationError> {
    Ok(session.run(&[("input", TensorView::from(crop))])?)
}

fn no_output() -> CalibrationError {
    GraphError::Unsupported("the upscaler graph gave no output".into()).into()
}
