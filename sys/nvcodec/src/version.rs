//! The NVENC API version macros of `nvEncodeAPI.h`, which bindgen cannot translate (they are
//! function-like macros), written out in Rust. The layout tests compare every one with the value
//! a C compiler computes from the header.

use crate::{NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION};

/// `NVENCAPI_VERSION`: the API version these bindings speak (major in the low byte, minor in the
/// top byte), passed in `NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS::apiVersion`.
pub const NVENCAPI_VERSION: u32 = NVENCAPI_MAJOR_VERSION | (NVENCAPI_MINOR_VERSION << 24);

/// `NVENCAPI_STRUCT_VERSION(ver)`: the `version` field of an NVENC parameter struct.
pub const fn nvencapi_struct_version(ver: u32) -> u32 {
    NVENCAPI_VERSION | (ver << 16) | (0x7 << 28)
}

/// The version `NvEncodeAPIGetMaxSupportedVersion` must report, at least, for these bindings:
/// it encodes the driver's API as `(major << 4) | minor`.
pub const NVENCAPI_MAX_SUPPORTED_VERSION_NEEDED: u32 =
    (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;

/// `NV_ENCODE_API_FUNCTION_LIST_VER`.
pub const NV_ENCODE_API_FUNCTION_LIST_VER: u32 = nvencapi_struct_version(2);
/// `NV_ENC_CAPS_PARAM_VER`.
pub const NV_ENC_CAPS_PARAM_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_CREATE_BITSTREAM_BUFFER_VER`.
pub const NV_ENC_CREATE_BITSTREAM_BUFFER_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_RC_PARAMS_VER`.
pub const NV_ENC_RC_PARAMS_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_CONFIG_VER`.
pub const NV_ENC_CONFIG_VER: u32 = nvencapi_struct_version(7) | (1 << 31);
/// `NV_ENC_INITIALIZE_PARAMS_VER`.
pub const NV_ENC_INITIALIZE_PARAMS_VER: u32 = nvencapi_struct_version(5) | (1 << 31);
/// `NV_ENC_RECONFIGURE_PARAMS_VER`.
pub const NV_ENC_RECONFIGURE_PARAMS_VER: u32 = nvencapi_struct_version(1) | (1 << 31);
/// `NV_ENC_PRESET_CONFIG_VER`.
pub const NV_ENC_PRESET_CONFIG_VER: u32 = nvencapi_struct_version(4) | (1 << 31);
/// `NV_ENC_PIC_PARAMS_VER`.
pub const NV_ENC_PIC_PARAMS_VER: u32 = nvencapi_struct_version(4) | (1 << 31);
/// `NV_ENC_LOCK_BITSTREAM_VER`.
pub const NV_ENC_LOCK_BITSTREAM_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_MAP_INPUT_RESOURCE_VER`.
pub const NV_ENC_MAP_INPUT_RESOURCE_VER: u32 = nvencapi_struct_version(4);
/// `NV_ENC_REGISTER_RESOURCE_VER`.
pub const NV_ENC_REGISTER_RESOURCE_VER: u32 = nvencapi_struct_version(3);
/// `NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER`.
pub const NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER: u32 = nvencapi_struct_version(1);
/// `NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER`.
pub const NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER: u32 = nvencapi_struct_version(1);
