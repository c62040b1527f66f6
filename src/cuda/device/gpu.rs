//! Opening a CUDA device: its primary context (cudarc's `CudaContext`, released when the last
//! handle drops), what it is (name, compute capability, memory) and its streams.

use std::fmt;
use std::sync::Arc;

use cudarc::driver::result::mem_pool;
use cudarc::driver::sys::{CUmemPool_attribute, CUmemoryPool};
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

    /// Makes the device's default memory pool keep the memory that frames give back, instead of
    /// returning it to the driver at every synchronisation (its default release threshold is 0).
    /// Frames are allocated and freed at the frame rate, stream-ordered (`cuMemAllocAsync`, which
    /// cudarc uses where the device has memory pools), so with the pool keeping its memory a new
    /// frame reuses a freed one's instead of mapping fresh memory: the pool is the frame pool.
    /// Returns `false`, doing nothing, on a device without memory pools.
    pub fn keep_freed_memory(&self) -> Result<bool, DeviceError> {
        Ok(self.release_threshold(Some(u64::MAX))?.is_some())
    }

    /// The release threshold of the device's default memory pool, in bytes (`None` on a device
    /// without memory pools).
    pub fn pool_release_threshold(&self) -> Result<Option<u64>, DeviceError> {
        self.release_threshold(None)
    }

    /// Reads the default pool's release threshold, or sets it to `set`; `None` on a device
    /// without memory pools.
    fn release_threshold(&self, set: Option<u64>) -> Result<Option<u64>, DeviceError> {
        if !self.context.has_async_alloc() {
            return Ok(None);
        }
        let pool = self.default_pool()?;
        let attribute = CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD;
        let mut value = set.unwrap_or(0);
        let value_ptr = (&mut value as *mut u64).cast();
        // SAFETY: `pool` is the device's default pool, valid while the context lives, and the
        // release threshold attribute is a u64, which `value` is.
        let result = unsafe {
            match set {
                Some(_) => mem_pool::set_attribute(pool, attribute, value_ptr),
                None => mem_pool::get_attribute(pool, attribute, value_ptr),
            }
        };
        let doing = match set {
            Some(_) => "setting the memory pool's release threshold",
            None => "reading the memory pool's release threshold",
        };
        result.map_err(self.doing(doing))?;
        Ok(Some(value))
    }

    /// The device's default memory pool (owned by the driver, never destroyed by us).
    fn default_pool(&self) -> Result<CUmemoryPool, DeviceError> {
        self.context
            .bind_to_thread()
            .map_err(self.doing("binding the context"))?;
        let ordinal = i32::try_from(self.info.ordinal).unwrap_or(i32::MAX);
        let device = cudarc::driver::result::device::get(ordinal)
            .map_err(self.doing("finding the device"))?;
        // SAFETY: `device` was returned by `cuDeviceGet` for this context's ordinal.
        unsafe { cudarc::driver::result::device::get_default_mem_pool(device) }
            .map_err(self.doing("finding the default memory pool"))
    }

    fn doing(&self, what: &str) -> impl FnOnce(cudarc::driver::DriverError) -> DeviceError {
        DeviceError::driver(format!("{what} of {}", self.info))
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
