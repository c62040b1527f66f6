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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_half_averages_blocks_and_keeps_odd_edges() {
        let data: Vec<f32> = (0..3 * 3 * 2).map(|v| v as f32).collect();
        let f = RgbFrame::from_chw(3, 2, data).unwrap();
        let h = f.resize_half();
        assert_eq!((h.width(), h.height()), (2, 1));
        // Plane 0 rows [0 1 2] [3 4 5]: blocks {0,1,3,4} and {2,2,5,5}.
        assert_eq!(h.plane(0), &[2.0, 3.5]);
        assert_eq!(h.plane(2)[0], 12.0 + 2.0);
        assert!(RgbFrame::from_chw(3, 2, vec![0.0; 5]).is_none());
    }
}

/// A planar tensor of `channels` planes of `width × height`, row-major (one N=1 NCHW tensor).
#[derive(Debug, Clone, PartialEq)]
pub struct Planar<T> {
    pub width: usize,
    pub height: usize,
    pub data: Vec<T>,
}

impl RgbFrame {
    /// The frame in a buffer padded to multiples of `multiple` both ways, the pad filled with zero
    /// (black), as the models' reference procedure pads RIFE input. Reference of the padded output
    /// of the CUDA colour conversion kernels.
    pub fn pad_chw(&self, multiple: usize) -> Planar<f32> {
        let width = self.width.div_ceil(multiple) * multiple;
        let height = self.height.div_ceil(multiple) * multiple;
        let mut data = vec![0.0; 3 * width * height];
        for c in 0..3 {
            for (y, row) in self.plane(c).chunks_exact(self.width.max(1)).enumerate() {
                let at = (c * height + y) * width;
                data[at..at + self.width].copy_from_slice(row);
            }
        }
        Planar {
            width,
            height,
            data,
        }
    }

    /// Resize by 0.5: each output pixel the mean of a 2×2 box, `((a + b) + (c + d)) * 0.25`.
    /// Odd sizes round up and repeat the last row or column. Reference of `resize_half.cu`.
    pub fn resize_half(&self) -> RgbFrame {
        let (w, h) = (self.width, self.height);
        let mut out = RgbFrame::new(w.div_ceil(2), h.div_ceil(2));
        let ow = out.width;
        let planes = out.planes_mut();
        for (c, dst) in planes.into_iter().enumerate() {
            let src = self.plane(c);
            for (k, v) in dst.iter_mut().enumerate() {
                let (x, y) = (k % ow, k / ow);
                let (x0, x1) = (2 * x, (2 * x + 1).min(w - 1));
                let (y0, y1) = (2 * y, (2 * y + 1).min(h - 1));
                let (a, b) = (src[y0 * w + x0], src[y0 * w + x1]);
                let (cc, d) = (src[y1 * w + x0], src[y1 * w + x1]);
                *v = ((a + b) + (cc + d)) * 0.25;
            }
        }
        out
    }
}
