//! Tests of the option → NVENC parameter mapping.

use super::*;

fn caps() -> NvencCaps {
    NvencCaps {
        ten_bit: true,
        lookahead: true,
        temporal_aq: true,
        max_b_frames: 4,
        max_width: 8192,
        max_height: 8192,
    }
}

fn request(codec: VideoCodec, ten_bit: bool, quality: Quality) -> NvencRequest {
    NvencRequest {
        codec,
        ten_bit,
        quality,
        width: 1920,
        height: 1080,
        frame_rate: (30000, 1001),
        b_frames: 3,
    }
}

#[test]
fn h264_cq_is_p7_high_quality_vbr_with_lookahead() {
    let p = nvenc_params(
        &request(VideoCodec::H264, false, Quality::ConstantQuality(19)),
        &caps(),
    )
    .unwrap();
    assert_eq!(p.codec, CodecGuid::H264);
    assert!(p.preset_p7 && p.tuning_high_quality);
    assert_eq!(p.profile, Profile::H264High);
    assert_eq!(p.input, InputFormat::Nv12);
    assert_eq!(p.pixel_bit_depth_minus8, 0);
    assert_eq!(p.rate_control, RateControl::Vbr { target_quality: 19 });
    assert_eq!(p.multi_pass, MultiPass::TwoPassFull);
    assert_eq!(p.lookahead_depth, Some(16));
    assert!(p.spatial_aq && p.temporal_aq);
    assert_eq!(p.frame_interval_p, 4);
    assert_eq!(p.gop_length, 300);
    assert_eq!(
        (p.width, p.height, p.frame_rate),
        (1920, 1080, (30000, 1001))
    );
}

#[test]
fn ten_bit_is_hevc_main10_from_p010() {
    let p = nvenc_params(
        &request(VideoCodec::Hevc, true, Quality::ConstantQuality(22)),
        &caps(),
    )
    .unwrap();
    assert_eq!(p.codec, CodecGuid::Hevc);
    assert_eq!(p.profile, Profile::HevcMain10);
    assert_eq!(p.input, InputFormat::P010);
    assert_eq!(p.pixel_bit_depth_minus8, 2);
    let p8 = nvenc_params(
        &request(VideoCodec::Hevc, false, Quality::ConstantQuality(22)),
        &caps(),
    )
    .unwrap();
    assert_eq!(p8.profile, Profile::HevcMain);
    assert_eq!(p8.input, InputFormat::Nv12);
}

#[test]
fn ten_bit_h264_or_without_support_is_refused() {
    let q = Quality::ConstantQuality(20);
    assert_eq!(
        nvenc_params(&request(VideoCodec::H264, true, q), &caps()),
        Err(NvencParamError::TenBitH264)
    );
    let no_10 = NvencCaps {
        ten_bit: false,
        ..caps()
    };
    assert_eq!(
        nvenc_params(&request(VideoCodec::Hevc, true, q), &no_10),
        Err(NvencParamError::TenBitUnsupported(VideoCodec::Hevc))
    );
}

#[test]
fn constant_qp_sets_every_frame_type_and_no_lookahead() {
    let p = nvenc_params(
        &request(VideoCodec::Hevc, false, Quality::ConstantQp(24)),
        &caps(),
    )
    .unwrap();
    assert_eq!(
        p.rate_control,
        RateControl::ConstQp {
            inter_p: 24,
            inter_b: 24,
            intra: 24
        }
    );
    assert_eq!(p.multi_pass, MultiPass::Disabled);
    assert_eq!(p.lookahead_depth, None);
    assert!(!p.temporal_aq);
}

#[test]
fn out_of_range_quality_is_refused() {
    for (quality, err) in [
        (Quality::ConstantQuality(0), NvencParamError::BadCq(0)),
        (Quality::ConstantQuality(52), NvencParamError::BadCq(52)),
        (Quality::ConstantQp(52), NvencParamError::BadQp(52)),
    ] {
        assert_eq!(
            nvenc_params(&request(VideoCodec::H264, false, quality), &caps()),
            Err(err)
        );
    }
}

#[test]
fn gpu_limits_bound_b_frames_lookahead_and_size() {
    let small = NvencCaps {
        lookahead: false,
        temporal_aq: true,
        max_b_frames: 0,
        max_width: 4096,
        max_height: 4096,
        ..caps()
    };
    let q = Quality::ConstantQuality(20);
    let p = nvenc_params(&request(VideoCodec::Hevc, false, q), &small).unwrap();
    assert_eq!(p.frame_interval_p, 1);
    assert_eq!(p.lookahead_depth, None);
    assert!(!p.temporal_aq, "temporal AQ needs lookahead");

    let mut odd = request(VideoCodec::H264, false, q);
    odd.width = 1919;
    assert!(matches!(
        nvenc_params(&odd, &caps()),
        Err(NvencParamError::BadSize { width: 1919, .. })
    ));
    let mut huge = request(VideoCodec::H264, false, q);
    huge.width = 8192;
    assert!(matches!(
        nvenc_params(&huge, &small),
        Err(NvencParamError::BadSize { .. })
    ));
    let mut no_rate = request(VideoCodec::H264, false, q);
    no_rate.frame_rate = (30, 0);
    assert_eq!(
        nvenc_params(&no_rate, &caps()),
        Err(NvencParamError::BadFrameRate(30, 0))
    );
}

#[test]
fn many_b_frames_shorten_the_lookahead() {
    let wide = NvencCaps {
        max_b_frames: 31,
        ..caps()
    };
    let mut r = request(VideoCodec::Hevc, false, Quality::ConstantQuality(20));
    r.b_frames = 20;
    let p = nvenc_params(&r, &wide).unwrap();
    assert_eq!(p.frame_interval_p, 21);
    assert_eq!(p.lookahead_depth, Some(11));
}

#[test]
fn keyframe_interval_follows_the_frame_rate() {
    let q = Quality::ConstantQuality(20);
    let at = |num, den| {
        let mut r = request(VideoCodec::H264, false, q);
        r.frame_rate = (num, den);
        nvenc_params(&r, &caps()).unwrap().gop_length
    };
    assert_eq!(at(24, 1), 250);
    assert_eq!(at(60, 1), 600);
    assert_eq!(at(240, 1), 600);
}
