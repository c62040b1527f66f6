//! Compiling one CUDA C++ source to PTX with an opened [`Nvrtc`]: the `nvrtcProgram` is an RAII
//! value destroyed on every path, and a failed compile returns NVRTC's log.

use std::ffi::{c_char, c_int, c_void, CString};

use libloading::Library;

use crate::error::CudaError;
use crate::nvrtc::Nvrtc;

/// `nvrtcProgram`: an opaque pointer.
type Program = *mut c_void;

type CreateProgram = unsafe extern "C" fn(
    prog: *mut Program,
    src: *const c_char,
    name: *const c_char,
    num_headers: c_int,
    headers: *const *const c_char,
    include_names: *const *const c_char,
) -> c_int;
type CompileProgram =
    unsafe extern "C" fn(prog: Program, num_options: c_int, options: *const *const c_char) -> c_int;
type GetSize = unsafe extern "C" fn(prog: Program, size: *mut usize) -> c_int;
type GetText = unsafe extern "C" fn(prog: Program, text: *mut c_char) -> c_int;
type DestroyProgram = unsafe extern "C" fn(prog: *mut Program) -> c_int;

/// The NVRTC entry points a compile needs, with the signatures of `nvrtc.h` (`nvrtcResult` is a
/// C `int`).
#[derive(Clone, Copy)]
pub(crate) struct ProgramFunctions {
    create: CreateProgram,
    compile: CompileProgram,
    log_size: GetSize,
    log: GetText,
    ptx_size: GetSize,
    ptx: GetText,
    destroy: DestroyProgram,
}

impl ProgramFunctions {
    /// # Safety
    ///
    /// `library` must be NVRTC, and the pointers must not be called after it is dropped.
    pub(crate) unsafe fn resolve(library: &Library, name: &str) -> Result<Self, CudaError> {
        // SAFETY (each): the types above are the declarations of nvrtc.h; the caller keeps the
        // library alive as long as the pointers.
        unsafe {
            Ok(ProgramFunctions {
                create: crate::resolve(library, name, "nvrtcCreateProgram")?,
                compile: crate::resolve(library, name, "nvrtcCompileProgram")?,
                log_size: crate::resolve(library, name, "nvrtcGetProgramLogSize")?,
                log: crate::resolve(library, name, "nvrtcGetProgramLog")?,
                ptx_size: crate::resolve(library, name, "nvrtcGetPTXSize")?,
                ptx: crate::resolve(library, name, "nvrtcGetPTX")?,
                destroy: crate::resolve(library, name, "nvrtcDestroyProgram")?,
            })
        }
    }
}

/// Why a compile produced no PTX.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The source or an option holds a NUL byte.
    #[error("the NVRTC input holds a NUL byte")]
    Nul,
    /// An NVRTC call other than the compile failed.
    #[error(transparent)]
    Call(#[from] CudaError),
    /// The compile failed; NVRTC's log says why.
    #[error("NVRTC could not compile {name} (nvrtcResult {code}):\n{log}")]
    Failed {
        name: String,
        code: i32,
        log: String,
    },
}

/// A created program, destroyed when dropped.
struct ProgramHandle<'a> {
    nvrtc: &'a Nvrtc,
    raw: Program,
}

impl Drop for ProgramHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: a program from nvrtcCreateProgram, destroyed once.
        unsafe { (self.nvrtc.program.destroy)(&mut self.raw) };
    }
}

impl ProgramHandle<'_> {
    /// Reads a NUL-terminated text of `size` bytes through `get`.
    fn text(
        &self,
        size_of: GetSize,
        get: GetText,
        what: &'static str,
    ) -> Result<Vec<u8>, CudaError> {
        let mut size = 0usize;
        // SAFETY: a live program; writes one size_t to a local.
        check(what, unsafe { size_of(self.raw, &mut size) })?;
        let mut bytes = vec![0u8; size.max(1)];
        // SAFETY: the buffer holds the `size` bytes NVRTC reported, terminator included.
        check(what, unsafe { get(self.raw, bytes.as_mut_ptr().cast()) })?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        bytes.truncate(end);
        Ok(bytes)
    }
}

fn check(function: &'static str, code: c_int) -> Result<(), CudaError> {
    if code == 0 {
        Ok(())
    } else {
        Err(CudaError::Nvrtc { function, code })
    }
}

impl Nvrtc {
    /// Compiles `source` (named `name` in messages) with `options`; returns the PTX text.
    pub fn compile_ptx(
        &self,
        source: &str,
        name: &str,
        options: &[String],
    ) -> Result<String, CompileError> {
        let c_source = CString::new(source).map_err(|_| CompileError::Nul)?;
        let c_name = CString::new(name).map_err(|_| CompileError::Nul)?;
        let c_options = options
            .iter()
            .map(|o| CString::new(o.as_str()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| CompileError::Nul)?;
        let pointers: Vec<*const c_char> = c_options.iter().map(|o| o.as_ptr()).collect();
        let f = self.program;
        let mut raw: Program = std::ptr::null_mut();
        // SAFETY: NUL-terminated source and name that outlive the call; no headers.
        let code = unsafe {
            (f.create)(
                &mut raw,
                c_source.as_ptr(),
                c_name.as_ptr(),
                0,
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        check("nvrtcCreateProgram", code)?;
        let program = ProgramHandle { nvrtc: self, raw };
        let count = c_int::try_from(pointers.len()).map_err(|_| CompileError::Nul)?;
        // SAFETY: a live program and `count` NUL-terminated options that outlive the call.
        let code = unsafe { (f.compile)(program.raw, count, pointers.as_ptr()) };
        if code != 0 {
            let log = program.text(f.log_size, f.log, "nvrtcGetProgramLog")?;
            return Err(CompileError::Failed {
                name: name.to_string(),
                code,
                log: String::from_utf8_lossy(&log).trim().to_string(),
            });
        }
        let ptx = program.text(f.ptx_size, f.ptx, "nvrtcGetPTX")?;
        String::from_utf8(ptx).map_err(|_| CompileError::Failed {
            name: name.to_string(),
            code: 0,
            log: "NVRTC returned PTX that is not UTF-8".into(),
        })
    }
}
