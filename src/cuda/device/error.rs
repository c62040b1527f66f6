//! The errors of the device layer: a missing library (named, with what provides it), a driver or
//! NVRTC call that failed (with what was being done), a kernel cache that cannot be used, and a
//! frame that does not fit a kernel (found before launching).

use std::path::PathBuf;

use cudarc::driver::DriverError;

/// Everything the device layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A library the call needs could not be opened.
    #[error("{library} is not installed ({provided_by})")]
    LibraryMissing {
        /// The library looked for, e.g. `libcuda.so.1`.
        library: &'static str,
        /// What provides it, e.g. `the NVIDIA driver`.
        provided_by: &'static str,
    },
    /// A CUDA driver call failed.
    #[error("{doing}: {source}")]
    Driver {
        /// What was being done, e.g. `opening CUDA device 0`.
        doing: String,
        source: DriverError,
    },
    /// NVRTC could not compile the embedded kernel source.
    #[error("NVRTC could not compile the kernels for {arch}: {log}")]
    Compile {
        /// The `compute_XY` architecture compiled for.
        arch: String,
        /// NVRTC's message or log.
        log: String,
    },
    /// The embedded kernels cannot run on this GPU.
    #[error("the kernels could not be loaded on {gpu}: {reason}")]
    NoKernels { gpu: String, reason: String },
    /// The kernel cache folder or an entry of it could not be written.
    #[error("kernel cache {}: {source}", path.display())]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A frame layout that cannot exist (zero or oversized dimensions, a pitch below the row).
    #[error("frame layout: {0}")]
    Layout(String),
    /// Frames or tiles that do not fit the kernel they were given to.
    #[error("{kernel}: {reason}")]
    Geometry {
        /// The kernel that was not launched.
        kernel: &'static str,
        reason: String,
    },
    /// Host data of the wrong size for a copy.
    #[error("copy to the device: {0}")]
    HostData(String),
}

impl DeviceError {
    /// A [`DeviceError::Driver`] error for `doing`.
    pub(crate) fn driver(doing: impl Into<String>) -> impl FnOnce(DriverError) -> DeviceError {
        let doing = doing.into();
        move |source| DeviceError::Driver { doing, source }
    }
}

/// The driver library cudarc opens, as `doctor` names it.
pub const DRIVER_LIBRARY: &str = "libcuda.so.1";

/// NVRTC, as named in errors (`libnvrtc.so.13`, `.so.12` and `.so` are tried).
pub const NVRTC_LIBRARY: &str = "libnvrtc.so";

/// `Ok` when libcuda can be opened; checked before any cudarc driver call, which would panic.
pub fn require_driver() -> Result<(), DeviceError> {
    // SAFETY: only tries to open the library; no function is called through it.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(DeviceError::LibraryMissing {
            library: DRIVER_LIBRARY,
            provided_by: "the NVIDIA driver",
        })
    }
}
