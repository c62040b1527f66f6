//! Compiling the embedded kernel source with NVRTC for one GPU: [`crate::cuda::NVRTC_OPTIONS`]
//! plus `--gpu-architecture=compute_XY` of the device, to PTX the driver loads (and JIT-compiles).

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions};

use super::error::{require_nvrtc, DeviceError};
use super::gpu::ComputeCapability;
use crate::cuda::NVRTC_OPTIONS;

/// The NVRTC options for a device of compute capability `cc`.
pub fn nvrtc_options(cc: ComputeCapability) -> Vec<String> {
    NVRTC_OPTIONS
        .iter()
        .map(|o| o.to_string())
        .chain([format!("--gpu-architecture={}", cc.virtual_arch())])
        .collect()
}

/// PTX of `source` for `cc`. Fails with [`DeviceError::LibraryMissing`] without NVRTC (checked
/// first: cudarc would panic), or with NVRTC's log.
pub fn compile(source: &str, cc: ComputeCapability) -> Result<String, DeviceError> {
    require_nvrtc()?;
    let arch = cc.virtual_arch();
    let options = CompileOptions {
        options: nvrtc_options(cc),
        name: Some("smoothscale_kernels.cu".into()),
        ..CompileOptions::default()
    };
    let ptx = compile_ptx_with_opts(source, options).map_err(|e| DeviceError::Compile {
        arch: arch.clone(),
        log: match e {
            CompileError::CompileError { log, .. } => log.to_string_lossy().trim().to_string(),
            other => format!("{other:?}"),
        },
    })?;
    let bytes = ptx.as_bytes().ok_or_else(|| DeviceError::Compile {
        arch: arch.clone(),
        log: "NVRTC returned no PTX image".into(),
    })?;
    let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    String::from_utf8(text.to_vec()).map_err(|_| DeviceError::Compile {
        arch,
        log: "NVRTC returned PTX that is not UTF-8".into(),
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
