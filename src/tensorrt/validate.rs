//! Whether an engine can be built as asked: shapes that suit the network, and a precision the GPU
//! and TensorRT have. Pure.

use super::cache::EnginePrecision;
use super::spec::{EngineShape, Network, Target, MAX_BATCH, MAX_SIDE};
use crate::models::runtime::ModelKind;

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
/// 8.9. fp16 is built from our half-precision graph as a strongly typed network, with any
/// TensorRT, and fp8 from that graph with calibrated Q/DQ pairs, likewise; bf16 uses TensorRT 10's precision flag, which TensorRT 11 does not have (its
/// networks take the graph's own types, and we make no bf16 graph).
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
        EnginePrecision::Bf16 if !target.has_precision_flags => err(format!(
            "TensorRT {} builds strongly typed networks only, with the graph's own types, and \
             smoothscale makes fp32 and fp16 graphs: bf16 is not available with it; use \
             --precision fp16 or fp32",
            target.tensorrt_version
        )),
        _ => Ok(()),
    }
}
