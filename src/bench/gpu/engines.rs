//! The engines a stage needs, built or loaded before its timed runs: each recorded as a cache
//! hit or a timed build; and the build options of a precision, with the made-up fp8 calibration
//! the made-up weights need.

use std::path::Path;
use std::time::Instant;

use crate::bench::EngineRecord;
use crate::models::calibration::{Calibration, Quality, Spread, CALIBRATION_FORMAT};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::fp8::{sites, HEADROOM};
use crate::models::onnx::{decode_model, RifePart};
use crate::models::weights::StateDict;
use crate::pipeline::cuda::EngineEvent;
use crate::tensorrt::builder::{model_sha256, Toolchain};
use crate::tensorrt::spec::{check_precision, engine_graph, BuildOptions, EngineShape};
use crate::tensorrt::EnginePrecision;

/// Hears a stage's engine events and records them.
pub(super) struct Recorder<'a> {
    stage: &'a str,
    records: &'a mut Vec<EngineRecord>,
    building: Option<Instant>,
}

impl<'a> Recorder<'a> {
    pub fn new(stage: &'a str, records: &'a mut Vec<EngineRecord>) -> Self {
        Recorder {
            stage,
            records,
            building: None,
        }
    }

    pub fn event(&mut self, event: EngineEvent<'_>) {
        match event {
            EngineEvent::Cached { plan } => self.records.push(EngineRecord {
                stage: self.stage.into(),
                cache: "hit".into(),
                plan: Some(plan.display().to_string()),
                build_s: None,
            }),
            EngineEvent::Building { reason, estimate } => {
                log::warn!(
                    "{}: building a TensorRT engine{} ({estimate})",
                    self.stage,
                    reason.map(|r| format!(" ({r})")).unwrap_or_default()
                );
                self.building = Some(Instant::now());
            }
            EngineEvent::Finished => {
                let seconds = self.building.take().map(|t| t.elapsed().as_secs_f64());
                self.records.push(EngineRecord {
                    stage: self.stage.into(),
                    cache: "built".into(),
                    plan: None,
                    build_s: seconds,
                });
            }
        }
    }
}

/// A calibration for timing only: every activation an fp8 graph of `arch` quantizes gets the
/// same made-up range (TensorRT's speed does not depend on the scales). Never written anywhere.
fn timing_calibration(
    arch: Architecture,
    sd: &StateDict,
    model_sha256: String,
) -> Result<Calibration, String> {
    let small = EngineShape::Frame {
        height: 64,
        width: 64,
    };
    let graph = engine_graph(arch, RifePart::Whole, sd, small).map_err(|e| e.to_string())?;
    let model = decode_model(&graph).map_err(|e| e.to_string())?;
    let graph = model.graph.as_ref().ok_or("the graph is empty")?;
    let ranges = sites(graph).into_iter().map(|s| (s.weight, 4.0)).collect();
    let none = Spread {
        min: 0.0,
        mean: 0.0,
    };
    Ok(Calibration {
        format: CALIBRATION_FORMAT,
        model_sha256,
        architecture: arch.to_string(),
        clip: "made-up ranges for timing (smoothscale bench)".into(),
        samples: 0,
        crop: 0,
        headroom: HEADROOM,
        ranges,
        quality: Quality {
            samples: 0,
            fp8_psnr_db: none,
            fp8_max_abs: 0.0,
            fp16_psnr_db: none,
            fp16_max_abs: 0.0,
        },
    })
}

/// The build options of `precision` for `model` on this toolchain's GPU, or why it cannot be
/// built there (fp8 before compute 8.9).
pub(super) fn build_options(
    toolchain: &Toolchain,
    precision: &str,
    (model, arch): (&Path, Architecture),
) -> Result<BuildOptions, String> {
    if precision != "fp8" {
        return Ok(BuildOptions::default());
    }
    check_precision(EnginePrecision::Fp8, toolchain.target()).map_err(|e| e.to_string())?;
    let sha = model_sha256(model).map_err(|e| format!("reading {}: {e}", model.display()))?;
    let sd = crate::bench::synthetic::state_dict(arch);
    let calibration = timing_calibration(arch, &sd, sha)?;
    let options = BuildOptions {
        precision: EnginePrecision::Fp8,
        ..BuildOptions::default()
    };
    Ok(options.with_calibration(model.with_extension("fp8-timing.json"), calibration))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::synthetic::{X2PLUS, X4PLUS};

    #[test]
    fn the_timing_calibration_covers_every_fp8_convolution() {
        for net in [X2PLUS, X4PLUS] {
            let sd = crate::bench::synthetic::state_dict(net.arch);
            let cal = timing_calibration(net.arch, &sd, "ab".into()).unwrap();
            // Every dense-block convolution (69 blocks of 5) and the four 64 → 64 after them.
            assert_eq!(cal.ranges.len(), 23 * 15 + 4, "{}", net.key);
            assert!(cal.ranges.contains_key("body.0.rdb1.conv1.weight"));
            assert!(!cal.ranges.contains_key("conv_first.weight"));
            assert_eq!(cal.fingerprint(), cal.clone().fingerprint());
        }
    }
}
