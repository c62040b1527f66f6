//! What engine a model needs: its shape (whole frames, or batches of tiles with context), its
//! precision and builder options, and for RIFE the part of the network (the feature encoder, run
//! once per source frame, and the rest, run per output frame: [`Network::engines`]); and from them
//! the ONNX graph ([`engine_graph`]), TensorRT's input profiles, the cache entry's name and the
//! [`EngineKey`]. Pure: no TensorRT and no GPU involved.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::cache::{ComputeCapability, EngineKey, EnginePrecision, InputProfile};
pub use super::options::{BuildOptions, DEFAULT_OPT_LEVEL, DEFAULT_WORKSPACE_MIB};
pub use super::validate::{check_precision, check_shape, SpecError};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::builder::OPSET_VERSION;
pub use crate::models::onnx::RifePart;
use crate::models::onnx::{self, GraphError, GraphShape, RifeOptions, FEATURE_CHANNELS};
use crate::models::runtime::{graph_for, kind_of, ModelKind, RuntimeError, RIFE_MULTIPLE};
use crate::models::weights::StateDict;

/// Revision of our graph builders' output for a given checkpoint; bump it when a builder changes
/// what it emits, so every cached engine is rebuilt.
pub const GRAPH_REVISION: u32 = 2;
/// The largest tile batch an engine profile may ask for.
pub const MAX_BATCH: usize = 64;
/// The largest frame or tile side an engine may be built for.
pub const MAX_SIDE: usize = 16384;
/// The input shapes an engine is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineShape {
    /// One whole frame of exactly `height` × `width` input pixels (batch 1).
    Frame {
        /// Input height.
        height: usize,
        /// Input width.
        width: usize,
    },
    /// Batches of 1 to `batch` square tiles of `tile + 2 × pad` input pixels.
    Tiles {
        /// Tile side, without context.
        tile: usize,
        /// Context on each side.
        pad: usize,
        /// Largest batch.
        batch: usize,
    },
}

impl EngineShape {
    /// Input `(height, width)` of one image of the batch.
    pub fn input_size(&self) -> (usize, usize) {
        match *self {
            EngineShape::Frame { height, width } => (height, width),
            EngineShape::Tiles { tile, pad, .. } => (tile + 2 * pad, tile + 2 * pad),
        }
    }

    /// Largest batch the engine takes.
    pub fn max_batch(&self) -> usize {
        match *self {
            EngineShape::Frame { .. } => 1,
            EngineShape::Tiles { batch, .. } => batch,
        }
    }
}

impl fmt::Display for EngineShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EngineShape::Frame { height, width } => write!(f, "{width}x{height}"),
            EngineShape::Tiles { tile, pad, batch } => write!(f, "tile{tile}-pad{pad}-b{batch}"),
        }
    }
}

/// The GPU and TensorRT an engine is built on and for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// TensorRT version of the loaded library ("10.16.0").
    pub tensorrt_version: String,
    /// Whether this TensorRT has the bf16 builder flag (10.x; 11.x has none).
    pub has_precision_flags: bool,
    /// GPU name as the driver reports it.
    pub gpu_name: String,
    /// GPU compute capability.
    pub compute_capability: ComputeCapability,
}

/// The network of a model file, as far as its engine is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    /// Interpolation or upscaling, with the upscaler's padding multiple.
    pub kind: ModelKind,
    /// Output pixels per input pixel along each axis (1 for RIFE).
    pub scale: usize,
    /// The part of the network the engine holds (only RIFE is split).
    pub part: RifePart,
}

impl Network {
    /// The network of a checkpoint's architecture.
    pub fn of(arch: Architecture) -> Network {
        Network {
            kind: kind_of(arch),
            scale: arch.scale(),
            part: RifePart::Whole,
        }
    }

    /// The same network's `part`.
    pub fn with_part(self, part: RifePart) -> Network {
        Network { part, ..self }
    }

    /// The engines a run uses: RIFE's feature encoder (once per source frame) and the rest (once
    /// per output frame), in that order; any other network whole.
    pub fn engines(self) -> Vec<Network> {
        match self.kind {
            ModelKind::Rife => [RifePart::Encoder, RifePart::FromFeatures]
                .map(|p| self.with_part(p))
                .to_vec(),
            ModelKind::Upscaler { .. } => vec![self.with_part(RifePart::Whole)],
        }
    }

    /// The multiple every input side must be.
    pub fn multiple(&self) -> usize {
        match self.kind {
            ModelKind::Rife => RIFE_MULTIPLE,
            ModelKind::Upscaler { pad_multiple } => pad_multiple.max(1),
        }
    }
}

/// The ONNX graph shape to build: fixed sides, batch fixed at 1 for frames and symbolic for tiles.
pub fn graph_shape(shape: EngineShape) -> GraphShape {
    GraphShape {
        batch: match shape {
            EngineShape::Frame { .. } => Some(1),
            EngineShape::Tiles { .. } => None,
        },
        size: Some(shape.input_size()),
    }
}

/// The graph inputs with their shape ranges (min = opt = max unless the batch varies), in the
/// graph's order. RIFE's parts take `img` (encoder), or `img0`, `img1`, `feat0`, `feat1`,
/// `timestep` (the rest), as the CPU runner's split graphs do.
pub fn input_profiles(net: Network, shape: EngineShape) -> Vec<InputProfile> {
    let (h, w) = shape.input_size();
    let input = |name: &str, channels: usize, batch: usize, (h, w): (usize, usize)| {
        let dims = |n: usize| vec![n as i64, channels as i64, h as i64, w as i64];
        InputProfile {
            name: name.into(),
            min: dims(1),
            opt: dims(batch),
            max: dims(batch),
        }
    };
    let image = |name: &str| input(name, 3, 1, (h, w));
    let feat = |name: &str| input(name, FEATURE_CHANNELS, 1, (h, w));
    let timestep = input("timestep", 1, 1, (1, 1));
    match (net.kind, net.part) {
        (ModelKind::Rife, RifePart::Whole) => vec![image("img0"), image("img1"), timestep],
        (ModelKind::Rife, RifePart::Encoder) => vec![image("img")],
        (ModelKind::Rife, RifePart::FromFeatures) => {
            let (i0, i1, f0, f1) = (image("img0"), image("img1"), feat("feat0"), feat("feat1"));
            vec![i0, i1, f0, f1, timestep]
        }
        (ModelKind::Upscaler { .. }, _) => vec![input("input", 3, shape.max_batch(), (h, w))],
    }
}

/// Shape of the graph's output `out` for a batch of `batch` images (RIFE's encoder: its
/// features).
pub fn output_shape(net: Network, shape: EngineShape, batch: usize) -> Vec<i64> {
    let (h, w) = shape.input_size();
    let (c, s) = match net.part {
        RifePart::Encoder => (FEATURE_CHANNELS, 1),
        _ => (3, net.scale),
    };
    vec![batch as i64, c as i64, (h * s) as i64, (w * s) as i64]
}

/// The name of a network part in stems and keys (`None`: the whole network).
pub fn part_name(part: RifePart) -> Option<&'static str> {
    match part {
        RifePart::Whole => None,
        RifePart::Encoder => Some("encoder"),
        RifePart::FromFeatures => Some("flow"),
    }
}

/// The ONNX graph an engine of `part` of `arch` is built from, for `shape` (standard operators;
/// RIFE's parts have the interface of the CPU runner's split graphs). A part of a network that
/// is not split is an error.
pub fn engine_graph(
    arch: Architecture,
    part: RifePart,
    sd: &StateDict,
    shape: EngineShape,
) -> Result<Vec<u8>, RuntimeError> {
    let shape = graph_shape(shape);
    match (arch, part) {
        (arch, RifePart::Whole) => Ok(graph_for(arch, sd, shape)?.1),
        (Architecture::Rife425, part) => {
            let opts = RifeOptions {
                shape,
                part,
                ..RifeOptions::default()
            };
            Ok(onnx::rife(sd, opts)?)
        }
        (arch, part) => Err(GraphError::Unsupported(format!("a {part:?} part of {arch}")).into()),
    }
}

/// The cache entry's name: model file stem, the part (RIFE), shape and precision
/// (`flownet-encoder-1920x1088-fp16`, `Real_ESRGAN_x2plus-1920x1088-fp16`). The GPU and TensorRT
/// are in the key, so a change of either rebuilds the same entry.
pub fn entry_stem(
    model: &Path,
    part: RifePart,
    shape: EngineShape,
    precision: EnginePrecision,
) -> String {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let part = part_name(part).map_or(String::new(), |name| format!("-{name}"));
    format!("{safe}{part}-{shape}-{precision}")
}

/// The key of the engine for a model file (`model_sha256`), its architecture and `part`, a
/// shape, options and a target.
pub fn engine_key(
    model_sha256: &str,
    (arch, part): (Architecture, RifePart),
    shape: EngineShape,
    options: &BuildOptions,
    target: &Target,
) -> EngineKey {
    let mut opts = BTreeMap::new();
    opts.insert(
        "workspace_mib".to_string(),
        options.workspace_mib.to_string(),
    );
    opts.insert(
        "optimization_level".to_string(),
        options.opt_level.to_string(),
    );
    if let Some(fingerprint) = options.calibration_fingerprint() {
        opts.insert("fp8_calibration".to_string(), fingerprint);
    }
    let part_label = part_name(part).map_or(String::new(), |name| format!(" {name}"));
    EngineKey {
        model_sha256: model_sha256.to_string(),
        graph_version: format!(
            "{arch}{part_label}; graph r{GRAPH_REVISION}; opset {OPSET_VERSION}"
        ),
        tensorrt_version: target.tensorrt_version.clone(),
        gpu_name: target.gpu_name.clone(),
        compute_capability: target.compute_capability,
        inputs: input_profiles(Network::of(arch).with_part(part), shape),
        precision: options.precision,
        options: opts,
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "spec_graph_tests.rs"]
mod graph_tests;
