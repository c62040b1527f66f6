//! What a sink writes: the codec and encoder settings, the video format, the container, and the
//! codec-context description both video paths share.

use std::path::Path;

use ffmpeg_next as ff;

use crate::timeline::Rational;
use crate::video::convert::YuvLayout;
use crate::video::{ColourTags, VideoError};

/// The video codec to encode with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Hevc,
}

impl VideoCodec {
    /// The FFmpeg software encoder of this codec.
    pub fn encoder_name(self) -> &'static str {
        match self {
            VideoCodec::H264 => "libx264",
            VideoCodec::Hevc => "libx265",
        }
    }
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeSettings {
    pub codec: VideoCodec,
    /// Constant rate factor (lower is better; 18 is visually lossless for most content).
    pub crf: u8,
    /// x264/x265 preset name.
    pub preset: String,
}

/// What the encoder is given: frame size, rate and colour.
#[derive(Debug, Clone, Copy)]
pub struct VideoFormat {
    pub width: u32,
    pub height: u32,
    pub layout: YuvLayout,
    pub tags: ColourTags,
    /// Output frames per second.
    pub rate: Rational,
    /// Pixel aspect ratio (zero when unknown).
    pub sample_aspect: Rational,
}

/// Output container formats, from the destination's extension.
pub fn container_for(path: &Path) -> Result<&'static str, VideoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mp4") | Some("m4v") => Ok("mp4"),
        Some("mov") => Ok("mov"),
        Some("mkv") => Ok("matroska"),
        _ => Err(VideoError::BadOutput(
            path.to_path_buf(),
            "has an extension other than .mp4, .m4v, .mov or .mkv",
        )),
    }
}

/// Describes a video stream of `format` in `pixel` with timestamps in `time_base` on a codec
/// context: size, rate, colour space, range, primaries, transfer, chroma location and sample
/// aspect. The software encoder is opened from it; a pre-encoded stream's parameters are taken
/// from it.
pub(super) fn configure(
    context: &mut ff::encoder::video::Video,
    format: VideoFormat,
    pixel: ff::format::Pixel,
    time_base: ff::Rational,
) {
    context.set_width(format.width);
    context.set_height(format.height);
    context.set_format(pixel);
    context.set_time_base(time_base);
    context.set_frame_rate(Some(to_ff(format.rate)));
    context.set_colorspace(format.tags.space_tag());
    context.set_color_range(format.tags.range_tag());
    context.set_color_primaries(format.tags.primaries);
    context.set_color_transfer_characteristic(format.tags.transfer);
    smoothscale_av_ext::set_chroma_location(context, format.tags.location_tag());
    if format.sample_aspect.is_positive() {
        context.set_aspect_ratio(to_ff(format.sample_aspect));
    }
}

/// A rational as FFmpeg's 32-bit fraction.
pub(super) fn to_ff(r: Rational) -> ff::Rational {
    let clamp = |v: i128| i32::try_from(v).unwrap_or(i32::MAX);
    if i32::try_from(r.num()).is_ok() && i32::try_from(r.den()).is_ok() {
        ff::Rational::new(clamp(r.num()), clamp(r.den()))
    } else {
        // Too large for FFmpeg's 32-bit fractions: the nearest one it can hold.
        ff::Rational::from(r.to_f64())
    }
}
