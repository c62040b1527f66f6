//! The decisions of an NVDEC session that need no GPU: whether this GPU's decoder can take a
//! stream (from what `cuvidGetDecoderCaps` reported), which surface format it decodes into, and
//! how many surfaces to ask for. The session fills these structs from the SDK's and acts on the
//! answers.

use crate::nvcodec::NalCodec;

/// The layout of a decoded surface (`cudaVideoSurfaceFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurfaceFormat {
    /// 8-bit 4:2:0: a luma plane, then an interleaved CbCr plane of half the rows.
    Nv12,
    /// 10- or 12-bit 4:2:0 as NV12 with 16-bit samples, the data in the high bits.
    P016,
}

impl SurfaceFormat {
    /// Bytes per sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            SurfaceFormat::Nv12 => 1,
            SurfaceFormat::P016 => 2,
        }
    }
}

/// Chroma subsampling of a stream (`cudaVideoChromaFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    Monochrome,
    Yuv420,
    Yuv422,
    Yuv444,
}

/// What the parser's sequence callback said about a stream (`CUVIDEOFORMAT`), in our terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamFormat {
    pub codec: NalCodec,
    /// Luma bit depth (8, 10 or 12).
    pub bit_depth: u8,
    pub chroma: Chroma,
    pub coded_width: u32,
    pub coded_height: u32,
    /// The visible rectangle: left, top, right, bottom (exclusive).
    pub display: [u32; 4],
    /// `min_num_decode_surfaces`: what the parser needs for the stream's reference frames.
    pub min_surfaces: u8,
}

impl StreamFormat {
    /// The visible width and height.
    pub fn display_size(&self) -> (u32, u32) {
        let [left, top, right, bottom] = self.display;
        (right.saturating_sub(left), bottom.saturating_sub(top))
    }
}

/// What `cuvidGetDecoderCaps` reported for one codec, chroma format and bit depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderCaps {
    /// `bIsSupported`.
    pub supported: bool,
    /// `nOutputFormatMask`: bit `n` set when `cudaVideoSurfaceFormat` `n` is an output.
    pub output_format_mask: u16,
    pub min_width: u32,
    pub min_height: u32,
    pub max_width: u32,
    pub max_height: u32,
    /// `nMaxMBCount`: the most 16x16 macroblocks in a picture.
    pub max_macroblocks: u32,
}

/// Why this GPU's NVDEC cannot decode a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CapsError {
    #[error("this GPU's NVDEC cannot decode {bit_depth}-bit {chroma:?} {codec}")]
    Unsupported {
        codec: NalCodec,
        bit_depth: u8,
        chroma: Chroma,
    },
    #[error(
        "the CUDA path decodes 4:2:0 only; this {codec} stream is {chroma:?} \
         (use --backend cpu)"
    )]
    Chroma { codec: NalCodec, chroma: Chroma },
    #[error(
        "{width}x{height} is outside what this GPU's NVDEC decodes \
         ({min_width}x{min_height} to {max_width}x{max_height}, {max_macroblocks} macroblocks)"
    )]
    Size {
        width: u32,
        height: u32,
        min_width: u32,
        min_height: u32,
        max_width: u32,
        max_height: u32,
        max_macroblocks: u32,
    },
    #[error("this GPU's NVDEC cannot output {bit_depth}-bit {codec} as {format:?}")]
    Output {
        codec: NalCodec,
        bit_depth: u8,
        format: SurfaceFormat,
    },
}

/// `cudaVideoSurfaceFormat_NV12` and `cudaVideoSurfaceFormat_P016` as bits of the output mask.
const NV12_BIT: u16 = 1 << 0;
const P016_BIT: u16 = 1 << 1;

/// Checks a stream against the decoder's capabilities and picks the surface format: NV12 for
/// 8-bit, P016 for deeper streams.
pub fn check_caps(format: &StreamFormat, caps: &DecoderCaps) -> Result<SurfaceFormat, CapsError> {
    let (codec, bit_depth, chroma) = (format.codec, format.bit_depth, format.chroma);
    if chroma != Chroma::Yuv420 {
        return Err(CapsError::Chroma { codec, chroma });
    }
    if !caps.supported {
        return Err(CapsError::Unsupported {
            codec,
            bit_depth,
            chroma,
        });
    }
    let (width, height) = (format.coded_width, format.coded_height);
    let macroblocks = u64::from(width.div_ceil(16)) * u64::from(height.div_ceil(16));
    let fits = (caps.min_width..=caps.max_width).contains(&width)
        && (caps.min_height..=caps.max_height).contains(&height)
        && macroblocks <= u64::from(caps.max_macroblocks);
    if !fits {
        return Err(CapsError::Size {
            width,
            height,
            min_width: caps.min_width,
            min_height: caps.min_height,
            max_width: caps.max_width,
            max_height: caps.max_height,
            max_macroblocks: caps.max_macroblocks,
        });
    }
    let (surface, bit) = if bit_depth > 8 {
        (SurfaceFormat::P016, P016_BIT)
    } else {
        (SurfaceFormat::Nv12, NV12_BIT)
    };
    if caps.output_format_mask & bit == 0 {
        return Err(CapsError::Output {
            codec,
            bit_depth,
            format: surface,
        });
    }
    Ok(surface)
}

/// NVDEC's limit on decode surfaces.
pub const MAX_DECODE_SURFACES: u32 = 32;

/// Decode surfaces beyond the parser's minimum: the parser counts a displayed picture's surface
/// as free at once, and these extra surfaces let displayed pictures wait to be mapped (taken out
/// after each packet) while the parser decodes into others (see `display_queue`).
pub const DISPLAY_HEADROOM: u32 = 8;

/// Pictures the caller may hold mapped at once (`ulNumOutputSurfaces`).
pub const MAPPED_SURFACES: u32 = 3;

/// Decode surfaces for a stream: the parser's minimum plus room for the pictures waiting to be
/// mapped, within NVDEC's limit.
pub fn decode_surfaces(min_surfaces: u8) -> u32 {
    (u32::from(min_surfaces) + DISPLAY_HEADROOM).min(MAX_DECODE_SURFACES)
}

/// The decoder's output size: the visible area, rounded up to even (4:2:0 chroma).
pub fn target_size(format: &StreamFormat) -> (u32, u32) {
    let (width, height) = format.display_size();
    (width.next_multiple_of(2), height.next_multiple_of(2))
}

/// What a decoder created for one sequence outputs: the surface format, the size of its output
/// surfaces (`ulTargetWidth` x `ulTargetHeight`) and the visible size inside them (the
/// sequence's display area). Every displayed picture carries the geometry of the decoder that
/// decoded it, so a size change mid-stream shows up as pictures of another geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub surface: SurfaceFormat,
    /// `ulTargetWidth`, `ulTargetHeight`: the visible size rounded up to even.
    pub target: (u32, u32),
    /// The visible width and height (`display_area`).
    pub visible: (u32, u32),
}

impl Geometry {
    /// The geometry of a decoder created for `format` with [`target_size`].
    pub fn of(format: &StreamFormat, surface: SurfaceFormat) -> Self {
        Geometry {
            surface,
            target: target_size(format),
            visible: format.display_size(),
        }
    }
}

/// Why a decoded picture cannot be converted at the size asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PictureSizeError {
    #[error(
        "the decoder outputs {decoded:?} pictures but the container declares {declared:?}:          refusing to read outside the decoded surface (try --backend cpu)"
    )]
    Mismatch {
        declared: (u32, u32),
        decoded: (u32, u32),
    },
    #[error("a {asked:?} picture was asked of a {surface:?} decoded surface")]
    Surface {
        asked: (u32, u32),
        surface: (u32, u32),
    },
}

/// The size of the pictures the kernels read: the decoder's visible size, which must agree with
/// the size the container declared (when it declares one: `(0, 0)` otherwise) and lie inside the
/// decoder's output surface. Never larger than what NVDEC wrote.
pub fn picture_size(
    declared: (u32, u32),
    geometry: &Geometry,
) -> Result<(u32, u32), PictureSizeError> {
    let decoded = geometry.visible;
    if declared.0 != 0 && declared.1 != 0 && declared != decoded {
        return Err(PictureSizeError::Mismatch { declared, decoded });
    }
    check_inside(decoded, geometry)
}

/// `asked` fits the decoder's output surface.
pub fn check_inside(
    asked: (u32, u32),
    geometry: &Geometry,
) -> Result<(u32, u32), PictureSizeError> {
    let surface = geometry.target;
    if asked.0 > surface.0 || asked.1 > surface.1 || asked.0 == 0 || asked.1 == 0 {
        return Err(PictureSizeError::Surface { asked, surface });
    }
    Ok(asked)
}

/// The rectangle the decoder crops (`display_area`): the visible area, widened to the even
/// target size inside the coded picture (always possible: coded sizes are multiples of 8), so the
/// decoder crops without scaling.
pub fn crop(format: &StreamFormat) -> [u32; 4] {
    let [left, top, right, bottom] = format.display;
    let (width, height) = target_size(format);
    let right = (left + width).min(format.coded_width).max(right);
    let bottom = (top + height).min(format.coded_height).max(bottom);
    [left, top, right, bottom]
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
