//! TensorRT for smoothscale, loaded at run time.
//!
//! TensorRT has only a C++ API. This crate compiles a small flat C shim (`shim/trt_shim.h`,
//! `shim/trt_shim.cpp`) against the TensorRT headers found at build time and wraps it in safe
//! RAII types. Nothing links against TensorRT: [`TensorRt::load`] opens `libnvinfer.so.<major>`
//! (the major of the headers the shim was compiled against), checks `getInferLibVersion`, and
//! hands the exported factory functions to the shim. [`OnnxParserLibrary::load`] does the same for
//! `libnvonnxparser.so.<major>`.
//!
//! When no headers were found at build time the crate still builds, with the same API, and
//! [`TensorRt::load`] returns [`TrtError::HeadersMissing`]. See `build.rs` for the search order.
//! (In that build the shim calls are compiled out, hence the relaxed lints below.)

#![cfg_attr(
    not(trt_shim),
    allow(unused_variables, unused_imports, dead_code, unreachable_code)
)]

pub mod builder;
mod error;
pub mod ffi;
mod library;
mod logger;
pub mod parser;
pub mod runtime;
mod version;

pub use builder::{Builder, BuilderConfig, Network, Precision, ProfileShape};
pub use error::TrtError;
pub use library::{open_library, probe_infer_library, probe_onnx_parser_library, TensorRt};
pub use logger::severity_level;
pub use parser::{OnnxParserLibrary, ParserError};
pub use runtime::{DataType, Engine, ExecutionContext, IoMode, Runtime, TensorInfo};
pub use version::{library_names, TrtVersion};

/// Whether the shim was compiled into this build (TensorRT headers were found).
pub const SHIM_COMPILED: bool = cfg!(trt_shim);

/// Where the TensorRT headers used for the shim were found; empty without the shim.
pub const HEADERS_DIR: &str = env!("SMOOTHSCALE_TRT_INCLUDE_DIR");

/// Runs `$body` (which calls into the shim) when the shim is compiled. Without it no value of the
/// wrapper types can exist (their [`library::Api`] is uninhabited), so the other branch is
/// `match $api.never {}` and the shim's symbols are never referenced.
macro_rules! shim {
    ($api:expr, $body:expr) => {{
        #[cfg(trt_shim)]
        {
            let _ = &$api;
            $body
        }
        #[cfg(not(trt_shim))]
        {
            match $api.never {}
        }
    }};
}
pub(crate) use shim;
