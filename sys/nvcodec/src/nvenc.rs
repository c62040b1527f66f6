//! `libnvidia-encode.so.1` (NVENCODE), opened at run time: its two exported entry points, and the
//! function list `NvEncodeAPICreateInstance` fills in.

use libloading::Library;

use crate::error::LoadError;
use crate::version::{NVENCAPI_MAX_SUPPORTED_VERSION_NEEDED, NV_ENCODE_API_FUNCTION_LIST_VER};
use crate::*;

/// The versioned name of the NVENCODE library, as the NVIDIA driver installs it.
pub const NVENC_LIBRARY: &str = "libnvidia-encode.so.1";

const HINT: &str = "libnvidia-encode ships with the driver's video encode component, \
                    e.g. Debian libnvidia-encode1 or Ubuntu libnvidia-encode-<version>; \
                    datacenter GPUs such as the A100/H100 have no NVENC at all";

/// `NvEncodeAPIGetMaxSupportedVersion`: the driver's newest API as `(major << 4) | minor`.
pub type PNvEncodeAPIGetMaxSupportedVersion = Option<unsafe extern "C" fn(*mut u32) -> NVENCSTATUS>;
/// `NvEncodeAPICreateInstance`: fills an `NV_ENCODE_API_FUNCTION_LIST` whose `version` is set.
pub type PNvEncodeAPICreateInstance =
    Option<unsafe extern "C" fn(*mut NV_ENCODE_API_FUNCTION_LIST) -> NVENCSTATUS>;

macro_rules! nvenc_functions {
    ($($field:ident: $ty:ident,)*) => {
        /// The NVENC functions we call, taken from the function list of `NvEncodeAPICreateInstance`
        /// (names as in `NV_ENCODE_API_FUNCTION_LIST`). Valid while the [`NvEnc`] that holds them.
        #[derive(Clone, Copy)]
        #[allow(non_snake_case)]
        pub struct NvEncFunctions {
            $(
                #[doc = concat!("`", stringify!($field), "`.")]
                pub $field: <$ty as Entry>::Fn,
            )*
        }

        impl NvEncFunctions {
            fn from_list(list: &NV_ENCODE_API_FUNCTION_LIST) -> Result<Self, LoadError> {
                Ok(NvEncFunctions {
                    $($field: list.$field.ok_or(LoadError::MissingFunction {
                        library: NVENC_LIBRARY,
                        function: stringify!($field),
                    })?,)*
                })
            }
        }
    };
}

nvenc_functions! {
    nvEncOpenEncodeSessionEx: PNVENCOPENENCODESESSIONEX,
    nvEncGetEncodeGUIDCount: PNVENCGETENCODEGUIDCOUNT,
    nvEncGetEncodeGUIDs: PNVENCGETENCODEGUIDS,
    nvEncGetInputFormatCount: PNVENCGETINPUTFORMATCOUNT,
    nvEncGetInputFormats: PNVENCGETINPUTFORMATS,
    nvEncGetEncodeCaps: PNVENCGETENCODECAPS,
    nvEncGetEncodePresetConfigEx: PNVENCGETENCODEPRESETCONFIGEX,
    nvEncInitializeEncoder: PNVENCINITIALIZEENCODER,
    nvEncCreateBitstreamBuffer: PNVENCCREATEBITSTREAMBUFFER,
    nvEncDestroyBitstreamBuffer: PNVENCDESTROYBITSTREAMBUFFER,
    nvEncRegisterResource: PNVENCREGISTERRESOURCE,
    nvEncUnregisterResource: PNVENCUNREGISTERRESOURCE,
    nvEncMapInputResource: PNVENCMAPINPUTRESOURCE,
    nvEncUnmapInputResource: PNVENCUNMAPINPUTRESOURCE,
    nvEncEncodePicture: PNVENCENCODEPICTURE,
    nvEncLockBitstream: PNVENCLOCKBITSTREAM,
    nvEncUnlockBitstream: PNVENCUNLOCKBITSTREAM,
    nvEncGetSequenceParams: PNVENCGETSEQUENCEPARAMS,
    nvEncSetIOCudaStreams: PNVENCSETIOCUDASTREAMS,
    nvEncGetLastErrorString: PNVENCGETLASTERROR,
    nvEncDestroyEncoder: PNVENCDESTROYENCODER,
}

/// An opened `libnvidia-encode.so.1` whose driver speaks at least our NVENC API version, with its
/// function list. Owns the library, so the function pointers live as long as this value.
pub struct NvEnc {
    /// The functions we call.
    pub functions: NvEncFunctions,
    /// The driver's newest API version, `(major << 4) | minor`.
    pub max_supported_version: u32,
    _library: Library,
}

impl NvEnc {
    /// Opens `libnvidia-encode.so.1`, checks the driver's API version and fills the function list.
    pub fn load() -> Result<Self, LoadError> {
        // SAFETY: the driver's own library, whose initialisers have no preconditions.
        unsafe { Self::load_from(NVENC_LIBRARY) }
    }

    /// Opens the library under another name or path (tests; unusual installations).
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: `name` must be a library whose initialisers are
    /// sound to run in this process. If it exports the SDK's symbols, they must have the SDK's
    /// signatures.
    pub unsafe fn load_from(name: &'static str) -> Result<Self, LoadError> {
        // SAFETY: the caller vouches for the library.
        let library = unsafe { crate::open(name, HINT) }?;
        // SAFETY: both aliases match the declarations in nvEncodeAPI.h.
        let max_version = unsafe {
            crate::resolve::<PNvEncodeAPIGetMaxSupportedVersion>(
                &library,
                name,
                "NvEncodeAPIGetMaxSupportedVersion",
            )
        }?;
        // SAFETY: as above.
        let create = unsafe {
            crate::resolve::<PNvEncodeAPICreateInstance>(
                &library,
                name,
                "NvEncodeAPICreateInstance",
            )
        }?;

        let mut version = 0u32;
        // SAFETY: the entry point has the header's signature and writes one u32 through the
        // pointer, which points at a live local.
        let status = unsafe { max_version(&mut version) };
        if status != NV_ENC_SUCCESS {
            return Err(LoadError::NvencStatus {
                library: name,
                function: "NvEncodeAPIGetMaxSupportedVersion",
                status,
            });
        }
        if version < NVENCAPI_MAX_SUPPORTED_VERSION_NEEDED {
            return Err(LoadError::ApiTooOld {
                library: name,
                driver_major: version >> 4,
                driver_minor: version & 0xf,
                needed_major: NVENCAPI_MAJOR_VERSION,
                needed_minor: NVENCAPI_MINOR_VERSION,
            });
        }

        let mut list = NV_ENCODE_API_FUNCTION_LIST {
            version: NV_ENCODE_API_FUNCTION_LIST_VER,
            ..Default::default()
        };
        // SAFETY: `list` is a zeroed function list of the layout the header declares, with the
        // version field the header asks for; the driver fills in its pointers.
        let status = unsafe { create(&mut list) };
        if status != NV_ENC_SUCCESS {
            return Err(LoadError::NvencStatus {
                library: name,
                function: "NvEncodeAPICreateInstance",
                status,
            });
        }
        Ok(NvEnc {
            functions: NvEncFunctions::from_list(&list)?,
            max_supported_version: version,
            _library: library,
        })
    }
}

impl std::fmt::Debug for NvEnc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvEnc")
            .field("max_supported_version", &self.max_supported_version)
            .finish_non_exhaustive()
    }
}
