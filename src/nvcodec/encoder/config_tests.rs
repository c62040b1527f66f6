use super::*;
use crate::nvcodec::{nvenc_params, NvencCaps, NvencRequest, Quality};
use crate::video::VideoCodec;

fn same(a: sys::GUID, b: sys::GUID) -> bool {
    (a.Data1, a.Data2, a.Data3, a.Data4) == (b.Data1, b.Data2, b.Data3, b.Data4)
}

fn params(codec: VideoCodec, ten_bit: bool, quality: Quality, lookahead: bool) -> NvencParams {
    let caps = NvencCaps {
        ten_bit: true,
        lookahead,
        temporal_aq: true,
        max_b_frames: 4,
        max_width: 4096,
        max_height: 4096,
    };
    let request = NvencRequest {
        codec,
        ten_bit,
        quality,
        width: 1280,
        height: 720,
        frame_rate: (25, 1),
        b_frames: 2,
    };
    nvenc_params(&request, &caps).unwrap()
}

const VUI: Vui = Vui {
    full_range: true,
    primaries: 9,
    transfer: 16,
    matrix: 9,
    chroma_location: 2,
};

#[test]
fn h264_cq_fills_vbr_target_quality_lookahead_and_vui() {
    let p = params(VideoCodec::H264, false, Quality::ConstantQuality(23), true);
    let mut config = sys::NV_ENC_CONFIG::default();
    apply_config(&p, &VUI, &mut config);
    assert_eq!(config.version, NV_ENC_CONFIG_VER);
    assert!(same(
        config.profileGUID,
        guid::NV_ENC_H264_PROFILE_HIGH_GUID
    ));
    assert_eq!((config.gopLength, config.frameIntervalP), (250, 3));
    let rc = &config.rcParams;
    assert_eq!(rc.version, NV_ENC_RC_PARAMS_VER);
    assert_eq!(rc.rateControlMode, sys::NV_ENC_PARAMS_RC_VBR);
    assert_eq!((rc.averageBitRate, rc.maxBitRate), (0, 0));
    assert_eq!(rc.targetQuality, 23);
    assert_eq!(rc.multiPass, sys::NV_ENC_TWO_PASS_FULL_RESOLUTION);
    assert_eq!((rc.enableLookahead(), rc.lookaheadDepth), (1, 16));
    assert_eq!((rc.enableAQ(), rc.enableTemporalAQ()), (1, 1));
    // SAFETY: the H.264 member was written.
    let h264 = unsafe { config.encodeCodecConfig.h264Config };
    assert_eq!(h264.idrPeriod, 250);
    let v = h264.h264VUIParameters;
    assert_eq!(
        (
            v.videoSignalTypePresentFlag,
            v.videoFullRangeFlag,
            v.colourDescriptionPresentFlag
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (v.colourPrimaries, v.transferCharacteristics, v.colourMatrix),
        (9, 16, 9)
    );
    assert_eq!(
        (
            v.chromaSampleLocationFlag,
            v.chromaSampleLocationTop,
            v.chromaSampleLocationBot
        ),
        (1, 2, 2)
    );
}

#[test]
fn hevc_main10_constant_qp_without_lookahead() {
    let p = params(VideoCodec::Hevc, true, Quality::ConstantQp(20), false);
    let mut config = sys::NV_ENC_CONFIG::default();
    // A preset that had lookahead on: our choice must switch it off.
    config.rcParams.set_enableLookahead(1);
    config.rcParams.lookaheadDepth = 8;
    apply_config(&p, &VUI, &mut config);
    assert!(same(
        config.profileGUID,
        guid::NV_ENC_HEVC_PROFILE_MAIN10_GUID
    ));
    let rc = &config.rcParams;
    assert_eq!(rc.rateControlMode, sys::NV_ENC_PARAMS_RC_CONSTQP);
    assert_eq!(
        (rc.constQP.qpInterP, rc.constQP.qpInterB, rc.constQP.qpIntra),
        (20, 20, 20)
    );
    assert_eq!(rc.multiPass, sys::NV_ENC_MULTI_PASS_DISABLED);
    assert_eq!((rc.enableLookahead(), rc.lookaheadDepth), (0, 0));
    assert_eq!(rc.enableTemporalAQ(), 0);
    // SAFETY: the HEVC member was written.
    let hevc = unsafe { config.encodeCodecConfig.hevcConfig };
    assert_eq!(
        (hevc.chromaFormatIDC(), sys::version::hevc_bit_depth(&hevc)),
        (1, 10)
    );
    assert_eq!(hevc.idrPeriod, 250);
    assert_eq!(hevc.hevcVUIParameters.colourMatrix, 9);
}

#[test]
fn initialize_params_are_p7_high_quality_synchronous() {
    let p = params(VideoCodec::Hevc, true, Quality::ConstantQuality(28), true);
    let mut config = sys::NV_ENC_CONFIG::default();
    let init = initialize_params(&p, &mut config);
    assert_eq!(init.version, NV_ENC_INITIALIZE_PARAMS_VER);
    assert!(same(init.encodeGUID, guid::NV_ENC_CODEC_HEVC_GUID));
    assert!(same(init.presetGUID, guid::NV_ENC_PRESET_P7_GUID));
    assert_eq!(init.tuningInfo, sys::NV_ENC_TUNING_INFO_HIGH_QUALITY);
    assert_eq!((init.encodeWidth, init.encodeHeight), (1280, 720));
    assert_eq!((init.maxEncodeWidth, init.maxEncodeHeight), (1280, 720));
    assert_eq!((init.frameRateNum, init.frameRateDen), (25, 1));
    assert_eq!((init.enableEncodeAsync, init.enablePTD), (0, 1));
    assert_eq!(init.bufferFormat, sys::NV_ENC_BUFFER_FORMAT_YUV420_10BIT);
    assert_eq!(init.encodeConfig, &mut config as *mut _);
    assert_eq!(
        buffer_format(InputFormat::Nv12),
        sys::NV_ENC_BUFFER_FORMAT_NV12
    );
}
