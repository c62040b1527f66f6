//! Named fp32 tensors as read from a checkpoint, the common currency of the readers and the graph
//! builders.

use std::collections::BTreeMap;

/// A dense, row-major fp32 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    /// Number of elements the shape describes.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Tensors by their state_dict key (after `module.` has been stripped).
pub type StateDict = BTreeMap<String, Tensor>;
