//! Stream facts read from the container before decoding: which streams are copied, the nominal
//! frame rate, the declared and expected durations.

use ff::media::Type;
use ffmpeg_next as ff;

use super::{rational_time, Window};
use crate::timeline::Rational;

/// The streams copied through: every audio stream.
pub(super) fn copied_list(input: &ff::format::context::Input) -> Vec<usize> {
    input
        .streams()
        .filter(|s| s.parameters().medium() == Type::Audio)
        .map(|s| s.index())
        .collect()
}

/// The stream's nominal rate: its base rate when plausible, else its average rate, else 25.
pub(super) fn nominal_rate(stream: &ff::format::stream::Stream) -> Rational {
    let plausible = |r: Rational| r.is_positive() && r <= Rational::from_int(240);
    let base = Rational::from(stream.rate());
    let average = Rational::from(stream.avg_frame_rate());
    if plausible(base) {
        base
    } else if plausible(average) {
        average
    } else {
        log::warn!("the video stream declares no usable frame rate; assuming 25 fps");
        Rational::from_int(25)
    }
}

fn stream_duration(input: &ff::format::context::Input, video: usize) -> Option<Rational> {
    let stream = input.stream(video)?;
    match stream.duration() {
        d if d > 0 => Some(rational_time(d, Rational::from(stream.time_base()))),
        _ => None,
    }
}

/// The video stream's duration: its own, or the file's when the video is the only stream (the
/// file's duration also covers audio that may run longer).
pub(super) fn declared_duration(
    input: &ff::format::context::Input,
    video: usize,
) -> Option<Rational> {
    stream_duration(input, video).or_else(|| match input.duration() {
        d if d > 0 && input.streams().count() == 1 => Some(rational_time(
            d,
            Rational::new(1, ff::ffi::AV_TIME_BASE.into())?,
        )),
        _ => None,
    })
}

pub(super) fn expected_duration(
    input: &ff::format::context::Input,
    stream: &Option<Rational>,
    window: Window,
) -> Option<Rational> {
    let whole = stream.or_else(|| match input.duration() {
        d if d > 0 => Some(rational_time(
            d,
            Rational::new(1, ff::ffi::AV_TIME_BASE.into())?,
        )),
        _ => None,
    });
    let rest = whole.map(|w| w - window.start.unwrap_or(Rational::ZERO));
    match (rest, window.duration) {
        (Some(r), Some(d)) => Some(r.min(d)),
        (r, d) => r.or(d),
    }
}

/// The frame size `path`'s best video stream declares, refused over `max_pixels` (before any
/// decoder opens). The CUDA backend sizes its engines from it before decoding.
pub fn declared_frame_size(
    path: &std::path::Path,
    max_pixels: u64,
) -> Result<(u32, u32), crate::video::VideoError> {
    use crate::video::VideoError;
    let input = ff::format::input(path).map_err(|e| VideoError::input(path, "open", e))?;
    let stream = input
        .streams()
        .best(Type::Video)
        .ok_or_else(|| VideoError::NoVideo(path.to_path_buf()))?;
    let (width, height) = smoothscale_av_ext::declared_size(&stream.parameters());
    if width == 0 || height == 0 {
        return Err(VideoError::BadStream(
            path.to_path_buf(),
            "the video stream declares no frame size",
        ));
    }
    super::check_size(path, width, height, max_pixels)?;
    Ok((width, height))
}
