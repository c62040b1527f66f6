//! Errors of the CPU runner.

use std::path::PathBuf;

use crate::models::checkpoint::CheckpointError;
use crate::models::onnx::GraphError;

/// Why a model could not be loaded or run on the CPU.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "ONNX Runtime library not found at {path} (looked there because of {source_var}); \
         run scripts/fetch-onnxruntime to download it, or set SMOOTHSCALE_ORT_LIB to its path"
    )]
    LibraryMissing {
        path: PathBuf,
        source_var: &'static str,
    },
    #[error("cannot load the ONNX Runtime library {path}: {reason}")]
    LibraryLoad { path: PathBuf, reason: String },
    #[error("cannot find the cache directory: neither XDG_CACHE_HOME nor HOME is set (set SMOOTHSCALE_ORT_LIB)")]
    NoCacheDir,
    #[error("ONNX Runtime: {0}")]
    Ort(String),
    #[error("input {name:?}: {reason}")]
    BadInput { name: String, reason: String },
    #[error("the graph's {what} are {got:?}, expected {want:?}")]
    Names {
        what: &'static str,
        got: Vec<String>,
        want: Vec<String>,
    },
    #[error("output {name:?}: {reason}")]
    BadOutput { name: String, reason: String },
    #[error("{0} is a {1} model; this needs a {2} model")]
    WrongKind(String, &'static str, &'static str),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    InFile {
        path: PathBuf,
        source: Box<RuntimeError>,
    },
    #[error("{}: {bytes} bytes, over the {limit}-byte limit for a model file", path.display())]
    TooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
    },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl From<ort::Error> for RuntimeError {
    fn from(e: ort::Error) -> Self {
        RuntimeError::Ort(e.to_string())
    }
}
