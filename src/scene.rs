//! The scene-cut metric: two luma planes, each averaged over `cell × cell` boxes (clipped at the
//! borders), and the mean absolute difference of the box means in units of full scale (0 to 1).
//! Reference of `src/cuda/kernels/scene_diff.cu`, with the same integer sums and float order.

use crate::colour::{PlaneRef, Sample};

/// Mean absolute difference of the `cell`-box luma means of `a` and `b` (same size), 0 to 1.
pub fn luma_difference<T: Sample>(a: PlaneRef<'_, T>, b: PlaneRef<'_, T>, cell: usize) -> f32 {
    assert_eq!((a.width, a.height), (b.width, b.height), "plane sizes");
    assert!(cell > 0 && a.width > 0 && a.height > 0, "empty metric");
    let (cols, rows) = (a.width.div_ceil(cell), a.height.div_ceil(cell));
    let box_sum = |p: &PlaneRef<'_, T>, x0: usize, x1: usize, y0: usize, y1: usize| -> u32 {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .map(|(x, y)| p.data[y * p.stride + x].to_f32() as u32)
            .sum()
    };
    let mut total = 0.0f32;
    for cy in 0..rows {
        let mut row = 0.0f32;
        for cx in 0..cols {
            let (x0, x1) = (cx * cell, (cx * cell + cell).min(a.width));
            let (y0, y1) = (cy * cell, (cy * cell + cell).min(a.height));
            let (sa, sb) = (box_sum(&a, x0, x1, y0, y1), box_sum(&b, x0, x1, y0, y1));
            let n = ((x1 - x0) * (y1 - y0)) as f32;
            row += sa.abs_diff(sb) as f32 / (n * T::FULL_SCALE);
        }
        total += row;
    }
    total / (cols * rows) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_to_white_is_one_and_same_is_zero() {
        let black = vec![0u8; 35 * 17];
        let white = vec![255u8; 35 * 17];
        fn plane(data: &[u8]) -> PlaneRef<'_, u8> {
            PlaneRef {
                data,
                stride: 35,
                width: 35,
                height: 17,
            }
        }
        let one = luma_difference(plane(&black), plane(&white), 8);
        assert!((one - 1.0).abs() < 1e-6, "{one}");
        assert_eq!(luma_difference(plane(&white), plane(&white), 8), 0.0);
    }
}
