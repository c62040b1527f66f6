//! Colour maths shared by every backend: Y'CbCr ↔ R'G'B' matrices, quantisation ranges and chroma
//! siting. These functions are the reference the CUDA kernels are tested against.

mod half;
mod planes;

pub use half::{f16_to_f32, f32_to_f16};
pub use planes::{rgb_to_yuv_planes, yuv_planes_to_rgb, PlaneMut, PlaneRef, Sample};

/// The Y'CbCr matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    /// ITU-R BT.601 (SD).
    Bt601,
    /// ITU-R BT.709 (HD).
    Bt709,
    /// ITU-R BT.2020 non-constant luminance (UHD, HDR).
    Bt2020,
}

impl Matrix {
    /// `(Kr, Kb)` luma weights.
    pub fn weights(self) -> (f32, f32) {
        match self {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
            Matrix::Bt2020 => (0.2627, 0.0593),
        }
    }

    /// The matrix an untagged stream of this size uses: HD and larger is BT.709, SD is BT.601.
    pub fn default_for_size(width: usize, height: usize) -> Self {
        if width >= 1280 || height > 576 {
            Matrix::Bt709
        } else {
            Matrix::Bt601
        }
    }
}

/// Quantisation range of the code values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Limited ("TV", "MPEG"): luma 16–235, chroma 16–240 at 8 bits.
    Limited,
    /// Full ("PC", "JPEG"): 0–255 at 8 bits.
    Full,
}

/// Where chroma samples sit relative to luma, for subsampled formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Siting {
    /// Co-sited with the left luma column, centred vertically (MPEG-2, H.264 and HEVC default).
    Left,
    /// Centred between luma samples both ways (JPEG, MPEG-1).
    Center,
    /// Co-sited with the top-left luma sample (BT.2020 4:2:0 option).
    TopLeft,
}

impl Siting {
    /// Position of chroma sample 0 in luma sample units `(x, y)` for subsampling factors
    /// `(2^sx, 2^sy)`. Axes that are not subsampled are co-sited.
    pub fn offset(self, sx: u32, sy: u32) -> (f32, f32) {
        let centre = |s: u32| ((1u32 << s) as f32 - 1.0) / 2.0;
        match self {
            Siting::Left => (0.0, centre(sy)),
            Siting::Center => (centre(sx), centre(sy)),
            Siting::TopLeft => (0.0, 0.0),
        }
    }
}

/// How code values of a stream map to R'G'B'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub matrix: Matrix,
    pub range: Range,
    /// Bits per sample (8, 10, 12 or 16).
    pub bits: u32,
}

impl Encoding {
    /// `(offset, scale)` of luma and of chroma code values: `code = offset + scale * value`.
    pub(crate) fn quantisation(self) -> ((f32, f32), (f32, f32)) {
        let max = ((1u64 << self.bits) - 1) as f32;
        let unit = (1u64 << (self.bits - 8)) as f32;
        let mid = (1u64 << (self.bits - 1)) as f32;
        match self.range {
            Range::Limited => ((16.0 * unit, 219.0 * unit), (mid, 224.0 * unit)),
            Range::Full => ((0.0, max), (mid, max)),
        }
    }

    /// Largest code value.
    pub fn max_code(self) -> f32 {
        ((1u64 << self.bits) - 1) as f32
    }

    /// Code values `(y, cb, cr)` to R'G'B' (not clamped).
    pub fn to_rgb(self, y: f32, cb: f32, cr: f32) -> [f32; 3] {
        let ((yo, ys), (co, cs)) = self.quantisation();
        let (kr, kb) = self.matrix.weights();
        let luma = (y - yo) / ys;
        let pb = (cb - co) / cs;
        let pr = (cr - co) / cs;
        let r = luma + 2.0 * (1.0 - kr) * pr;
        let b = luma + 2.0 * (1.0 - kb) * pb;
        let g = (luma - kr * r - kb * b) / (1.0 - kr - kb);
        [r, g, b]
    }

    /// R'G'B' to luma code value (not rounded or clamped).
    pub fn luma(self, rgb: [f32; 3]) -> f32 {
        let ((yo, ys), _) = self.quantisation();
        let (kr, kb) = self.matrix.weights();
        yo + ys * (kr * rgb[0] + (1.0 - kr - kb) * rgb[1] + kb * rgb[2])
    }

    /// R'G'B' to chroma code values `(cb, cr)` (not rounded or clamped).
    pub fn chroma(self, rgb: [f32; 3]) -> (f32, f32) {
        let (_, (co, cs)) = self.quantisation();
        let (kr, kb) = self.matrix.weights();
        let luma = kr * rgb[0] + (1.0 - kr - kb) * rgb[1] + kb * rgb[2];
        let pb = (rgb[2] - luma) / (2.0 * (1.0 - kb));
        let pr = (rgb[0] - luma) / (2.0 * (1.0 - kr));
        (co + cs * pb, co + cs * pr)
    }

    /// Rounds and clamps a code value to the legal integer range.
    pub fn quantise(self, code: f32) -> u16 {
        code.round().clamp(0.0, self.max_code()) as u16
    }
}

#[cfg(test)]
mod tests;
