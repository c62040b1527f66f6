//! Frame layouts on the device, pure geometry (no CUDA call): the pixel format, the visible size,
//! and how the bytes are arranged.
//!
//! - NV12 / P016 (P010 is P016 with a sample shift of 6): pitch-linear, `pitch` bytes per row,
//!   the luma plane (`height` rows) followed by the interleaved Cb/Cr plane (`ceil(height / 2)`
//!   rows) at the same pitch, as NVDEC writes them.
//! - Planar R'G'B' f32 or f16 (binary16 bits): three contiguous planes, each padded to a multiple
//!   (64 for RIFE) on the right and bottom; `row_stride` and `plane_stride` are in elements.

use super::error::DeviceError;

/// How the samples of a frame are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// 8-bit 4:2:0, Y plane then interleaved CbCr.
    Nv12,
    /// 16-bit 4:2:0 samples, each code `sample_shift` bits up (P010: 6, P016: 0).
    P016 { sample_shift: u32 },
    /// Planar R'G'B' `f32`.
    RgbF32,
    /// Planar R'G'B' binary16 bits (`u16`).
    RgbF16,
}

impl PixelFormat {
    /// P010: 10-bit codes in the high bits of 16-bit samples.
    pub const P010: PixelFormat = PixelFormat::P016 { sample_shift: 6 };

    /// Bytes per sample (Y'CbCr) or element (RGB).
    pub fn sample_bytes(self) -> usize {
        match self {
            PixelFormat::Nv12 => 1,
            PixelFormat::P016 { .. } | PixelFormat::RgbF16 => 2,
            PixelFormat::RgbF32 => 4,
        }
    }

    /// Whether this is a pitch-linear Y'CbCr 4:2:0 format.
    pub fn is_yuv(self) -> bool {
        matches!(self, PixelFormat::Nv12 | PixelFormat::P016 { .. })
    }

    /// The bit shift of the codes in their samples (0 for everything but P010-like P016).
    pub fn sample_shift(self) -> u32 {
        match self {
            PixelFormat::P016 { sample_shift } => sample_shift,
            _ => 0,
        }
    }
}

/// The geometry of one device frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    pub format: PixelFormat,
    /// Visible size in pixels.
    pub width: usize,
    pub height: usize,
    /// Allocated size in pixels: the visible size rounded up to the padding multiple (planar),
    /// the visible size (Y'CbCr).
    pub padded_width: usize,
    pub padded_height: usize,
    /// Bytes per row of both planes (Y'CbCr); `padded_width * sample_bytes` (planar).
    pub pitch: usize,
}

/// The largest dimension or pitch the kernels' `int` parameters hold.
const MAX_DIM: usize = i32::MAX as usize;

fn check_size(width: usize, height: usize) -> Result<(), DeviceError> {
    if width == 0 || height == 0 || width > MAX_DIM || height > MAX_DIM {
        return Err(DeviceError::Layout(format!(
            "a {width}x{height} frame: sizes must be 1 to {MAX_DIM}"
        )));
    }
    Ok(())
}

impl FrameLayout {
    /// A Y'CbCr 4:2:0 frame with rows `pitch` bytes apart (at least a row of samples).
    pub fn yuv420(
        format: PixelFormat,
        width: usize,
        height: usize,
        pitch: usize,
    ) -> Result<Self, DeviceError> {
        if !format.is_yuv() {
            return Err(DeviceError::Layout(format!(
                "{format:?} is not Y'CbCr 4:2:0"
            )));
        }
        if format.sample_shift() >= 16 {
            return Err(DeviceError::Layout(format!(
                "a sample shift of {} in 16-bit samples",
                format.sample_shift()
            )));
        }
        check_size(width, height)?;
        // The chroma row holds ceil(width / 2) CbCr pairs: one sample more than an odd luma row.
        let row = 2 * width.div_ceil(2) * format.sample_bytes();
        if pitch < row || pitch > MAX_DIM {
            return Err(DeviceError::Layout(format!(
                "a pitch of {pitch} bytes for {width}x{height} {format:?} (rows need {row})"
            )));
        }
        Ok(FrameLayout {
            format,
            width,
            height,
            padded_width: width,
            padded_height: height,
            pitch,
        })
    }

    /// [`FrameLayout::yuv420`] with the pitch rounded up to `align` bytes (NVDEC uses 256+).
    pub fn yuv420_aligned(
        format: PixelFormat,
        width: usize,
        height: usize,
        align: usize,
    ) -> Result<Self, DeviceError> {
        let row = 2 * width.div_ceil(2) * format.sample_bytes();
        Self::yuv420(format, width, height, row.next_multiple_of(align.max(1)))
    }

    /// A planar R'G'B' frame padded right and bottom to a multiple of `multiple` (1: no padding).
    pub fn planar(
        format: PixelFormat,
        width: usize,
        height: usize,
        multiple: usize,
    ) -> Result<Self, DeviceError> {
        if format.is_yuv() {
            return Err(DeviceError::Layout(format!("{format:?} is not planar RGB")));
        }
        check_size(width, height)?;
        let multiple = multiple.max(1);
        let (padded_width, padded_height) = (
            width.next_multiple_of(multiple),
            height.next_multiple_of(multiple),
        );
        check_size(padded_width, padded_height)?;
        let layout = FrameLayout {
            format,
            width,
            height,
            padded_width,
            padded_height,
            pitch: padded_width * format.sample_bytes(),
        };
        if layout.plane_stride() > i64::MAX as usize / 4 {
            return Err(DeviceError::Layout(format!(
                "a {width}x{height} frame is too large"
            )));
        }
        Ok(layout)
    }

    /// Rows of the chroma plane (Y'CbCr).
    pub fn chroma_rows(&self) -> usize {
        self.height.div_ceil(2)
    }

    /// Byte offset of the chroma plane (Y'CbCr).
    pub fn chroma_offset(&self) -> usize {
        self.pitch * self.height
    }

    /// Elements from one row to the next (planar).
    pub fn row_stride(&self) -> usize {
        self.padded_width
    }

    /// Elements from one plane to the next (planar).
    pub fn plane_stride(&self) -> usize {
        self.padded_width * self.padded_height
    }

    /// Total bytes of the frame.
    pub fn bytes(&self) -> usize {
        if self.format.is_yuv() {
            self.pitch * (self.height + self.chroma_rows())
        } else {
            3 * self.plane_stride() * self.format.sample_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuv_geometry() {
        let l = FrameLayout::yuv420(PixelFormat::Nv12, 33, 17, 40).unwrap();
        assert_eq!((l.chroma_rows(), l.chroma_offset()), (9, 40 * 17));
        assert_eq!(l.bytes(), 40 * (17 + 9));
        // An odd width needs one more chroma sample than luma samples.
        assert!(FrameLayout::yuv420(PixelFormat::Nv12, 33, 17, 33).is_err());
        assert!(FrameLayout::yuv420(PixelFormat::Nv12, 33, 17, 34).is_ok());
        let p = FrameLayout::yuv420_aligned(PixelFormat::P010, 1920, 1080, 256).unwrap();
        assert_eq!((p.pitch, p.format.sample_shift()), (3840, 6));
        let p = FrameLayout::yuv420_aligned(PixelFormat::P010, 1921, 3, 256).unwrap();
        assert_eq!(p.pitch, 4096);
    }

    #[test]
    fn planar_geometry_and_padding() {
        let l = FrameLayout::planar(PixelFormat::RgbF16, 100, 37, 64).unwrap();
        assert_eq!((l.padded_width, l.padded_height), (128, 64));
        assert_eq!((l.row_stride(), l.plane_stride()), (128, 128 * 64));
        assert_eq!((l.pitch, l.bytes()), (256, 3 * 128 * 64 * 2));
        let l = FrameLayout::planar(PixelFormat::RgbF32, 5, 3, 1).unwrap();
        assert_eq!(
            (l.padded_width, l.padded_height, l.bytes()),
            (5, 3, 3 * 15 * 4)
        );
    }

    #[test]
    fn impossible_layouts_are_errors() {
        let bad = [
            FrameLayout::yuv420(PixelFormat::Nv12, 0, 4, 64),
            FrameLayout::yuv420(PixelFormat::RgbF32, 4, 4, 64),
            FrameLayout::yuv420(PixelFormat::P016 { sample_shift: 16 }, 4, 4, 64),
            FrameLayout::yuv420(PixelFormat::Nv12, 4, 4, usize::MAX),
            FrameLayout::planar(PixelFormat::Nv12, 4, 4, 1),
            FrameLayout::planar(PixelFormat::RgbF32, 4, 0, 1),
            FrameLayout::planar(PixelFormat::RgbF32, 1 << 31, 1, 1),
        ];
        for (i, r) in bad.iter().enumerate() {
            assert!(matches!(r, Err(DeviceError::Layout(_))), "case {i}: {r:?}");
        }
    }
}
