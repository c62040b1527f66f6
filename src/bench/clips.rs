//! The workload's clips, drawn and encoded in-process: the `moving-waves-v1` pattern, and the
//! software encoder writing it as the clip's codec and bit depth.

use std::path::Path;

use super::workload::ClipSpec;
use crate::frame::RgbFrame;
use crate::timeline::Rational;
use crate::video::{
    ColourTags, EncodeSettings, Sink, VideoCodec, VideoError, VideoFormat, YuvLayout,
};

/// Frame `index` of the `moving-waves-v1` pattern: waves moving across each channel and a bright
/// square sliding right, so that every frame differs and motion is smooth. The red wave depends
/// on the column only and the green on the row only, so each is computed once per frame.
pub fn pattern_frame(width: usize, height: usize, index: u32) -> RgbFrame {
    let t = index as f32;
    let tau = std::f32::consts::TAU;
    let side = (width / 6).max(1);
    let (sx, sy) = ((index as usize * 5) % width.max(1), height / 3);
    let red: Vec<f32> = (0..width)
        .map(|x| 0.5 + 0.4 * ((x as f32 + 3.0 * t) * tau / 64.0).sin())
        .collect();
    let green: Vec<f32> = (0..height)
        .map(|y| 0.5 + 0.4 * ((y as f32 - 2.0 * t) * tau / 48.0).sin())
        .collect();
    let mut frame = RgbFrame::new(width, height);
    let [r, g, b] = frame.planes_mut();
    for (y, &green) in green.iter().enumerate() {
        for (x, &red) in red.iter().enumerate() {
            let k = y * width + x;
            let in_square = (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y);
            if in_square {
                (r[k], g[k], b[k]) = (0.95, 0.95, 0.9);
                continue;
            }
            r[k] = red;
            g[k] = green;
            b[k] = 0.1 + 0.8 * ((x as f32 + y as f32 + 4.0 * t) % 128.0) / 128.0;
        }
    }
    frame
}

/// The encoder input format of a clip (untagged 4:2:0, 8-bit unless the clip says more, so
/// read back with the untagged defaults of its size).
pub fn clip_format(clip: &ClipSpec) -> VideoFormat {
    let (w, h) = (clip.width as usize, clip.height as usize);
    let bits = clip.bits.unwrap_or(8);
    VideoFormat {
        width: clip.width,
        height: clip.height,
        layout: YuvLayout {
            shift: (1, 1),
            bits,
        },
        tags: ColourTags::untagged(w, h, bits),
        rate: Rational::from_int(clip.fps.into()),
        sample_aspect: Rational::ZERO,
    }
}

/// Encodes `frames` to `path` (MP4) with `settings`; returns the frames written.
pub fn encode_frames(
    path: &Path,
    clip: &ClipSpec,
    frames: &[RgbFrame],
    settings: &EncodeSettings,
) -> Result<u64, VideoError> {
    let mut sink = Sink::create_video_only(path, "mp4", clip_format(clip), settings)?;
    for frame in frames {
        sink.write_frame(frame)?;
    }
    sink.finish()
}

/// Draws the frames of `clip` one at a time and encodes them to `path` (MP4) with the clip's
/// codec and the workload's `settings` otherwise; returns the frames written.
pub fn write_clip(
    path: &Path,
    clip: &ClipSpec,
    settings: &EncodeSettings,
) -> Result<u64, VideoError> {
    let settings = EncodeSettings {
        codec: match clip.codec.as_deref() {
            Some("hevc") => VideoCodec::Hevc,
            _ => VideoCodec::H264,
        },
        ..settings.clone()
    };
    let mut sink = Sink::create_video_only(path, "mp4", clip_format(clip), &settings)?;
    for i in 0..clip.frames {
        sink.write_frame(&pattern_frame(clip.width as usize, clip.height as usize, i))?;
    }
    sink.finish()
}

/// The RGB frames of a clip.
pub fn clip_frames(clip: &ClipSpec) -> Vec<RgbFrame> {
    (0..clip.frames)
        .map(|i| pattern_frame(clip.width as usize, clip.height as usize, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_moves_and_stays_in_range() {
        let (a, b) = (pattern_frame(32, 24, 0), pattern_frame(32, 24, 1));
        assert_ne!(a, b);
        assert_eq!(a, pattern_frame(32, 24, 0));
        assert!(a.as_chw().iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
