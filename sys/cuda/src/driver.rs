//! `libcuda.so.1`: the driver's version and its devices.

use std::ffi::{c_char, c_int, c_uint, CStr, OsStr};
use std::fmt;

use libloading::Library;

use crate::error::CudaError;

/// The versioned name of the CUDA driver library, as the NVIDIA driver installs it.
pub const DRIVER_LIBRARY: &str = "libcuda.so.1";

/// `CUresult`: 0 is `CUDA_SUCCESS`.
type CuResult = c_int;
/// `CUdevice`: an ordinal handle.
type CuDevice = c_int;

/// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR`.
const ATTRIBUTE_CC_MAJOR: c_int = 75;
/// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR`.
const ATTRIBUTE_CC_MINOR: c_int = 76;

type CuInit = unsafe extern "C" fn(flags: c_uint) -> CuResult;
type CuDriverGetVersion = unsafe extern "C" fn(version: *mut c_int) -> CuResult;
type CuDeviceGetCount = unsafe extern "C" fn(count: *mut c_int) -> CuResult;
type CuDeviceGet = unsafe extern "C" fn(device: *mut CuDevice, ordinal: c_int) -> CuResult;
type CuDeviceGetName =
    unsafe extern "C" fn(name: *mut c_char, len: c_int, device: CuDevice) -> CuResult;
type CuDeviceGetAttribute =
    unsafe extern "C" fn(value: *mut c_int, attribute: c_int, device: CuDevice) -> CuResult;
type CuDeviceTotalMem = unsafe extern "C" fn(bytes: *mut usize, device: CuDevice) -> CuResult;
type CuGetErrorName = unsafe extern "C" fn(error: CuResult, name: *mut *const c_char) -> CuResult;

/// The CUDA version the driver supports, from `cuDriverGetVersion` (`1000 * major + 10 * minor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DriverVersion {
    /// Major version, e.g. 13.
    pub major: u32,
    /// Minor version, e.g. 0.
    pub minor: u32,
}

impl DriverVersion {
    /// Decodes `cuDriverGetVersion`'s number; `None` for a negative one.
    pub fn from_raw(raw: i32) -> Option<Self> {
        let raw = u32::try_from(raw).ok()?;
        Some(DriverVersion {
            major: raw / 1000,
            minor: (raw % 1000) / 10,
        })
    }
}

impl fmt::Display for DriverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// One GPU as the driver describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device ordinal.
    pub ordinal: i32,
    /// The product name, e.g. `NVIDIA H200` or `NVIDIA Thor`.
    pub name: String,
    /// Compute capability, major part (Thor: 11).
    pub compute_major: i32,
    /// Compute capability, minor part.
    pub compute_minor: i32,
    /// Total device memory in bytes (on a Jetson: the memory shared with the CPU).
    pub total_memory: u64,
}

/// The opened driver library and the entry points we call. The function pointers stay valid for
/// as long as this value lives (it owns the library).
pub struct Driver {
    init: CuInit,
    driver_get_version: CuDriverGetVersion,
    device_get_count: CuDeviceGetCount,
    device_get: CuDeviceGet,
    device_get_name: CuDeviceGetName,
    device_get_attribute: CuDeviceGetAttribute,
    device_total_mem: CuDeviceTotalMem,
    /// Optional: only used to name error codes.
    get_error_name: Option<CuGetErrorName>,
    name: String,
    _library: Library,
}

impl Driver {
    /// Opens `libcuda.so.1` and resolves the entry points (it does not call `cuInit`).
    pub fn load() -> Result<Self, CudaError> {
        // SAFETY: the NVIDIA driver's own library, whose initialisers have no preconditions.
        unsafe { Self::load_from(DRIVER_LIBRARY) }
    }

    /// Opens the driver under another name or path (tests; unusual installations).
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: `name` must be a library whose initialisers are
    /// sound to run in this process, and if it exports the driver API's symbols they must have the
    /// signatures of `cuda.h`.
    pub unsafe fn load_from(name: impl AsRef<OsStr>) -> Result<Self, CudaError> {
        let name = name.as_ref();
        // SAFETY: the caller vouches for the library.
        let library = unsafe { crate::open(name) }?;
        let name = name.to_string_lossy().into_owned();
        // SAFETY: cuda.h declares cuInit as `CuInit`; kept with `library` below.
        let init: CuInit = unsafe { crate::resolve(&library, &name, "cuInit") }?;
        // SAFETY: cuda.h declares cuDriverGetVersion as `CuDriverGetVersion`; kept with `library` below.
        let driver_get_version: CuDriverGetVersion =
            unsafe { crate::resolve(&library, &name, "cuDriverGetVersion") }?;
        // SAFETY: cuda.h declares cuDeviceGetCount as `CuDeviceGetCount`; kept with `library` below.
        let device_get_count: CuDeviceGetCount =
            unsafe { crate::resolve(&library, &name, "cuDeviceGetCount") }?;
        // SAFETY: cuda.h declares cuDeviceGet as `CuDeviceGet`; kept with `library` below.
        let device_get: CuDeviceGet = unsafe { crate::resolve(&library, &name, "cuDeviceGet") }?;
        // SAFETY: cuda.h declares cuDeviceGetName as `CuDeviceGetName`; kept with `library` below.
        let device_get_name: CuDeviceGetName =
            unsafe { crate::resolve(&library, &name, "cuDeviceGetName") }?;
        // SAFETY: cuda.h declares cuDeviceGetAttribute as `CuDeviceGetAttribute`; kept with `library` below.
        let device_get_attribute: CuDeviceGetAttribute =
            unsafe { crate::resolve(&library, &name, "cuDeviceGetAttribute") }?;
        // SAFETY: cuda.h declares cuDeviceTotalMem_v2 as `CuDeviceTotalMem`; kept with `library` below.
        // (`cuDeviceTotalMem` is a macro for the `_v2` entry point, which counts in `size_t`.)
        let device_total_mem: CuDeviceTotalMem =
            unsafe { crate::resolve(&library, &name, "cuDeviceTotalMem_v2") }?;
        // SAFETY: as above, for cuGetErrorName (optional: only used to name error codes).
        let get_error_name: Option<CuGetErrorName> =
            unsafe { crate::resolve(&library, &name, "cuGetErrorName") }.ok();
        Ok(Driver {
            init,
            driver_get_version,
            device_get_count,
            device_get,
            device_get_name,
            device_get_attribute,
            device_total_mem,
            get_error_name,
            name,
            _library: library,
        })
    }

    /// The name or path the library was opened under.
    pub fn library_name(&self) -> &str {
        &self.name
    }

    /// The CUDA version the driver supports (`cuDriverGetVersion`; needs no `cuInit`).
    pub fn version(&self) -> Result<DriverVersion, CudaError> {
        let mut raw: c_int = 0;
        // SAFETY: the entry point writes one int through the pointer, which points at a local.
        let code = unsafe { (self.driver_get_version)(&mut raw) };
        self.check("cuDriverGetVersion", code)?;
        DriverVersion::from_raw(raw).ok_or(CudaError::Driver {
            function: "cuDriverGetVersion",
            code: 0,
            name: format!("returned the version number {raw}"),
        })
    }

    /// Initialises the driver (`cuInit(0)`, which may be called any number of times).
    pub fn init(&self) -> Result<(), CudaError> {
        // SAFETY: cuInit takes a flags word that must be 0, and touches no memory of ours.
        let code = unsafe { (self.init)(0) };
        self.check("cuInit", code)
    }

    /// Initialises the driver and describes every device it sees.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, CudaError> {
        self.init()?;
        let mut count: c_int = 0;
        // SAFETY: writes one int through a pointer to a local; the driver is initialised.
        let code = unsafe { (self.device_get_count)(&mut count) };
        self.check("cuDeviceGetCount", code)?;
        (0..count).map(|ordinal| self.device(ordinal)).collect()
    }

    fn device(&self, ordinal: c_int) -> Result<DeviceInfo, CudaError> {
        let mut device: CuDevice = 0;
        // SAFETY: writes one CUdevice through a pointer to a local; `ordinal` is below the count.
        let code = unsafe { (self.device_get)(&mut device, ordinal) };
        self.check("cuDeviceGet", code)?;

        // Bytes, not `c_char`: `c_char` is `i8` on x86-64 and `u8` on aarch64.
        let mut buffer = [0u8; 256];
        let len = c_int::try_from(buffer.len()).unwrap_or(c_int::MAX);
        // SAFETY: the driver writes at most `len` bytes, NUL included, into the buffer, which is
        // that long and lives across the call; `c_char` and `u8` have the same size and alignment.
        let code = unsafe { (self.device_get_name)(buffer.as_mut_ptr().cast(), len, device) };
        self.check("cuDeviceGetName", code)?;
        let name = CStr::from_bytes_until_nul(&buffer)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&buffer).into_owned());

        let attribute = |attribute: c_int| -> Result<c_int, CudaError> {
            let mut value: c_int = 0;
            // SAFETY: writes one int through a pointer to a local; `attribute` is a valid
            // CUdevice_attribute and `device` came from cuDeviceGet.
            let code = unsafe { (self.device_get_attribute)(&mut value, attribute, device) };
            self.check("cuDeviceGetAttribute", code).map(|()| value)
        };
        let compute_major = attribute(ATTRIBUTE_CC_MAJOR)?;
        let compute_minor = attribute(ATTRIBUTE_CC_MINOR)?;

        let mut bytes_total: usize = 0;
        // SAFETY: writes one size_t through a pointer to a local.
        let code = unsafe { (self.device_total_mem)(&mut bytes_total, device) };
        self.check("cuDeviceTotalMem_v2", code)?;

        Ok(DeviceInfo {
            ordinal,
            name,
            compute_major,
            compute_minor,
            total_memory: bytes_total as u64,
        })
    }

    /// Turns a `CUresult` into a result, naming the code when the driver can.
    fn check(&self, function: &'static str, code: CuResult) -> Result<(), CudaError> {
        if code == 0 {
            return Ok(());
        }
        Err(CudaError::Driver {
            function,
            code,
            name: self.error_name(code),
        })
    }

    fn error_name(&self, code: CuResult) -> String {
        let unnamed = || format!("CUresult {code}");
        let Some(get_name) = self.get_error_name else {
            return unnamed();
        };
        let mut text: *const c_char = std::ptr::null();
        // SAFETY: writes one pointer through a pointer to a local.
        let status = unsafe { get_name(code, &mut text) };
        if status != 0 || text.is_null() {
            return unnamed();
        }
        // SAFETY: on success the driver points `text` at a static NUL-terminated string.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("library", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_versions_decode() {
        let v = DriverVersion::from_raw(13000).unwrap();
        assert_eq!((v.major, v.minor), (13, 0));
        assert_eq!(DriverVersion::from_raw(12080).unwrap().to_string(), "12.8");
        assert_eq!(DriverVersion::from_raw(-1), None);
    }
}
