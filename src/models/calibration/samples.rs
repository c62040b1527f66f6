//! Calibration samples: square crops of frames spread over a clip, decoded and converted as a
//! run converts them (planar RGB in [0, 1]).

use std::path::Path;

use super::CalibrationError;
use crate::frame::RgbFrame;
use crate::models::weights::Tensor;
use crate::video::{Item, Source, Window};

/// Frames taken when none is said.
pub const DEFAULT_FRAMES: usize = 12;
/// Crop side when none is said, in input pixels.
pub const DEFAULT_CROP: usize = 128;
/// Fewest frames a calibration takes: two for the ranges and one held out for the report.
pub const MIN_FRAMES: usize = 3;

/// How a clip is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Frames taken, spread evenly over the clip (one crop each).
    pub frames: usize,
    /// Crop side in input pixels (made a multiple of the network's, and at most the frame).
    pub crop: usize,
    /// ONNX Runtime threads (0: one per core).
    pub threads: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            frames: DEFAULT_FRAMES,
            crop: DEFAULT_CROP,
            threads: 0,
        }
    }
}

/// Whether sample `k` is held out of the ranges to measure quality: every third one.
pub fn held_out(k: usize) -> bool {
    k % 3 == 2
}

/// The crop side used for `width` x `height` frames: `crop` at most the smaller side, rounded
/// down to a multiple of `multiple` (at least one multiple).
pub fn crop_side(crop: usize, (width, height): (usize, usize), multiple: usize) -> usize {
    let multiple = multiple.max(1);
    let side = crop.min(width).min(height);
    (side / multiple * multiple).max(multiple)
}

/// The top-left corner of crop `k` of side `side` in a `width` x `height` frame: the crops walk
/// over the frame so that they see its centre, edges and corners.
pub fn crop_origin(k: usize, side: usize, (width, height): (usize, usize)) -> (usize, usize) {
    let (free_x, free_y) = (width.saturating_sub(side), height.saturating_sub(side));
    let (fx, fy) = ((k * 5 + 3) % 7, (k * 3 + 2) % 5);
    (free_x * fx / 6, free_y * fy / 4)
}

/// `settings.frames` crops of side [`crop_side`] from frames spread over `clip` (fewer when the
/// clip is shorter, at least [`MIN_FRAMES`]), as `[1, 3, side, side]` tensors.
pub fn read_crops(
    clip: &Path,
    settings: Settings,
    multiple: usize,
) -> Result<Vec<Tensor>, CalibrationError> {
    let mut source = Source::open(clip, Window::default())?;
    let info = *source.info();
    let expected = info
        .expected_duration
        .map(|d| (d * info.rate).to_f64())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map_or(settings.frames, |n| n as usize);
    let stride = (expected / settings.frames.max(1)).max(1);
    let size = (info.width as usize, info.height as usize);
    let side = crop_side(settings.crop, size, multiple);
    let mut crops = Vec::with_capacity(settings.frames);
    let mut index = 0;
    while crops.len() < settings.frames {
        let Some(item) = source.next_item()? else {
            break;
        };
        let Item::Frame(frame) = item else {
            continue;
        };
        if index % stride == 0 {
            let origin = crop_origin(crops.len(), side, size);
            crops.push(crop(&frame.rgb, origin, side));
        }
        index += 1;
    }
    if crops.len() < MIN_FRAMES {
        return Err(CalibrationError::TooFewFrames {
            clip: clip.to_path_buf(),
            got: crops.len(),
            need: MIN_FRAMES,
        });
    }
    Ok(crops)
}

/// The `side` x `side` square of `frame` at `(x, y)`, as a `[1, 3, side, side]` tensor.
fn crop(frame: &RgbFrame, (x, y): (usize, usize), side: usize) -> Tensor {
    let mut data = Vec::with_capacity(3 * side * side);
    for c in 0..3 {
        let plane = frame.plane(c);
        for row in y..y + side {
            let start = row * frame.width() + x;
            data.extend_from_slice(&plane[start..start + side]);
        }
    }
    Tensor {
        shape: vec![1, 3, side, side],
        data,
    }
}
