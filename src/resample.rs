//! Resampling planar frames to any size with a Lanczos-3 filter (`--fit scale` on the CPU),
//! separable: rows first, then columns. When shrinking, the filter is widened by the ratio so
//! that it also low-passes. Edges repeat the border pixel.

use crate::frame::RgbFrame;

/// Lobes of the Lanczos window.
const LOBES: f64 = 3.0;

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// The Lanczos-3 kernel at `x`.
fn lanczos(x: f64) -> f64 {
    if x.abs() < LOBES {
        sinc(x) * sinc(x / LOBES)
    } else {
        0.0
    }
}

/// For each of `dst` output samples, the first source sample and the normalised weights of the
/// source samples from there (indices clamped to the `src` samples).
fn weights(src: usize, dst: usize) -> Vec<(usize, Vec<f32>)> {
    let ratio = src as f64 / dst as f64;
    let stretch = ratio.max(1.0);
    let support = LOBES * stretch;
    (0..dst)
        .map(|i| {
            let centre = (i as f64 + 0.5) * ratio - 0.5;
            let first = (centre - support).ceil() as i64;
            let last = (centre + support).floor() as i64;
            let raw: Vec<(i64, f64)> = (first..=last)
                .map(|j| (j, lanczos((j as f64 - centre) / stretch)))
                .collect();
            let total: f64 = raw.iter().map(|(_, w)| w).sum();
            // Fold the taps outside the frame onto the border sample they repeat.
            let lo = first.clamp(0, src as i64 - 1) as usize;
            let hi = last.clamp(0, src as i64 - 1) as usize;
            let mut taps = vec![0f64; hi - lo + 1];
            for (j, w) in raw {
                let k = j.clamp(0, src as i64 - 1) as usize;
                taps[k - lo] += w / total;
            }
            (lo, taps.into_iter().map(|w| w as f32).collect())
        })
        .collect()
}

/// `frame` resampled to `width` x `height`.
///
/// # Panics
/// If a size is zero.
pub fn lanczos3(frame: &RgbFrame, width: usize, height: usize) -> RgbFrame {
    let (sw, sh) = (frame.width(), frame.height());
    assert!(
        sw > 0 && sh > 0 && width > 0 && height > 0,
        "empty resample"
    );
    let (across, down) = (weights(sw, width), weights(sh, height));
    let mut out = RgbFrame::new(width, height);
    let mut rows = vec![0f32; width * sh];
    for (c, dst) in out.planes_mut().into_iter().enumerate() {
        let src = frame.plane(c);
        for (y, row) in rows.chunks_exact_mut(width).enumerate() {
            let line = &src[y * sw..(y + 1) * sw];
            for (v, (first, taps)) in row.iter_mut().zip(&across) {
                *v = taps.iter().zip(&line[*first..]).map(|(w, s)| w * s).sum();
            }
        }
        for (y, (first, taps)) in down.iter().enumerate() {
            let line = &mut dst[y * width..(y + 1) * width];
            line.fill(0.0);
            for (k, w) in taps.iter().enumerate() {
                let from = &rows[(first + k) * width..(first + k + 1) * width];
                for (d, s) in line.iter_mut().zip(from) {
                    *d += w * s;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> RgbFrame {
        let plane: Vec<f32> = (0..width * height)
            .map(|i| f(i % width, i / width))
            .collect();
        let data = [plane.clone(), plane.clone(), plane].concat();
        RgbFrame::from_chw(width, height, data).unwrap()
    }

    #[test]
    fn weights_sum_to_one_and_stay_in_the_frame() {
        for (src, dst) in [(10, 10), (10, 25), (25, 10), (1, 7), (7, 1), (2176, 2160)] {
            for (first, taps) in weights(src, dst) {
                let sum: f32 = taps.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "{src}->{dst}: {sum}");
                assert!(first + taps.len() <= src);
            }
        }
    }

    #[test]
    fn the_same_size_is_the_identity_and_flat_stays_flat() {
        let f = frame(13, 7, |x, y| (x * 7 + y * 3) as f32 / 100.0);
        let same = lanczos3(&f, 13, 7);
        for (a, b) in same.as_chw().iter().zip(f.as_chw()) {
            assert!((a - b).abs() < 1e-6);
        }
        let flat = frame(20, 10, |_, _| 0.25);
        for (w, h) in [(40, 21), (7, 3), (20, 9)] {
            let r = lanczos3(&flat, w, h);
            assert!(
                r.as_chw().iter().all(|v| (v - 0.25).abs() < 1e-5),
                "{w}x{h}"
            );
        }
    }

    #[test]
    fn a_ramp_stays_a_ramp_inside() {
        // A horizontal ramp doubled: inside the border's reach, Lanczos reproduces a linear
        // function exactly at the new sample centres.
        let f = frame(32, 4, |x, _| x as f32 / 32.0);
        let r = lanczos3(&f, 64, 4);
        for x in 8..56 {
            let want = ((x as f32 + 0.5) / 2.0 - 0.5) / 32.0;
            let got = r.plane(0)[x];
            assert!((got - want).abs() < 2e-3, "x {x}: {got} against {want}");
        }
    }
}
