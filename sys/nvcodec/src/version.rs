//! The NVENC API and struct versions of the headers the crate was compiled against. The
//! `*_VER` macros of `nvEncodeAPI.h` are function-like macros bindgen cannot translate, so
//! `build.rs` has clang evaluate each one (as an enumerator of a generated enum): nothing here is
//! typed by hand, and the same source builds against SDK 11.1, 12.x and later headers. The layout
//! tests compare every value with what a C compiler prints for the macro.

use crate::{NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION};

include!(concat!(env!("OUT_DIR"), "/versions.rs"));

/// `NVENCAPI_STRUCT_VERSION(ver)`'s documented shape: our API version in the low byte and the
/// top byte, `ver` at bit 16, `0x7` at bit 28 (bit 31 is set by some structs' macros).
pub const fn nvencapi_struct_version(ver: u32) -> u32 {
    NVENCAPI_VERSION | (ver << 16) | (0x7 << 28)
}

/// The version `NvEncodeAPIGetMaxSupportedVersion` must report, at least, for these bindings:
/// it encodes the driver's API as `(major << 4) | minor`.
pub const NVENCAPI_MAX_SUPPORTED_VERSION_NEEDED: u32 =
    (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;

/// The NVENC API version (`major`, `minor`) of the headers the crate was built against.
pub const HEADER_API_VERSION: (u32, u32) = (NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION);

/// `NV_ENC_BIT_DEPTH`-style bit depth written into the HEVC configuration, in whichever fields
/// the headers compiled against have: `pixelBitDepthMinus8` up to SDK 12.1, `inputBitDepth` and
/// `outputBitDepth` from 12.2. `bits` is 8 or 10.
pub fn set_hevc_bit_depth(hevc: &mut crate::NV_ENC_CONFIG_HEVC, bits: u32) {
    #[cfg(nvenc_bit_depth_fields)]
    {
        let depth = if bits > 8 {
            crate::NV_ENC_BIT_DEPTH_10
        } else {
            crate::NV_ENC_BIT_DEPTH_8
        };
        hevc.inputBitDepth = depth;
        hevc.outputBitDepth = depth;
    }
    #[cfg(not(nvenc_bit_depth_fields))]
    hevc.set_pixelBitDepthMinus8(bits.saturating_sub(8));
}

/// The HEVC bit depth [`set_hevc_bit_depth`] wrote (8 or 10), read back from the same fields.
pub fn hevc_bit_depth(hevc: &crate::NV_ENC_CONFIG_HEVC) -> u32 {
    #[cfg(nvenc_bit_depth_fields)]
    {
        hevc.outputBitDepth as u32
    }
    #[cfg(not(nvenc_bit_depth_fields))]
    {
        hevc.pixelBitDepthMinus8() + 8
    }
}
