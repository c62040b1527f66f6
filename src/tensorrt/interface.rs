//! Checks between an engine's I/O tensors, the interface its manifest promises, and the buffers a
//! caller binds. Pure, so they are tested without TensorRT.

use smoothscale_tensorrt_sys::{DataType, IoMode, TensorInfo};

use super::cache::InputProfile;

/// The name of every graph's output.
pub const OUTPUT_NAME: &str = "out";

/// A mismatch between an engine, its manifest and the caller's buffers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterfaceError {
    /// The engine lacks a tensor the manifest or the caller names.
    #[error("the engine has no {mode} tensor {name:?} (it has {have})")]
    Missing {
        /// "input" or "output".
        mode: &'static str,
        /// The tensor.
        name: String,
        /// The engine's I/O tensors.
        have: String,
    },
    /// The engine has a tensor that nothing feeds or reads.
    #[error("the engine's {name:?} is not bound")]
    Unbound {
        /// The tensor.
        name: String,
    },
    /// A shape is outside what the engine was built for.
    #[error("{name:?} has shape {shape:?}, the engine takes {min:?} to {max:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// The shape given.
        shape: Vec<i64>,
        /// Smallest accepted.
        min: Vec<i64>,
        /// Largest accepted.
        max: Vec<i64>,
    },
    /// A buffer's length does not match the tensor's shape.
    #[error("{name:?} has shape {shape:?} ({want} values) but its buffer holds {have}")]
    Buffer {
        /// The tensor.
        name: String,
        /// The tensor's shape.
        shape: Vec<i64>,
        /// Values the shape needs.
        want: usize,
        /// Values in the buffer.
        have: usize,
    },
    /// A buffer's element type differs from the tensor's.
    #[error("{name:?} is {engine:?} in the engine, the buffer is {buffer:?}")]
    Type {
        /// The tensor.
        name: String,
        /// The engine's type.
        engine: DataType,
        /// The buffer's type.
        buffer: DataType,
    },
}

fn names(io: &[TensorInfo]) -> String {
    let v: Vec<&str> = io.iter().map(|t| t.name.as_str()).collect();
    v.join(", ")
}

/// The engine's tensor `name` in direction `mode`.
pub fn find<'a>(
    io: &'a [TensorInfo],
    name: &str,
    mode: IoMode,
) -> Result<&'a TensorInfo, InterfaceError> {
    io.iter()
        .find(|t| t.name == name && t.mode == mode)
        .ok_or_else(|| InterfaceError::Missing {
            mode: match mode {
                IoMode::Input => "input",
                IoMode::Output => "output",
            },
            name: name.to_string(),
            have: names(io),
        })
}

/// Checks that the engine's inputs are exactly the manifest's, of the same rank, and that it has
/// the output [`OUTPUT_NAME`].
pub fn check_engine(inputs: &[InputProfile], io: &[TensorInfo]) -> Result<(), InterfaceError> {
    for p in inputs {
        let t = find(io, &p.name, IoMode::Input)?;
        if t.shape.len() != p.min.len() {
            return Err(InterfaceError::Shape {
                name: p.name.clone(),
                shape: t.shape.clone(),
                min: p.min.clone(),
                max: p.max.clone(),
            });
        }
    }
    find(io, OUTPUT_NAME, IoMode::Output)?;
    check_all_bound(
        io,
        inputs.iter().map(|p| p.name.as_str()).chain([OUTPUT_NAME]),
    )
}

/// Checks that every I/O tensor of the engine is among `bound`.
pub fn check_all_bound<'a>(
    io: &[TensorInfo],
    bound: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<(), InterfaceError> {
    for t in io {
        if !bound.clone().into_iter().any(|b| b == t.name) {
            return Err(InterfaceError::Unbound {
                name: t.name.clone(),
            });
        }
    }
    Ok(())
}

/// Checks an input shape against the range the engine was built for.
pub fn check_input_shape(profile: &InputProfile, shape: &[i64]) -> Result<(), InterfaceError> {
    let inside = shape.len() == profile.min.len()
        && shape
            .iter()
            .zip(profile.min.iter().zip(&profile.max))
            .all(|(d, (lo, hi))| lo <= d && d <= hi);
    if inside {
        Ok(())
    } else {
        Err(InterfaceError::Shape {
            name: profile.name.clone(),
            shape: shape.to_vec(),
            min: profile.min.clone(),
            max: profile.max.clone(),
        })
    }
}

/// Checks that a buffer of `len` values of type `dtype` fits tensor `t` at `shape` exactly.
pub fn check_buffer(
    t: &TensorInfo,
    shape: &[i64],
    dtype: DataType,
    len: usize,
) -> Result<(), InterfaceError> {
    if t.dtype != dtype {
        return Err(InterfaceError::Type {
            name: t.name.clone(),
            engine: t.dtype,
            buffer: dtype,
        });
    }
    let want = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?));
    if want != Some(len) {
        return Err(InterfaceError::Buffer {
            name: t.name.clone(),
            shape: shape.to_vec(),
            want: want.unwrap_or(0),
            have: len,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "interface_tests.rs"]
mod tests;
