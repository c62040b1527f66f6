//! `libnvrtc.so.<major>`: the run-time CUDA compiler, its version, and compiling a program to
//! PTX ([`Nvrtc::compile_ptx`], in `program.rs`). cudarc 0.19 opens only `libnvrtc.so` and
//! `libnvrtc.so.12`; this loader also finds CUDA 13's `libnvrtc.so.13` (JetPack 7), where no
//! development link is installed.

use std::ffi::{c_int, OsStr};
use std::fmt;

use libloading::Library;

use crate::error::CudaError;

/// The names NVRTC is looked up under, newest first: CUDA 13's and 12's runtime libraries, then
/// the unversioned development link.
pub const NVRTC_LIBRARIES: [&str; 3] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"];

type NvrtcVersion = unsafe extern "C" fn(major: *mut c_int, minor: *mut c_int) -> c_int;

/// An opened NVRTC. The function pointers stay valid while this value lives.
pub struct Nvrtc {
    version: NvrtcVersion,
    pub(crate) program: crate::program::ProgramFunctions,
    name: String,
    _library: Library,
}

impl Nvrtc {
    /// Opens the first of [`NVRTC_LIBRARIES`] the dynamic loader finds.
    pub fn load() -> Result<Self, CudaError> {
        let mut last = None;
        for name in NVRTC_LIBRARIES {
            // SAFETY: NVIDIA's NVRTC, whose initialisers have no preconditions.
            match unsafe { Self::load_from(name) } {
                Ok(nvrtc) => return Ok(nvrtc),
                Err(CudaError::LibraryNotFound { source, .. }) => last = Some(source),
                Err(other) => return Err(other),
            }
        }
        Err(CudaError::LibraryNotFound {
            library: NVRTC_LIBRARIES.join(" or "),
            source: last.unwrap_or(libloading::Error::DlOpenUnknown),
        })
    }

    /// Opens NVRTC under another name or path.
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: `name` must be a library whose initialisers are
    /// sound to run in this process, and if it exports `nvrtcVersion` it must have the signature
    /// of `nvrtc.h`.
    pub unsafe fn load_from(name: impl AsRef<OsStr>) -> Result<Self, CudaError> {
        let name = name.as_ref();
        // SAFETY: the caller vouches for the library.
        let library = unsafe { crate::open(name) }?;
        let name = name.to_string_lossy().into_owned();
        // SAFETY: `nvrtcResult nvrtcVersion(int *major, int *minor)` in nvrtc.h (an enum is a C
        // int); the pointer is kept together with `library`.
        let version = unsafe { crate::resolve(&library, &name, "nvrtcVersion") }?;
        // SAFETY: the library is NVRTC (it exports nvrtcVersion); the pointers are kept together
        // with `library`.
        let program = unsafe { crate::program::ProgramFunctions::resolve(&library, &name) }?;
        Ok(Nvrtc {
            version,
            program,
            name,
            _library: library,
        })
    }

    /// The name or path the library was opened under.
    pub fn library_name(&self) -> &str {
        &self.name
    }

    /// NVRTC's CUDA version, `(major, minor)`.
    pub fn version(&self) -> Result<(i32, i32), CudaError> {
        let (mut major, mut minor): (c_int, c_int) = (0, 0);
        // SAFETY: writes one int through each pointer; both point at locals.
        let code = unsafe { (self.version)(&mut major, &mut minor) };
        if code != 0 {
            return Err(CudaError::Nvrtc {
                function: "nvrtcVersion",
                code,
            });
        }
        Ok((major, minor))
    }
}

impl fmt::Debug for Nvrtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nvrtc")
            .field("library", &self.name)
            .finish_non_exhaustive()
    }
}
