//! The CPU model runner: ONNX Runtime through the `ort` crate, loaded at run time.
//!
//! The shared library is not linked: it is loaded from `SMOOTHSCALE_ORT_LIB`, else
//! `ORT_DYLIB_PATH`, else `$XDG_CACHE_HOME/smoothscale/onnxruntime-1.31.1/libonnxruntime.so.1.31.1`
//! (`~/.cache` when `XDG_CACHE_HOME` is unset), where `scripts/fetch-onnxruntime` puts it.

mod cancel;
mod error;
pub mod model;
mod session;
pub mod warp;

use std::path::PathBuf;
use std::sync::Mutex;

pub use cancel::Cancel;
pub use error::RuntimeError;
pub use model::{graph_for, kind_of, Encoded, Model, ModelKind, RIFE_MULTIPLE};
pub use session::{CpuSession, Rewrites, TensorView};

/// The ONNX Runtime release the runner is built for.
pub const ORT_VERSION: &str = "1.31.1";
/// File name of the shared library.
pub const ORT_LIB_NAME: &str = "libonnxruntime.so.1.31.1";
/// The script that downloads the library into the default location.
pub const FETCH_SCRIPT: &str = "scripts/fetch-onnxruntime";

/// Where the library is looked for, and which setting chose that place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryLocation {
    /// The file to load.
    pub path: PathBuf,
    /// `SMOOTHSCALE_ORT_LIB`, `ORT_DYLIB_PATH` or `default cache path`.
    pub source: &'static str,
}

/// Resolves the library path from the environment (the file may not exist).
pub fn library_location() -> Result<LibraryLocation, RuntimeError> {
    for var in ["SMOOTHSCALE_ORT_LIB", "ORT_DYLIB_PATH"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Ok(LibraryLocation {
                path: PathBuf::from(v),
                source: var,
            });
        }
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .ok_or(RuntimeError::NoCacheDir)?;
    Ok(LibraryLocation {
        path: cache
            .join("smoothscale")
            .join(format!("onnxruntime-{ORT_VERSION}"))
            .join(ORT_LIB_NAME),
        source: "default cache path",
    })
}

/// Loads the ONNX Runtime library now (it is otherwise loaded by the first session), so that a
/// missing or unusable library is reported before any work.
pub fn init() -> Result<(), RuntimeError> {
    environment().map(drop)
}

/// The process-wide ONNX Runtime environment (ORT allows only one).
static ENVIRONMENT: Mutex<Option<ort::environment::Environment>> = Mutex::new(None);

/// Loads the library (once) and returns the environment sessions are created in.
pub(crate) fn environment() -> Result<ort::environment::Environment, RuntimeError> {
    let mut env = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(env) = env.as_ref() {
        return Ok(env.clone());
    }
    let loc = library_location()?;
    if !loc.path.is_file() {
        return Err(RuntimeError::LibraryMissing {
            path: loc.path,
            source_var: loc.source,
        });
    }
    let path = loc.path.clone();
    // `ort` may panic inside the loader on a library it cannot use; keep that a typed error.
    let builder = std::panic::catch_unwind(move || ort::init_from(&path))
        .map_err(|p| RuntimeError::LibraryLoad {
            path: loc.path.clone(),
            reason: panic_message(&p),
        })?
        .map_err(|e| RuntimeError::LibraryLoad {
            path: loc.path.clone(),
            reason: e.to_string(),
        })?;
    // The builder is consumed either way, so nothing observes a half-updated state after a panic.
    let build = std::panic::AssertUnwindSafe(move || builder.with_name("smoothscale").build());
    let built = std::panic::catch_unwind(build)
        .map_err(|p| RuntimeError::LibraryLoad {
            path: loc.path.clone(),
            reason: panic_message(&p),
        })?
        .map_err(|e| RuntimeError::Ort(e.to_string()))?;
    *env = Some(built.clone());
    Ok(built)
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked while loading".into())
}
