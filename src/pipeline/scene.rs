//! Scene cuts: a pair of frames across a cut is not interpolated.
//!
//! The metric is the mean absolute difference of BT.709 luma between the two frames, both
//! reduced 4× in each direction first (so noise and small motion count little). It is 0 for
//! identical frames and 1 between black and white.

use crate::frame::RgbFrame;

/// BT.709 luma of a frame reduced by 4 in each direction.
fn small_luma(frame: &RgbFrame) -> Vec<f32> {
    let quarter = frame.half().half();
    let [r, g, b] = [0, 1, 2].map(|c| quarter.plane(c));
    r.iter()
        .zip(g)
        .zip(b)
        .map(|((r, g), b)| 0.2126 * r + 0.7152 * g + 0.0722 * b)
        .collect()
}

/// The cut metric between two frames of the same size, in `[0, 1]` for frames in `[0, 1]`.
pub fn difference(a: &RgbFrame, b: &RgbFrame) -> f32 {
    let (la, lb) = (small_luma(a), small_luma(b));
    if la.is_empty() || la.len() != lb.len() {
        return 0.0;
    }
    let total: f32 = la.iter().zip(&lb).map(|(x, y)| (x - y).abs()).sum();
    total / la.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: f32, w: usize, h: usize) -> RgbFrame {
        RgbFrame::from_chw(w, h, vec![v; 3 * w * h]).unwrap()
    }

    #[test]
    fn identical_frames_differ_by_zero_and_black_white_by_one() {
        assert_eq!(difference(&flat(0.3, 17, 9), &flat(0.3, 17, 9)), 0.0);
        assert!((difference(&flat(0.0, 16, 8), &flat(1.0, 16, 8)) - 1.0).abs() < 1e-6);
        assert!((difference(&flat(0.2, 8, 8), &flat(0.3, 8, 8)) - 0.1).abs() < 1e-6);
    }
}
