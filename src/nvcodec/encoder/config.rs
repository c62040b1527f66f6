//! [`NvencParams`] and [`Vui`] written into the SDK's `NV_ENC_CONFIG` (on top of the preset's
//! own configuration) and `NV_ENC_INITIALIZE_PARAMS`. Pure struct filling, tested on the CPU.

use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::guid;
use smoothscale_nvcodec_sys::version::{
    NV_ENC_CONFIG_VER, NV_ENC_INITIALIZE_PARAMS_VER, NV_ENC_RC_PARAMS_VER,
};

use crate::nvcodec::{CodecGuid, InputFormat, MultiPass, NvencParams, Profile, RateControl, Vui};

/// `videoFormat` 5: unspecified (the VUI's analogue-video field).
const VIDEO_FORMAT_UNSPECIFIED: u32 = 5;

/// `encodeGUID`.
pub fn codec_guid(codec: CodecGuid) -> sys::GUID {
    match codec {
        CodecGuid::H264 => guid::NV_ENC_CODEC_H264_GUID,
        CodecGuid::Hevc => guid::NV_ENC_CODEC_HEVC_GUID,
    }
}

/// `NV_ENC_BUFFER_FORMAT` of the input buffers.
pub fn buffer_format(input: InputFormat) -> sys::NV_ENC_BUFFER_FORMAT {
    match input {
        InputFormat::Nv12 => sys::NV_ENC_BUFFER_FORMAT_NV12,
        InputFormat::P010 => sys::NV_ENC_BUFFER_FORMAT_YUV420_10BIT,
    }
}

fn profile_guid(profile: Profile) -> sys::GUID {
    match profile {
        Profile::H264High => guid::NV_ENC_H264_PROFILE_HIGH_GUID,
        Profile::HevcMain => guid::NV_ENC_HEVC_PROFILE_MAIN_GUID,
        Profile::HevcMain10 => guid::NV_ENC_HEVC_PROFILE_MAIN10_GUID,
    }
}

fn write_vui(target: &mut sys::NV_ENC_CONFIG_H264_VUI_PARAMETERS, vui: &Vui) {
    target.videoSignalTypePresentFlag = 1;
    target.videoFormat = VIDEO_FORMAT_UNSPECIFIED;
    target.videoFullRangeFlag = u32::from(vui.full_range);
    target.colourDescriptionPresentFlag = 1;
    target.colourPrimaries = vui.primaries;
    target.transferCharacteristics = vui.transfer;
    target.colourMatrix = vui.matrix;
    target.chromaSampleLocationFlag = 1;
    target.chromaSampleLocationTop = vui.chroma_location;
    target.chromaSampleLocationBot = vui.chroma_location;
}

/// Writes our choices over `config`, which holds the preset's configuration
/// (`nvEncGetEncodePresetConfigEx`).
pub fn apply_config(params: &NvencParams, vui: &Vui, config: &mut sys::NV_ENC_CONFIG) {
    config.version = NV_ENC_CONFIG_VER;
    config.profileGUID = profile_guid(params.profile);
    config.gopLength = params.gop_length;
    config.frameIntervalP = params.frame_interval_p as i32;

    let rc = &mut config.rcParams;
    rc.version = NV_ENC_RC_PARAMS_VER;
    match params.rate_control {
        RateControl::Vbr { target_quality } => {
            rc.rateControlMode = sys::NV_ENC_PARAMS_RC_VBR;
            rc.averageBitRate = 0;
            rc.maxBitRate = 0;
            rc.targetQuality = target_quality;
            rc.targetQualityLSB = 0;
        }
        RateControl::ConstQp {
            inter_p,
            inter_b,
            intra,
        } => {
            rc.rateControlMode = sys::NV_ENC_PARAMS_RC_CONSTQP;
            rc.constQP = sys::NV_ENC_QP {
                qpInterP: inter_p.into(),
                qpInterB: inter_b.into(),
                qpIntra: intra.into(),
            };
        }
    }
    rc.multiPass = match params.multi_pass {
        MultiPass::Disabled => sys::NV_ENC_MULTI_PASS_DISABLED,
        MultiPass::TwoPassFull => sys::NV_ENC_TWO_PASS_FULL_RESOLUTION,
    };
    rc.set_enableLookahead(u32::from(params.lookahead_depth.is_some()));
    rc.lookaheadDepth = params.lookahead_depth.unwrap_or(0);
    rc.set_enableAQ(u32::from(params.spatial_aq));
    rc.set_enableTemporalAQ(u32::from(params.temporal_aq));

    match params.codec {
        CodecGuid::H264 => {
            // SAFETY: the union member of the codec being configured.
            let h264 = unsafe { &mut config.encodeCodecConfig.h264Config };
            h264.idrPeriod = params.gop_length;
            write_vui(&mut h264.h264VUIParameters, vui);
        }
        CodecGuid::Hevc => {
            // SAFETY: the union member of the codec being configured.
            let hevc = unsafe { &mut config.encodeCodecConfig.hevcConfig };
            hevc.idrPeriod = params.gop_length;
            hevc.set_chromaFormatIDC(1);
            sys::version::set_hevc_bit_depth(hevc, u32::from(params.pixel_bit_depth_minus8) + 8);
            write_vui(&mut hevc.hevcVUIParameters, vui);
        }
    }
}

/// `NV_ENC_INITIALIZE_PARAMS` for synchronous encoding with picture-type decision by NVENC,
/// pointing at `config` (which must outlive the `nvEncInitializeEncoder` call).
pub fn initialize_params(
    params: &NvencParams,
    config: *mut sys::NV_ENC_CONFIG,
) -> sys::NV_ENC_INITIALIZE_PARAMS {
    sys::NV_ENC_INITIALIZE_PARAMS {
        version: NV_ENC_INITIALIZE_PARAMS_VER,
        encodeGUID: codec_guid(params.codec),
        presetGUID: guid::NV_ENC_PRESET_P7_GUID,
        encodeWidth: params.width,
        encodeHeight: params.height,
        darWidth: params.width,
        darHeight: params.height,
        frameRateNum: params.frame_rate.0,
        frameRateDen: params.frame_rate.1,
        enableEncodeAsync: 0,
        enablePTD: 1,
        encodeConfig: config,
        maxEncodeWidth: params.width,
        maxEncodeHeight: params.height,
        tuningInfo: sys::NV_ENC_TUNING_INFO_HIGH_QUALITY,
        bufferFormat: buffer_format(params.input),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
