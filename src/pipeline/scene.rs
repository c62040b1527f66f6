//! Scene cuts on the CPU path: a pair of frames across a cut is not interpolated.
//!
//! The metric is [`crate::scene::luma_difference`], the one the CUDA path computes on decoded
//! luma: the mean absolute difference of 4×4 box means of luma, 0 for identical frames and 1
//! between black and white. Here the luma plane comes from the RGB frames (BT.709 weights, full
//! range, 16 bits).

use crate::colour::{Encoding, Matrix, PlaneRef, Range};
use crate::frame::RgbFrame;

/// Box size of the metric, in pixels (the CUDA path passes it to its `scene_difference` kernel).
pub const CELL: usize = 4;

/// Which source frame a pair across a scene cut repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nearer {
    /// The first frame of the pair.
    First,
    /// The second frame of the pair.
    Second,
}

/// The scene-cut decision shared by the CPU and CUDA interpolators: a pair whose metric
/// `difference` is above `threshold` is a cut, and the frame at `t` repeats the nearer source
/// frame (the first below 0.5); `None` means the pair is interpolated.
pub fn cut_repeat(difference: f32, threshold: f32, t: f32) -> Option<Nearer> {
    if difference > threshold {
        Some(if t < 0.5 {
            Nearer::First
        } else {
            Nearer::Second
        })
    } else {
        None
    }
}

fn luma_plane(frame: &RgbFrame) -> Vec<u16> {
    let encoding = Encoding {
        matrix: Matrix::Bt709,
        range: Range::Full,
        bits: 16,
    };
    let [r, g, b] = [0, 1, 2].map(|c| frame.plane(c));
    r.iter()
        .zip(g)
        .zip(b)
        .map(|((&r, &g), &b)| {
            encoding.quantise(encoding.luma([
                r.clamp(0.0, 1.0),
                g.clamp(0.0, 1.0),
                b.clamp(0.0, 1.0),
            ]))
        })
        .collect()
}

/// The cut metric between two frames, in `[0, 1]`; 0 when their sizes differ or they are empty.
pub fn difference(a: &RgbFrame, b: &RgbFrame) -> f32 {
    let (w, h) = (a.width(), a.height());
    if (w, h) != (b.width(), b.height()) || w == 0 || h == 0 {
        return 0.0;
    }
    let (la, lb) = (luma_plane(a), luma_plane(b));
    let pa = PlaneRef {
        data: &la[..],
        stride: w,
        width: w,
        height: h,
    };
    let pb = PlaneRef {
        data: &lb[..],
        stride: w,
        width: w,
        height: h,
    };
    crate::scene::luma_difference(pa, pb, CELL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: f32, w: usize, h: usize) -> RgbFrame {
        RgbFrame::from_chw(w, h, vec![v; 3 * w * h]).unwrap()
    }

    #[test]
    fn cuts_repeat_the_nearer_frame() {
        assert_eq!(cut_repeat(0.3, 0.2, 0.25), Some(Nearer::First));
        assert_eq!(cut_repeat(0.3, 0.2, 0.5), Some(Nearer::Second));
        assert_eq!(cut_repeat(0.3, 0.2, 0.75), Some(Nearer::Second));
        // At the threshold the pair is still interpolated.
        assert_eq!(cut_repeat(0.2, 0.2, 0.25), None);
        assert_eq!(cut_repeat(0.0, 0.2, 0.5), None);
    }

    #[test]
    fn identical_frames_differ_by_zero_and_black_white_by_one() {
        assert_eq!(difference(&flat(0.3, 17, 9), &flat(0.3, 17, 9)), 0.0);
        assert!((difference(&flat(0.0, 16, 8), &flat(1.0, 16, 8)) - 1.0).abs() < 1e-6);
        assert!((difference(&flat(0.2, 8, 8), &flat(0.3, 8, 8)) - 0.1).abs() < 1e-4);
        assert_eq!(difference(&flat(0.2, 8, 8), &flat(0.3, 4, 8)), 0.0);
    }
}
