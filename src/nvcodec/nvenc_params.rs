//! What NVENC is asked to do, from our options and the GPU's capabilities: codec and profile,
//! preset P7 with high-quality tuning, constant-quality VBR or constant QP, lookahead, B-frames,
//! adaptive quantisation. A pure function; the encoder copies the result into `NV_ENC_CONFIG` and
//! `NV_ENC_INITIALIZE_PARAMS` (the names in the comments are those fields).

use crate::video::VideoCodec;

/// Rate control the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// Constant quality (`--cq`, 1–51, lower is better): VBR with `targetQuality`, no bit rate cap.
    ConstantQuality(u8),
    /// Constant QP (0–51) for every frame type.
    ConstantQp(u8),
}

/// The constant quality used when the user gives none (`--cq`), the NVENC counterpart of x264's
/// CRF 23.
pub const DEFAULT_CQ: u8 = 23;

/// One encode's request: the stream, and how it should be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvencRequest {
    pub codec: VideoCodec,
    /// The frames are 10-bit (P010 input, HEVC Main10 output).
    pub ten_bit: bool,
    pub quality: Quality,
    pub width: u32,
    pub height: u32,
    /// Frames per second as numerator / denominator.
    pub frame_rate: (u32, u32),
    /// B-frames between reference frames wanted (fewer when the GPU supports fewer).
    pub b_frames: u8,
}

/// What `nvEncGetEncodeCaps` said about the codec on this GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvencCaps {
    /// `NV_ENC_CAPS_SUPPORT_10BIT_ENCODE`.
    pub ten_bit: bool,
    /// `NV_ENC_CAPS_SUPPORT_LOOKAHEAD`.
    pub lookahead: bool,
    /// `NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ`.
    pub temporal_aq: bool,
    /// `NV_ENC_CAPS_NUM_MAX_BFRAMES`.
    pub max_b_frames: u8,
    /// `NV_ENC_CAPS_WIDTH_MAX`, `NV_ENC_CAPS_HEIGHT_MAX`.
    pub max_width: u32,
    pub max_height: u32,
}

/// `encodeGUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecGuid {
    H264,
    Hevc,
}

/// `encodeConfig.profileGUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    H264High,
    HevcMain,
    HevcMain10,
}

/// `NV_ENC_BUFFER_FORMAT` of our input buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// `NV_ENC_BUFFER_FORMAT_NV12`.
    Nv12,
    /// `NV_ENC_BUFFER_FORMAT_YUV420_10BIT` (P010: 16-bit samples, data in the high bits).
    P010,
}

/// `rcParams.rateControlMode` and its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateControl {
    /// `NV_ENC_PARAMS_RC_VBR` with `averageBitRate = 0`, `maxBitRate = 0`, `targetQuality`.
    Vbr { target_quality: u8 },
    /// `NV_ENC_PARAMS_RC_CONSTQP` with `constQP`.
    ConstQp { inter_p: u8, inter_b: u8, intra: u8 },
}

/// `rcParams.multiPass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiPass {
    Disabled,
    /// `NV_ENC_TWO_PASS_FULL_RESOLUTION`.
    TwoPassFull,
}

/// Everything the encoder sets, in our own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvencParams {
    pub codec: CodecGuid,
    /// Always `NV_ENC_PRESET_P7_GUID`, the slowest and best preset.
    pub preset_p7: bool,
    /// Always `NV_ENC_TUNING_INFO_HIGH_QUALITY`.
    pub tuning_high_quality: bool,
    pub profile: Profile,
    pub input: InputFormat,
    /// The HEVC bit depth minus 8 (0 or 2), written into whichever fields the headers have.
    pub pixel_bit_depth_minus8: u8,
    pub rate_control: RateControl,
    pub multi_pass: MultiPass,
    /// `rcParams.enableLookahead` / `lookaheadDepth`; `None` when the GPU has no lookahead.
    pub lookahead_depth: Option<u16>,
    /// `rcParams.enableAQ`.
    pub spatial_aq: bool,
    /// `rcParams.enableTemporalAQ` (needs lookahead).
    pub temporal_aq: bool,
    /// `frameIntervalP`: B-frames + 1.
    pub frame_interval_p: u32,
    /// `gopLength` and the codec's `idrPeriod`.
    pub gop_length: u32,
    pub width: u32,
    pub height: u32,
    /// `frameRateNum`, `frameRateDen`.
    pub frame_rate: (u32, u32),
}

/// A request NVENC cannot carry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NvencParamError {
    #[error("NVENC encodes 10-bit video as HEVC Main10 only: use --codec hevc")]
    TenBitH264,
    #[error("this GPU's NVENC cannot encode 10-bit {0:?}")]
    TenBitUnsupported(VideoCodec),
    #[error("constant quality {0} is outside 1–51")]
    BadCq(u8),
    #[error("QP {0} is outside 0–51")]
    BadQp(u8),
    #[error("{width}x{height} is not an even size within NVENC's {max_width}x{max_height}")]
    BadSize {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    #[error("frame rate {0}/{1} is not positive")]
    BadFrameRate(u32, u32),
}

/// The deepest lookahead we ask for; NVENC allows up to 31 minus the B-frames.
const LOOKAHEAD_DEPTH: u16 = 16;

/// Maps a request and the GPU's capabilities to the encoder's parameters.
pub fn nvenc_params(req: &NvencRequest, caps: &NvencCaps) -> Result<NvencParams, NvencParamError> {
    let (codec, profile) = match (req.codec, req.ten_bit) {
        (VideoCodec::H264, false) => (CodecGuid::H264, Profile::H264High),
        (VideoCodec::H264, true) => return Err(NvencParamError::TenBitH264),
        (VideoCodec::Hevc, false) => (CodecGuid::Hevc, Profile::HevcMain),
        (VideoCodec::Hevc, true) => (CodecGuid::Hevc, Profile::HevcMain10),
    };
    if req.ten_bit && !caps.ten_bit {
        return Err(NvencParamError::TenBitUnsupported(req.codec));
    }
    let even = req.width.is_multiple_of(2) && req.height.is_multiple_of(2);
    let fits = req.width > 0
        && req.height > 0
        && req.width <= caps.max_width
        && req.height <= caps.max_height;
    if !even || !fits {
        return Err(NvencParamError::BadSize {
            width: req.width,
            height: req.height,
            max_width: caps.max_width,
            max_height: caps.max_height,
        });
    }
    let (num, den) = req.frame_rate;
    if num == 0 || den == 0 {
        return Err(NvencParamError::BadFrameRate(num, den));
    }
    let (rate_control, multi_pass) = match req.quality {
        Quality::ConstantQuality(cq) if (1..=51).contains(&cq) => (
            RateControl::Vbr { target_quality: cq },
            MultiPass::TwoPassFull,
        ),
        Quality::ConstantQuality(cq) => return Err(NvencParamError::BadCq(cq)),
        Quality::ConstantQp(qp) if qp <= 51 => (
            RateControl::ConstQp {
                inter_p: qp,
                inter_b: qp,
                intra: qp,
            },
            MultiPass::Disabled,
        ),
        Quality::ConstantQp(qp) => return Err(NvencParamError::BadQp(qp)),
    };
    let b_frames = req.b_frames.min(caps.max_b_frames);
    let lookahead_depth = caps
        .lookahead
        .then(|| LOOKAHEAD_DEPTH.min(31 - u16::from(b_frames.min(31))));
    // Lookahead only helps rate control; with a fixed QP there is nothing for it to decide.
    let lookahead_depth = lookahead_depth.filter(|_| multi_pass != MultiPass::Disabled);
    // A keyframe about every 10 seconds (250 to 600 frames) keeps seeking cheap.
    let gop_length = (num.div_ceil(den).saturating_mul(10)).clamp(250, 600);
    Ok(NvencParams {
        codec,
        preset_p7: true,
        tuning_high_quality: true,
        profile,
        input: if req.ten_bit {
            InputFormat::P010
        } else {
            InputFormat::Nv12
        },
        pixel_bit_depth_minus8: if req.ten_bit { 2 } else { 0 },
        rate_control,
        multi_pass,
        lookahead_depth,
        spatial_aq: true,
        temporal_aq: caps.temporal_aq && lookahead_depth.is_some(),
        frame_interval_p: u32::from(b_frames) + 1,
        gop_length,
        width: req.width,
        height: req.height,
        frame_rate: req.frame_rate,
    })
}

#[cfg(test)]
#[path = "nvenc_params_tests.rs"]
mod tests;
