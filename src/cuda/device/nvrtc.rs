//! Compiling the embedded kernel source with NVRTC for one GPU: [`crate::cuda::NVRTC_OPTIONS`]
//! plus `--gpu-architecture=compute_XY` of the device, to PTX the driver loads (and JIT-compiles).
//! NVRTC is opened by `smoothscale-cuda-sys`, which finds CUDA 13's `libnvrtc.so.13` as well as
//! `libnvrtc.so.12` and `libnvrtc.so` (cudarc 0.19's own loader knows only the last two, so a
//! JetPack 7 machine without the development link could not compile the kernels).

use std::sync::OnceLock;

use smoothscale_cuda_sys::{CompileError, Nvrtc};

use super::error::{DeviceError, NVRTC_LIBRARY};
use super::gpu::ComputeCapability;
use crate::cuda::NVRTC_OPTIONS;

/// The process's NVRTC, opened on first use; `None` when no NVRTC library is installed.
fn nvrtc() -> Result<&'static Nvrtc, DeviceError> {
    static NVRTC: OnceLock<Option<Nvrtc>> = OnceLock::new();
    NVRTC
        .get_or_init(|| Nvrtc::load().ok())
        .as_ref()
        .ok_or(DeviceError::LibraryMissing {
            library: NVRTC_LIBRARY,
            provided_by: "the CUDA run-time compiler, libnvrtc.so.13 or libnvrtc.so.12",
        })
}

/// The NVRTC options for a device of compute capability `cc`.
pub fn nvrtc_options(cc: ComputeCapability) -> Vec<String> {
    NVRTC_OPTIONS
        .iter()
        .map(|o| o.to_string())
        .chain([format!("--gpu-architecture={}", cc.virtual_arch())])
        .collect()
}

/// PTX of `source` for `cc`. Fails with [`DeviceError::LibraryMissing`] without NVRTC, or with
/// NVRTC's log.
pub fn compile(source: &str, cc: ComputeCapability) -> Result<String, DeviceError> {
    compile_with(nvrtc()?, source, cc)
}

/// As [`compile`], with an opened NVRTC.
pub fn compile_with(
    nvrtc: &Nvrtc,
    source: &str,
    cc: ComputeCapability,
) -> Result<String, DeviceError> {
    let arch = cc.virtual_arch();
    nvrtc
        .compile_ptx(source, "smoothscale_kernels.cu", &nvrtc_options(cc))
        .map_err(|e| DeviceError::Compile {
            arch,
            log: match e {
                CompileError::Failed { log, .. } => log,
                other => other.to_string(),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_add_the_device_architecture() {
        let opts = nvrtc_options(ComputeCapability { major: 8, minor: 7 });
        assert_eq!(
            opts,
            [
                "--fmad=false",
                "-std=c++17",
                "--gpu-architecture=compute_87"
            ]
        );
    }

    /// With the NVRTC of `.tools` (or a system one) on the loader path, the embedded source
    /// compiles to PTX for Thor's architecture; without one, the error names the library.
    #[test]
    fn compiles_the_embedded_source_or_names_nvrtc() {
        let cc = ComputeCapability {
            major: 11,
            minor: 0,
        };
        match compile(crate::cuda::KERNEL_SOURCE, cc) {
            Ok(ptx) => {
                assert!(
                    ptx.contains(".target sm_110"),
                    "{}",
                    &ptx[..ptx.len().min(400)]
                );
                for name in crate::cuda::KERNEL_NAMES {
                    assert!(ptx.contains(&format!(".entry {name}(")), "{name}");
                }
            }
            Err(e) => {
                assert!(matches!(e, DeviceError::LibraryMissing { .. }), "{e}");
                assert!(
                    e.to_string().starts_with("libnvrtc.so is not installed"),
                    "{e}"
                );
            }
        }
    }

    /// The kernels compile through CUDA 13's `libnvrtc.so.13` alone, as on a JetPack 7 machine
    /// without the development link: `.tools` (scripts/install-nvcc) has exactly that file.
    #[test]
    fn the_embedded_source_compiles_through_libnvrtc_so_13() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".tools/cuda/site/nvidia/cu13/lib");
        let lib = dir.join("libnvrtc.so.13");
        if !lib.is_file() || dir.join("libnvrtc.so").exists() {
            eprintln!("skipped: no {} without a libnvrtc.so link", lib.display());
            return;
        }
        // libnvrtc opens its builtins by name, and this folder is not on the loader path.
        let builtins = std::ffi::CString::new(
            dir.join("libnvrtc-builtins.so.13.0")
                .to_string_lossy()
                .as_bytes(),
        )
        .unwrap();
        // SAFETY: NVIDIA's NVRTC builtins (no initialiser preconditions); kept loaded.
        let handle = unsafe { libc::dlopen(builtins.as_ptr(), libc::RTLD_NOW) };
        assert!(!handle.is_null(), "the builtins open");
        // SAFETY: NVIDIA's NVRTC from PyPI.
        let nvrtc = unsafe { Nvrtc::load_from(&lib) }.expect("libnvrtc.so.13 opens");
        let cc = ComputeCapability {
            major: 11,
            minor: 0,
        };
        let ptx = compile_with(&nvrtc, crate::cuda::KERNEL_SOURCE, cc).expect("compiles");
        assert!(ptx.contains(".target sm_110"));
        for name in crate::cuda::KERNEL_NAMES {
            assert!(ptx.contains(&format!(".entry {name}(")), "{name}");
        }
    }
}
