//! Between decoded FFmpeg frames and planar RGB `f32`, using the colour maths of
//! [`crate::colour`]. Planar Y'CbCr formats (4:2:0, 4:2:2, 4:4:4; 8 to 16 bits) are read and
//! written directly; anything else FFmpeg decodes is first rescaled to 16-bit 4:4:4 by swscale.

use ffmpeg_next::format::Pixel;
use ffmpeg_next::frame::Video as AvFrame;
use ffmpeg_next::software::scaling;

use super::{ColourTags, VideoError};
use crate::colour::{self, PlaneMut, PlaneRef};
use crate::frame::RgbFrame;

/// The layout of a planar Y'CbCr pixel format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YuvLayout {
    /// Chroma subsampling as `(log2 x, log2 y)`.
    pub shift: (u32, u32),
    /// Significant bits per sample; above 8 the samples are stored in 16 bits.
    pub bits: u32,
}

impl YuvLayout {
    /// The layout of `pixel`, if it is one we read and write directly.
    pub fn of(pixel: Pixel) -> Option<Self> {
        use Pixel::*;
        let (shift, bits) = match pixel {
            YUV420P | YUVJ420P => ((1, 1), 8),
            YUV422P | YUVJ422P => ((1, 0), 8),
            YUV444P | YUVJ444P => ((0, 0), 8),
            YUV420P10LE => ((1, 1), 10),
            YUV422P10LE => ((1, 0), 10),
            YUV444P10LE => ((0, 0), 10),
            YUV420P12LE => ((1, 1), 12),
            YUV422P12LE => ((1, 0), 12),
            YUV444P12LE => ((0, 0), 12),
            YUV420P16LE => ((1, 1), 16),
            YUV422P16LE => ((1, 0), 16),
            YUV444P16LE => ((0, 0), 16),
            _ => return Option::None,
        };
        Some(YuvLayout { shift, bits })
    }

    /// The pixel format with this layout (8 bits, or 10 bits for anything deeper).
    pub fn pixel(self) -> Pixel {
        use Pixel::*;
        match (self.shift, self.bits > 8) {
            ((1, 1), false) => YUV420P,
            ((1, 0), false) => YUV422P,
            ((0, 0), false) => YUV444P,
            ((1, 1), true) => YUV420P10LE,
            ((1, 0), true) => YUV422P10LE,
            _ if self.bits > 8 => YUV444P10LE,
            _ => YUV444P,
        }
    }

    /// The layout the encoder gets for output of this layout: deeper than 10 bits is written as 10.
    pub fn for_output(self) -> Self {
        YuvLayout {
            shift: self.shift,
            bits: if self.bits > 8 { 10 } else { 8 },
        }
    }
}

/// Reads decoded frames into [`RgbFrame`]s.
pub struct FrameReader {
    tags: ColourTags,
    scaler: Option<(scaling::Context, AvFrame)>,
}

impl FrameReader {
    /// A reader for frames of `pixel` format and the given size and colour.
    pub fn new(
        pixel: Pixel,
        width: u32,
        height: u32,
        tags: ColourTags,
    ) -> Result<Self, VideoError> {
        let scaler = if YuvLayout::of(pixel).is_some() {
            None
        } else {
            log::info!("decoded pixel format {pixel:?} is converted to 16-bit 4:4:4 first");
            let ctx = scaling::Context::get(
                pixel,
                width,
                height,
                Pixel::YUV444P16LE,
                width,
                height,
                scaling::Flags::BICUBIC
                    | scaling::Flags::ACCURATE_RND
                    | scaling::Flags::FULL_CHR_H_INT,
            )
            .map_err(|e| VideoError::ffmpeg("set up pixel format conversion", e))?;
            Some((ctx, AvFrame::empty()))
        };
        Ok(FrameReader { tags, scaler })
    }

    /// Converts `frame` to RGB.
    pub fn read(&mut self, frame: &AvFrame) -> Result<RgbFrame, VideoError> {
        let frame = match &mut self.scaler {
            Some((ctx, scaled)) => {
                ctx.run(frame, scaled)
                    .map_err(|e| VideoError::ffmpeg("convert pixel format", e))?;
                &*scaled
            }
            None => frame,
        };
        let layout =
            YuvLayout::of(frame.format()).ok_or(VideoError::UnsupportedPixel(frame.format()))?;
        let mut encoding = self.tags.encoding;
        encoding.bits = layout.bits;
        let mut rgb = RgbFrame::new(frame.width() as usize, frame.height() as usize);
        let geometry = [0, 1, 2].map(|i| plane_geometry(frame, i, layout.bits));
        if layout.bits == 8 {
            let planes = [0, 1, 2].map(|i| plane_ref(frame.data(i), geometry[i]));
            colour::yuv_planes_to_rgb(planes, layout.shift, self.tags.siting, encoding, &mut rgb);
        } else {
            let wide = [0, 1, 2].map(|i| to_u16(frame.data(i)));
            let planes = [0, 1, 2].map(|i| plane_ref(&wide[i], geometry[i]));
            colour::yuv_planes_to_rgb(planes, layout.shift, self.tags.siting, encoding, &mut rgb);
        }
        Ok(rgb)
    }
}

/// `(stride in samples, width, height)` of plane `index`.
fn plane_geometry(frame: &AvFrame, index: usize, bits: u32) -> (usize, usize, usize) {
    let bytes = if bits > 8 { 2 } else { 1 };
    (
        frame.stride(index) / bytes,
        frame.plane_width(index) as usize,
        frame.plane_height(index) as usize,
    )
}

fn plane_ref<T>(data: &[T], (stride, width, height): (usize, usize, usize)) -> PlaneRef<'_, T> {
    PlaneRef {
        data,
        stride,
        width,
        height,
    }
}

/// Little-endian 16-bit samples.
fn to_u16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Writes `rgb` into `frame`, whose format must be a [`YuvLayout`] format of the same size.
pub fn write_rgb(rgb: &RgbFrame, frame: &mut AvFrame, tags: ColourTags) -> Result<(), VideoError> {
    let layout =
        YuvLayout::of(frame.format()).ok_or(VideoError::UnsupportedPixel(frame.format()))?;
    let mut encoding = tags.encoding;
    encoding.bits = layout.bits;
    if layout.bits == 8 {
        write_planes::<u8>(rgb, frame, layout, tags, encoding, store_u8);
    } else {
        write_planes::<u16>(rgb, frame, layout, tags, encoding, store_u16);
    }
    Ok(())
}

/// Converts into scratch planes laid out like the frame's, then stores them into the frame's
/// byte planes.
fn write_planes<T: colour::Sample + Default>(
    rgb: &RgbFrame,
    frame: &mut AvFrame,
    layout: YuvLayout,
    tags: ColourTags,
    encoding: crate::colour::Encoding,
    store: fn(&[T], &mut [u8]),
) {
    let geometry = [0, 1, 2].map(|i| plane_geometry(frame, i, layout.bits));
    let mut scratch = geometry.map(|(stride, _, height)| vec![T::default(); stride * height]);
    {
        let [y, cb, cr] = &mut scratch;
        let planes = [
            plane_mut(y, geometry[0]),
            plane_mut(cb, geometry[1]),
            plane_mut(cr, geometry[2]),
        ];
        colour::rgb_to_yuv_planes(rgb, planes, layout.shift, tags.siting, encoding);
    }
    for (i, data) in scratch.iter().enumerate() {
        store(data, frame.data_mut(i));
    }
}

fn plane_mut<T>(data: &mut [T], (stride, width, height): (usize, usize, usize)) -> PlaneMut<'_, T> {
    PlaneMut {
        data,
        stride,
        width,
        height,
    }
}

fn store_u8(src: &[u8], dst: &mut [u8]) {
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
}

fn store_u16(src: &[u16], dst: &mut [u8]) {
    for (d, s) in dst.chunks_exact_mut(2).zip(src) {
        d.copy_from_slice(&s.to_le_bytes());
    }
}
