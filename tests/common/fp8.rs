//! fp8 calibrations for the tests: ranges measured on a golden case's own input.

use std::path::Path;

use prost::Message as _;

use smoothscale::models::calibration::{
    measure_ranges, Calibration, Quality, Spread, CALIBRATION_FORMAT,
};
use smoothscale::models::checkpoint;
use smoothscale::models::onnx::fp8::HEADROOM;
use smoothscale::models::onnx::proto::ModelProto;
use smoothscale::models::onnx::GraphShape;
use smoothscale::models::runtime::graph_for;
use smoothscale::models::weights::Tensor;
use smoothscale::tensorrt::builder::model_sha256;

/// The fp32 graph (symbolic size) of a model file.
pub fn fp32_graph(model: &Path) -> ModelProto {
    let loaded = checkpoint::load(model).unwrap();
    let (_, bytes) = graph_for(
        loaded.architecture,
        &loaded.state_dict,
        GraphShape::dynamic(),
    )
    .unwrap();
    ModelProto::decode(&bytes[..]).unwrap()
}

/// A calibration of the upscaler `model` measured on `input` alone, with an empty report.
pub fn calibration_on(model: &Path, input: &Tensor) -> Calibration {
    let ranges = measure_ranges(&fp32_graph(model), &[input], 0, &mut || {}).unwrap();
    let none = Spread {
        min: 0.0,
        mean: 0.0,
    };
    Calibration {
        format: CALIBRATION_FORMAT,
        model_sha256: model_sha256(model).unwrap(),
        architecture: checkpoint::load(model).unwrap().architecture.to_string(),
        clip: "a golden input".into(),
        samples: 1,
        crop: input.shape[3],
        headroom: HEADROOM,
        ranges,
        quality: Quality {
            samples: 0,
            fp8_psnr_db: none,
            fp8_max_abs: 0.0,
            fp16_psnr_db: none,
            fp16_max_abs: 0.0,
        },
    }
}
