//! The errors of loading and driving TensorRT.

use crate::version::TrtVersion;

/// Everything that can go wrong between us and TensorRT.
#[derive(Debug, thiserror::Error)]
pub enum TrtError {
    /// The shim was not compiled because no TensorRT headers were found at build time.
    #[error(
        "TensorRT headers were not found at build time, so this build cannot use TensorRT: \
         install the TensorRT development headers (JetPack: libnvinfer-dev, libnvonnxparsers-dev) \
         or set TENSORRT_INCLUDE_DIR, then rebuild"
    )]
    HeadersMissing,
    /// A shared library could not be opened.
    #[error("cannot load {library}: {reason} (install TensorRT {major}.x or add it to the library path)")]
    LibraryMissing {
        /// The library's file name.
        library: String,
        /// The TensorRT major version we need.
        major: u32,
        /// What the dynamic loader said.
        reason: String,
    },
    /// A library lacks an exported function.
    #[error("{library} does not export {symbol}: {reason}")]
    SymbolMissing {
        /// The library's file name.
        library: String,
        /// The missing function.
        symbol: String,
        /// What the dynamic loader said.
        reason: String,
    },
    /// `getInferLibVersion` returned something that is not a TensorRT version.
    #[error("{library} reports an unreadable version number {raw}")]
    BadVersion {
        /// The library's file name.
        library: String,
        /// The raw number.
        raw: i32,
    },
    /// The library's major version differs from the headers the shim was built with.
    #[error("{library} is TensorRT {found}, but this build's shim was compiled against TensorRT {headers} headers")]
    VersionMismatch {
        /// The library's file name.
        library: String,
        /// The library's version.
        found: TrtVersion,
        /// The headers' version.
        headers: TrtVersion,
    },
    /// TensorRT returned no object (the logger has TensorRT's own reason).
    #[error("TensorRT could not {0} (see the TensorRT log messages above)")]
    Failed(&'static str),
    /// A tensor name contained a NUL byte or was not known to the engine.
    #[error("invalid tensor name {0:?}")]
    BadTensorName(String),
    /// The ONNX parser rejected the graph.
    #[error("the ONNX parser rejected the graph: {}", format_parser_errors(.0))]
    Parse(Vec<crate::parser::ParserError>),
    /// This TensorRT has no precision flags (11.x): precision comes from the graph's own types.
    #[error("TensorRT {0} has no {1} builder flag: networks are strongly typed, export the graph in that precision")]
    PrecisionUnsupported(TrtVersion, &'static str),
}

fn format_parser_errors(errors: &[crate::parser::ParserError]) -> String {
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    parts.join("; ")
}
