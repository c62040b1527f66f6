//! TensorRT engines: the cache that decides whether a built plan can be reused.
//!
//! The FFI and the safe wrappers over TensorRT live in the `smoothscale-tensorrt-sys` crate; this
//! module is pure Rust and runs everywhere.

pub mod cache;
pub mod manifest;

pub use cache::{
    sha256_file, CacheDecision, ComputeCapability, EngineCache, EngineKey, EnginePrecision,
    InputProfile,
};
pub use manifest::{
    manifest_from_bytes, read_manifest, write_manifest, Manifest, ManifestError, MANIFEST_FORMAT,
    MAX_MANIFEST_BYTES,
};
