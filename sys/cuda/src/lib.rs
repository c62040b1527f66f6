//! The CUDA driver (`libcuda.so.1`) and NVRTC (`libnvrtc.so.<major>`), opened at run time.
//!
//! Only the handful of entry points needed to describe a machine are declared here, by hand, with
//! the signatures of `cuda.h` and `nvrtc.h` (`CUresult`, `CUdevice`, `CUdevice_attribute` and
//! `nvrtcResult` are all C `int`s): the driver's version, its devices (name, compute capability,
//! memory) and NVRTC's version. Nothing links against CUDA: a machine without the driver builds and
//! runs, and [`Driver::load`] / [`Nvrtc::load`] return a [`CudaError`] naming the library.

mod driver;
mod error;
mod nvrtc;
mod program;

pub use driver::{DeviceInfo, Driver, DriverVersion, DRIVER_LIBRARY};
pub use error::CudaError;
pub use nvrtc::{Nvrtc, NVRTC_LIBRARIES};
pub use program::CompileError;

use std::ffi::OsStr;

/// Opens a shared library; a failure names it.
///
/// # Safety
///
/// Opening a library runs its initialisers: `name` must be a library whose initialisers are sound
/// to run in this process (the CUDA driver's and NVRTC's are).
unsafe fn open(name: &OsStr) -> Result<libloading::Library, CudaError> {
    // SAFETY: the caller vouches for the library's initialisers.
    unsafe { libloading::Library::new(name) }.map_err(|source| CudaError::LibraryNotFound {
        library: name.to_string_lossy().into_owned(),
        source,
    })
}

/// Resolves `symbol` as a function pointer of type `F`; a missing symbol is an error naming it.
///
/// # Safety
///
/// `F` must be an `extern "C" fn` pointer type with the signature the library declares for
/// `symbol`, and the pointer must not be called after `library` is dropped.
unsafe fn resolve<F: Copy>(
    library: &libloading::Library,
    name: &str,
    symbol: &'static str,
) -> Result<F, CudaError> {
    // SAFETY: the caller guarantees `F` is the symbol's declared type.
    unsafe { library.get::<F>(symbol.as_bytes()) }
        .map(|s| *s)
        .map_err(|source| CudaError::MissingSymbol {
            library: name.to_string(),
            symbol,
            source,
        })
}
