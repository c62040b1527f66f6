//! Why a graph could not be built.

/// An error building an ONNX graph from a state dict.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// A tensor the network needs is not in the state dict.
    #[error("missing tensor `{0}` in the weights")]
    MissingTensor(String),
    /// A tensor has a shape the network cannot use.
    #[error("tensor `{name}` has shape {actual:?}, expected {expected}")]
    BadShape {
        /// State-dict key.
        name: String,
        /// What was expected, in words or as a shape.
        expected: String,
        /// The shape found.
        actual: Vec<usize>,
    },
    /// A tensor's data length does not match its shape.
    #[error("tensor `{name}` holds {len} values but its shape {shape:?} needs {numel}")]
    BadData {
        /// State-dict key.
        name: String,
        /// Its declared shape.
        shape: Vec<usize>,
        /// Number of values the shape implies.
        numel: usize,
        /// Number of values present.
        len: usize,
    },
    /// The state dict has a key the network does not use.
    #[error("unexpected tensor `{0}` in the weights")]
    UnexpectedTensor(String),
    /// A hyper-parameter derived from the weights is not supported.
    #[error("unsupported network: {0}")]
    Unsupported(String),
    /// The requested static frame size does not suit the network.
    #[error("invalid frame size {width}x{height}: {reason}")]
    InvalidSize {
        /// Requested width.
        width: usize,
        /// Requested height.
        height: usize,
        /// Why it is rejected.
        reason: String,
    },
}
