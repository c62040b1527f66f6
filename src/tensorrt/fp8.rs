//! fp8 engines: the calibration an fp8 build needs (checked against the model and network) and
//! the graph it builds from, our half-precision graph with the calibration's Q/DQ pairs
//! ([`crate::models::onnx::fp8`]). Pure: no TensorRT and no GPU involved.

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message as _;

use super::builder::EngineBuildError;
use super::cache::EnginePrecision;
use super::spec::{BuildOptions, Network, SpecError};
use crate::models::calibration::Calibration;
use crate::models::onnx::fp8::to_fp8;
use crate::models::onnx::{decode_model, GraphError};
use crate::models::runtime::ModelKind;

/// The calibration of an fp8 engine of `network`, checked against the model file (`model`, with
/// its sha256): fp8 needs one and takes upscalers only, other precisions take none.
pub fn check_calibration<'a>(
    options: &'a BuildOptions,
    network: Network,
    (model, sha): (&Path, &str),
) -> Result<Option<&'a Calibration>, EngineBuildError> {
    let precision = |s: String| EngineBuildError::Spec(SpecError::Precision(s));
    match (&options.calibration, options.precision) {
        (_, EnginePrecision::Fp8) if network.kind == ModelKind::Rife => Err(precision(
            "fp8 engines are for the upscalers: RIFE is memory-bound and stays fp16 (--precision \
             fp16)"
                .into(),
        )),
        (None, EnginePrecision::Fp8) => Err(precision(
            "fp8 engines need an fp8 calibration: run `smoothscale calibrate --model MODEL --clip \
             CLIP --out CAL.json` and give --calibration CAL.json"
                .into(),
        )),
        (Some(c), EnginePrecision::Fp8) => {
            c.1.check_model(&c.0, model, sha)?;
            Ok(Some(&c.1))
        }
        (Some(_), other) => Err(precision(format!(
            "a calibration is for fp8 engines, not {other}"
        ))),
        (None, _) => Ok(None),
    }
}

/// An fp32 graph rewritten for fp8 with `ranges` ([`crate::models::onnx::fp8`]).
pub fn fp8_graph(graph: &[u8], ranges: &BTreeMap<String, f32>) -> Result<Vec<u8>, GraphError> {
    let model = decode_model(graph)?;
    Ok(to_fp8(model, ranges)?.encode_to_vec())
}

#[cfg(test)]
#[path = "fp8_tests.rs"]
mod tests;
