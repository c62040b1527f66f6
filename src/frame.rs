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
}
