//! Why the CUDA driver or NVRTC could not be used.

/// A library or entry point that is missing, or a call that failed.
#[derive(Debug, thiserror::Error)]
pub enum CudaError {
    /// The shared library could not be opened.
    #[error("{library} could not be loaded ({source})")]
    LibraryNotFound {
        /// The name or path that was opened (several names for NVRTC, joined with " or ").
        library: String,
        /// What the dynamic loader said (for NVRTC: about the last name tried).
        source: libloading::Error,
    },
    /// The library opened but lacks an entry point.
    #[error("{library} has no entry point {symbol} ({source})")]
    MissingSymbol {
        /// The library that was opened.
        library: String,
        /// The symbol that was not found.
        symbol: &'static str,
        /// What the dynamic loader said.
        source: libloading::Error,
    },
    /// A driver call returned an error code.
    #[error("{function} failed: {name} ({code})")]
    Driver {
        /// The entry point that failed.
        function: &'static str,
        /// The `CUresult`.
        code: i32,
        /// Its name from `cuGetErrorName`, or a description when the driver has none.
        name: String,
    },
    /// An NVRTC call returned an error code.
    #[error("{function} failed with nvrtcResult {code}")]
    Nvrtc {
        /// The entry point that failed.
        function: &'static str,
        /// The `nvrtcResult`.
        code: i32,
    },
}
