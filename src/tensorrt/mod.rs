//! TensorRT engines: what engine a model needs (`spec`, `options`, `profile`; `fp8` for
//! calibrated fp8 graphs), building it (`builder`), the
//! cache that decides whether a built plan can be reused (`cache`, `manifest`), and running it on
//! device buffers (`stage`, `interface`, `jobs`).
//!
//! The FFI and the safe wrappers over TensorRT live in the `smoothscale-tensorrt-sys` crate. All
//! but `builder` and `stage` is pure Rust and tested everywhere; those two are compiled here but
//! not yet run on a GPU.

pub mod builder;
pub mod cache;
pub mod fp8;
pub mod graph;
pub mod interface;
pub mod jobs;
pub mod manifest;
pub mod options;
pub mod profile;
pub mod spec;
pub mod stage;
pub mod validate;

pub use cache::{
    sha256_file, CacheDecision, ComputeCapability, EngineCache, EngineKey, EnginePrecision,
    InputProfile,
};
pub use manifest::{
    manifest_from_bytes, read_manifest, write_atomically, write_manifest, Manifest, ManifestError,
    MANIFEST_FORMAT, MAX_MANIFEST_BYTES,
};

/// The engine cache folder: `$SMOOTHSCALE_ENGINE_CACHE`, else
/// `$XDG_CACHE_HOME/smoothscale/engines` (`~/.cache/smoothscale/engines`); `None` when neither
/// `XDG_CACHE_HOME` nor `HOME` is set.
pub fn default_cache_dir() -> Option<std::path::PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    env("SMOOTHSCALE_ENGINE_CACHE").or_else(|| {
        env("XDG_CACHE_HOME")
            .or_else(|| env("HOME").map(|h| h.join(".cache")))
            .map(|c| c.join("smoothscale").join("engines"))
    })
}
