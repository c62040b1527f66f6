//! ONNX graphs of the networks, built in Rust from a [`StateDict`](crate::models::weights::StateDict).
//!
//! Each builder derives its hyper-parameters from tensor shapes, checks every tensor it reads and
//! returns the serialized `ModelProto` (opset [`builder::OPSET_VERSION`]). Inputs and outputs are
//! float32 NCHW; H and W are fixed or symbolic according to [`GraphShape`].

pub mod builder;
pub mod error;
pub mod fp8;
pub mod half;
pub mod hparams;
mod layers;
mod ops;
pub mod proto;
pub mod reference;
pub mod rife;
pub mod rrdbnet;
pub mod srvgg;
pub mod warp;
mod weights_access;

pub use error::GraphError;
pub use hparams::{RifeParams, RrdbParams, SrvggParams};
pub use rife::{rife, rife_model, RifeOptions, RifePart, FEATURE_CHANNELS};
pub use rrdbnet::{rrdbnet, rrdbnet_model};
pub use srvgg::{srvgg, srvgg_model};

/// Reads a serialized `ModelProto` (of this crate's own graphs: decoding keeps only the fields
/// [`proto`] declares).
pub fn decode_model(onnx: &[u8]) -> Result<proto::ModelProto, GraphError> {
    use prost::Message as _;
    proto::ModelProto::decode(onnx)
        .map_err(|e| GraphError::Unsupported(format!("cannot read the ONNX graph: {e}")))
}

/// Batch size and frame size of a graph's inputs; `None` makes the dimension symbolic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphShape {
    /// Batch size N, or symbolic.
    pub batch: Option<usize>,
    /// Input `(height, width)`, or symbolic.
    pub size: Option<(usize, usize)>,
}

impl GraphShape {
    /// Symbolic batch and frame size.
    pub fn dynamic() -> Self {
        Self::default()
    }

    /// Symbolic batch, fixed `(height, width)`.
    pub fn fixed(height: usize, width: usize) -> Self {
        Self {
            batch: None,
            size: Some((height, width)),
        }
    }
}
