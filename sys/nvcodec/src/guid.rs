//! The NVENC codec, profile and preset GUIDs we use. The header defines them as `static const GUID`
//! variables, which bindgen does not carry over; the layout tests compare each with the header's.

use crate::GUID;

const fn guid(data1: u32, data2: u16, data3: u16, data4: [u8; 8]) -> GUID {
    GUID {
        Data1: data1,
        Data2: data2,
        Data3: data3,
        Data4: data4,
    }
}

/// `NV_ENC_CODEC_H264_GUID`.
pub const NV_ENC_CODEC_H264_GUID: GUID = guid(
    0x6bc8_2762,
    0x4e63,
    0x4ca4,
    [0xaa, 0x85, 0x1e, 0x50, 0xf3, 0x21, 0xf6, 0xbf],
);
/// `NV_ENC_CODEC_HEVC_GUID`.
pub const NV_ENC_CODEC_HEVC_GUID: GUID = guid(
    0x790c_dc88,
    0x4522,
    0x4d7b,
    [0x94, 0x25, 0xbd, 0xa9, 0x97, 0x5f, 0x76, 0x03],
);
/// `NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID`.
pub const NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID: GUID = guid(
    0xbfd6_f8e7,
    0x233c,
    0x4341,
    [0x8b, 0x3e, 0x48, 0x18, 0x52, 0x38, 0x03, 0xf4],
);
/// `NV_ENC_H264_PROFILE_HIGH_GUID`.
pub const NV_ENC_H264_PROFILE_HIGH_GUID: GUID = guid(
    0xe7cb_c309,
    0x4f7a,
    0x4b89,
    [0xaf, 0x2a, 0xd5, 0x37, 0xc9, 0x2b, 0xe3, 0x10],
);
/// `NV_ENC_HEVC_PROFILE_MAIN_GUID`.
pub const NV_ENC_HEVC_PROFILE_MAIN_GUID: GUID = guid(
    0xb514_c39a,
    0xb55b,
    0x40fa,
    [0x87, 0x8f, 0xf1, 0x25, 0x3b, 0x4d, 0xfd, 0xec],
);
/// `NV_ENC_HEVC_PROFILE_MAIN10_GUID`.
pub const NV_ENC_HEVC_PROFILE_MAIN10_GUID: GUID = guid(
    0xfa4d_2b6c,
    0x3a5b,
    0x411a,
    [0x80, 0x18, 0x0a, 0x3f, 0x5e, 0x3c, 0x9b, 0xe5],
);
/// `NV_ENC_PRESET_P7_GUID`: the slowest, highest-quality preset.
pub const NV_ENC_PRESET_P7_GUID: GUID = guid(
    0x8484_8c12,
    0x6f71,
    0x4c13,
    [0x93, 0x1b, 0x53, 0xe2, 0x83, 0xf5, 0x79, 0x74],
);
