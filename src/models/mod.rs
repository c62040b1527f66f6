//! The networks: checkpoint readers, the ONNX graphs built from them, and their CPU runner.

pub mod calibration;
pub mod checkpoint;
pub mod golden;
pub mod npy;
pub mod onnx;
pub mod runtime;
pub mod weights;
