//! The CUDA backend (placeholder while assembling).
