//! What engine a model needs: its shape (whole frames, or batches of tiles with context), its
//! precision and builder options; and from them the ONNX graph shape, TensorRT's input profiles,
//! the cache entry's name and the [`EngineKey`]. Pure: no TensorRT and no GPU involved.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::cache::{ComputeCapability, EngineKey, EnginePrecision, InputProfile};
pub use super::validate::{check_precision, check_shape, SpecError};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::builder::OPSET_VERSION;
use crate::models::onnx::GraphShape;
use crate::models::runtime::{kind_of, ModelKind, RIFE_MULTIPLE};

/// Revision of our graph builders' output for a given checkpoint; bump it when a builder changes
/// what it emits, so every cached engine is rebuilt.
pub const GRAPH_REVISION: u32 = 2;
/// The largest tile batch an engine profile may ask for.
pub const MAX_BATCH: usize = 64;
/// The largest frame or tile side an engine may be built for.
pub const MAX_SIDE: usize = 16384;
/// Builder workspace when none is given, in MiB.
pub const DEFAULT_WORKSPACE_MIB: u64 = 4096;
/// TensorRT's own default builder optimization level.
pub const DEFAULT_OPT_LEVEL: u8 = 3;

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

/// Builder settings that change the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Kernel precision.
    pub precision: EnginePrecision,
    /// Builder workspace limit, MiB.
    pub workspace_mib: u64,
    /// Builder optimization level, 0 to 5.
    pub opt_level: u8,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            precision: EnginePrecision::Fp16,
            workspace_mib: DEFAULT_WORKSPACE_MIB,
            opt_level: DEFAULT_OPT_LEVEL,
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
}

impl Network {
    /// The network of a checkpoint's architecture.
    pub fn of(arch: Architecture) -> Network {
        let scale = match arch {
            Architecture::Rife425 => 1,
            Architecture::RrdbNet { scale, .. } | Architecture::SrVgg { scale, .. } => {
                scale as usize
            }
        };
        Network {
            kind: kind_of(arch),
            scale,
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

/// The graph inputs with their shape ranges (min = opt = max unless the batch varies).
pub fn input_profiles(net: Network, shape: EngineShape) -> Vec<InputProfile> {
    let (h, w) = shape.input_size();
    let image = |name: &str, batch: usize| -> InputProfile {
        let dims = |n: usize| vec![n as i64, 3, h as i64, w as i64];
        InputProfile {
            name: name.into(),
            min: dims(1),
            opt: dims(batch),
            max: dims(batch),
        }
    };
    match net.kind {
        ModelKind::Rife => {
            let t = vec![1, 1, 1, 1];
            vec![
                image("img0", 1),
                image("img1", 1),
                InputProfile {
                    name: "timestep".into(),
                    min: t.clone(),
                    opt: t.clone(),
                    max: t,
                },
            ]
        }
        ModelKind::Upscaler { .. } => vec![image("input", shape.max_batch())],
    }
}

/// Shape of the graph's output `out` for a batch of `batch` images.
pub fn output_shape(net: Network, shape: EngineShape, batch: usize) -> Vec<i64> {
    let (h, w) = shape.input_size();
    let s = net.scale;
    vec![batch as i64, 3, (h * s) as i64, (w * s) as i64]
}

/// The cache entry's name: model file stem, shape and precision (`flownet-1920x1088-fp16`).
/// The GPU and TensorRT are in the key, so a change of either rebuilds the same entry.
pub fn entry_stem(model: &Path, shape: EngineShape, precision: EnginePrecision) -> String {
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
    format!("{safe}-{shape}-{precision}")
}

/// The key of the engine for a model file (`model_sha256`), its architecture, a shape, options
/// and a target.
pub fn engine_key(
    model_sha256: &str,
    arch: Architecture,
    shape: EngineShape,
    options: BuildOptions,
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
    EngineKey {
        model_sha256: model_sha256.to_string(),
        graph_version: format!("{arch}; graph r{GRAPH_REVISION}; opset {OPSET_VERSION}"),
        tensorrt_version: target.tensorrt_version.clone(),
        gpu_name: target.gpu_name.clone(),
        compute_capability: target.compute_capability,
        inputs: input_profiles(Network::of(arch), shape),
        precision: options.precision,
        options: opts,
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
