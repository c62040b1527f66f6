//! Opening a CUDA device: its primary context (cudarc's `CudaContext`, released when the last
//! handle drops), what it is (name, compute capability, memory) and its streams.

use std::fmt;
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaStream};

use super::error::{require_driver, DeviceError};

/// A compute capability, e.g. 9.0 (H100/H200) or 11.0 (Thor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComputeCapability {
    pub major: u32,
    pub minor: u32,
}

impl ComputeCapability {
    /// The virtual architecture NVRTC compiles for: `compute_90` for 9.0.
    pub fn virtual_arch(&self) -> String {
        format!("compute_{}{}", self.major, self.minor)
    }
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What a device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    pub ordinal: usize,
    pub name: String,
    pub compute: ComputeCapability,
    pub memory_bytes: u64,
}

impl fmt::Display for GpuInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GPU {} ({}, compute {}, {} MiB)",
            self.ordinal,
            self.name,
            self.compute,
            self.memory_bytes >> 20
        )
    }
}

/// An opened device: its primary context and what it is.
#[derive(Debug, Clone)]
pub struct Gpu {
    context: Arc<CudaContext>,
    info: GpuInfo,
}

impl Gpu {
    /// Opens device `ordinal`. Fails with [`DeviceError::LibraryMissing`] when the driver library
    /// is absent (checked first: cudarc would panic), or with the driver's error.
    pub fn open(ordinal: usize) -> Result<Self, DeviceError> {
        require_driver()?;
        let context = CudaContext::new(ordinal).map_err(DeviceError::driver(format!(
            "opening CUDA device {ordinal}"
        )))?;
        Self::from_context(context)
    }

    /// Wraps a context opened elsewhere (the GPU tests' `common::gpu::cuda_device()`).
    pub fn from_context(context: Arc<CudaContext>) -> Result<Self, DeviceError> {
        let ordinal = context.ordinal();
        let doing =
            |what: &str| DeviceError::driver(format!("reading the {what} of GPU {ordinal}"));
        let name = context.name().map_err(doing("name"))?;
        let (major, minor) = context
            .compute_capability()
            .map_err(doing("compute capability"))?;
        let memory = context.total_mem().map_err(doing("memory size"))?;
        let compute = ComputeCapability {
            major: u32::try_from(major).unwrap_or(0),
            minor: u32::try_from(minor).unwrap_or(0),
        };
        Ok(Gpu {
            context,
            info: GpuInfo {
                ordinal,
                name,
                compute,
                memory_bytes: memory as u64,
            },
        })
    }

    pub fn info(&self) -> &GpuInfo {
        &self.info
    }

    pub fn context(&self) -> &Arc<CudaContext> {
        &self.context
    }

    /// Bytes of device memory free now (`cuMemGetInfo`); `None` when the driver cannot say.
    pub fn free_memory(&self) -> Option<u64> {
        match self.context.mem_get_info() {
            Ok((free, _total)) => Some(free as u64),
            Err(e) => {
                log::debug!("cuMemGetInfo on {}: {e}", self.info.name);
                None
            }
        }
    }

    /// A new stream of this device (destroyed when the last handle drops).
    pub fn new_stream(&self) -> Result<Arc<CudaStream>, DeviceError> {
        self.context
            .new_stream()
            .map_err(DeviceError::driver(format!(
                "creating a stream on {}",
                self.info
            )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_arch_from_compute_capability() {
        let cc = |major, minor| ComputeCapability { major, minor };
        assert_eq!(cc(9, 0).virtual_arch(), "compute_90");
        assert_eq!(cc(8, 7).virtual_arch(), "compute_87");
        assert_eq!(cc(11, 0).virtual_arch(), "compute_110");
        assert_eq!(cc(12, 1).to_string(), "12.1");
    }

    #[test]
    fn open_without_a_driver_is_a_typed_error() {
        // SAFETY: only tries to open the library.
        if unsafe { cudarc::driver::sys::is_culib_present() } {
            return; // A machine with a driver: nothing to check here.
        }
        let e = Gpu::open(0).unwrap_err();
        assert!(matches!(e, DeviceError::LibraryMissing { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "libcuda.so.1 is not installed (the NVIDIA driver)"
        );
    }
}
