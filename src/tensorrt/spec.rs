//! What engine a model needs: its shape (whole frames, or batches of tiles with context), its
//! precision and builder options; and from them the ONNX graph shape, TensorRT's input profiles,
//! the cache entry's name and the [`EngineKey`]. Pure: no TensorRT and no GPU involved.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use super::cache::{ComputeCapability, EngineKey, EnginePrecision, InputProfile};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::builder::OPSET_VERSION;
use crate::models::onnx::GraphShape;
use crate::models::runtime::{kind_of, ModelKind, RIFE_MULTIPLE};
use crate::pipeline::Tiling;

/// Revision of our graph builders' output for a given checkpoint; bump it when a builder changes
/// what it emits, so every cached engine is rebuilt.
pub const GRAPH_REVISION: u32 = 1;
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
    /// Whether this TensorRT has fp16/bf16 builder flags (10.x; 11.x has none).
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

/// Why an engine cannot be built as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// RIFE interpolates whole frames only.
    #[error("RIFE engines take whole frames (--height/--width), not tiles")]
    RifeTiles,
    /// A side is not a multiple the network needs.
    #[error(
        "{what} {value} is not a multiple of {multiple}, which this network needs (pad the frames)"
    )]
    NotMultiple {
        /// Which side.
        what: &'static str,
        /// The value given.
        value: usize,
        /// The multiple needed.
        multiple: usize,
    },
    /// A size is zero or too large.
    #[error("{what} {value} is out of range ({min} to {max})")]
    OutOfRange {
        /// Which size.
        what: &'static str,
        /// The value given.
        value: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// The precision is not available with this TensorRT or GPU.
    #[error("{0}")]
    Precision(String),
}

/// Checks that `net` can be built for `shape`.
pub fn check_shape(net: Network, shape: EngineShape) -> Result<(), SpecError> {
    let range = |what, value, min, max| {
        if (min..=max).contains(&value) {
            Ok(())
        } else {
            Err(SpecError::OutOfRange {
                what,
                value,
                min,
                max,
            })
        }
    };
    let multiple = net.multiple();
    let aligned = |what, value: usize| {
        if value.is_multiple_of(multiple) {
            Ok(())
        } else {
            Err(SpecError::NotMultiple {
                what,
                value,
                multiple,
            })
        }
    };
    match shape {
        EngineShape::Frame { height, width } => {
            range("height", height, 1, MAX_SIDE)?;
            range("width", width, 1, MAX_SIDE)?;
            aligned("height", height)?;
            aligned("width", width)
        }
        EngineShape::Tiles { tile, pad, batch } => {
            if net.kind == ModelKind::Rife {
                return Err(SpecError::RifeTiles);
            }
            range("tile", tile, 1, MAX_SIDE)?;
            range("tile pad", pad, 0, MAX_SIDE)?;
            range("tile + 2 x pad", tile + 2 * pad, 1, MAX_SIDE)?;
            range("batch", batch, 1, MAX_BATCH)?;
            aligned("tile + 2 x pad", tile + 2 * pad)
        }
    }
}

/// Checks that `precision` can be built with `target`: bf16 needs compute capability 8.0, fp8
/// 8.9; TensorRT 11 has no precision flags at all (its networks take the graph's own types, and
/// our graphs are fp32).
pub fn check_precision(precision: EnginePrecision, target: &Target) -> Result<(), SpecError> {
    let cc = target.compute_capability;
    let at_least = |major, minor| (cc.major, cc.minor) >= (major, minor);
    let err = |s: String| Err(SpecError::Precision(s));
    match precision {
        EnginePrecision::Fp32 => Ok(()),
        EnginePrecision::Bf16 if !at_least(8, 0) => err(format!(
            "bf16 needs compute capability 8.0 or newer; {} is {cc}",
            target.gpu_name
        )),
        EnginePrecision::Fp8 if !at_least(8, 9) => err(format!(
            "fp8 needs compute capability 8.9 or newer; {} is {cc}",
            target.gpu_name
        )),
        EnginePrecision::Fp8 => err(
            "fp8 engines need a quantized graph (Q/DQ nodes with calibrated scales), which \
             smoothscale does not make yet; use fp16"
                .into(),
        ),
        p if !target.has_precision_flags => err(format!(
            "TensorRT {} builds strongly typed networks only, with the graph's own types, and \
             smoothscale's graphs are fp32: {p} is not available with it; use --precision fp32",
            target.tensorrt_version
        )),
        _ => Ok(()),
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

/// The engine shape a job on `width` × `height` frames needs: RIFE and whole-frame upscaling
/// (`tiling.tile` 0) take the frame padded to the network's multiple; tiled upscaling takes the
/// tile engine, unless the frame is smaller than one tile with its context (then the whole frame
/// is one call).
pub fn shape_for_job(net: Network, width: usize, height: usize, tiling: Tiling) -> EngineShape {
    let m = net.multiple();
    let frame = EngineShape::Frame {
        height: height.div_ceil(m) * m,
        width: width.div_ceil(m) * m,
    };
    match (net.kind, tiling) {
        (ModelKind::Upscaler { .. }, t)
            if t.tile > 0 && width >= t.tile + 2 * t.pad && height >= t.tile + 2 * t.pad =>
        {
            EngineShape::Tiles {
                tile: t.tile,
                pad: t.pad,
                batch: t.batch,
            }
        }
        _ => frame,
    }
}

/// Splits `tiles` tiles into consecutive engine calls of at most `max_batch` each (the last one
/// may be smaller: the tile engines accept any batch from 1).
pub fn tile_batches(tiles: usize, max_batch: usize) -> Vec<Range<usize>> {
    let step = max_batch.max(1);
    (0..tiles)
        .step_by(step)
        .map(|start| start..(start + step).min(tiles))
        .collect()
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
