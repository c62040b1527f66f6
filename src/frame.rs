//! Host frames: planar RGB in `f32`, the CPU backend's working format and the models' tensor layout.

/// A planar RGB image: three `width × height` planes (R, G, B) of values nominally in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RgbFrame {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl RgbFrame {
    /// A black frame.
    pub fn new(width: usize, height: usize) -> Self {
        RgbFrame {
            width,
            height,
            data: vec![0.0; 3 * width * height],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Plane `c` (0 = R, 1 = G, 2 = B), row-major.
    pub fn plane(&self, c: usize) -> &[f32] {
        let n = self.width * self.height;
        &self.data[c * n..(c + 1) * n]
    }

    /// All three planes at once, for writing.
    pub fn planes_mut(&mut self) -> [&mut [f32]; 3] {
        let n = self.width * self.height;
        let (r, rest) = self.data.split_at_mut(n);
        let (g, b) = rest.split_at_mut(n);
        [r, g, b]
    }

    /// The CHW data (the layout of an N=1 NCHW tensor).
    pub fn as_chw(&self) -> &[f32] {
        &self.data
    }

    /// A frame from CHW data; `None` when the length is not `3 × width × height`.
    pub fn from_chw(width: usize, height: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == 3 * width * height).then_some(RgbFrame {
            width,
            height,
            data,
        })
    }

    /// Half the size in each direction, each pixel the mean of a 2×2 block (a trailing odd row or
    /// column is averaged with itself).
    pub fn half(&self) -> RgbFrame {
        let (w, h) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let mut out = RgbFrame::new(w, h);
        let (sw, sh) = (self.width, self.height);
        for c in 0..3 {
            let src = self.plane(c);
            let dst = &mut out.data[c * w * h..(c + 1) * w * h];
            for y in 0..h {
                let (y0, y1) = (2 * y, (2 * y + 1).min(sh - 1));
                for x in 0..w {
                    let (x0, x1) = (2 * x, (2 * x + 1).min(sw - 1));
                    let sum = src[y0 * sw + x0]
                        + src[y0 * sw + x1]
                        + src[y1 * sw + x0]
                        + src[y1 * sw + x1];
                    dst[y * w + x] = sum / 4.0;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_averages_blocks_and_keeps_odd_edges() {
        let data: Vec<f32> = (0..3 * 3 * 2).map(|v| v as f32).collect();
        let f = RgbFrame::from_chw(3, 2, data).unwrap();
        let h = f.half();
        assert_eq!((h.width(), h.height()), (2, 1));
        // Plane 0 rows [0 1 2] [3 4 5]: blocks {0,1,3,4} and {2,2,5,5}.
        assert_eq!(h.plane(0), &[2.0, 3.5]);
        assert_eq!(h.plane(2)[0], 12.0 + 2.0);
        assert!(RgbFrame::from_chw(3, 2, vec![0.0; 5]).is_none());
    }
}
