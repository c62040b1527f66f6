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
}
