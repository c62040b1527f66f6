//! NVDEC behind the source's [`VideoDecoder`] interface: the shared demuxer hands over the video
//! packets, [`AnnexB`] rewrites each with the stream's parameter sets, NVDEC decodes, and each
//! displayed picture comes out mapped in device memory with its presentation time
//! ([`DisplayClock`]). A [`PictureConverter`] turns the mapped surface into what the pipeline
//! keeps (planar RGB on the device; a host copy in tests) before the surface goes back to NVDEC.
//! Compiled here, not yet run on a GPU.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::CudaStream;
use ffmpeg_next as ff;

use super::decoder::plan::picture_size;
use super::decoder::{MappedFrame, NvDecoder, NvdecError, SurfaceFormat};
use super::{AnnexB, DisplayClock, NalCodec};
use crate::timeline::Rational;
use crate::video::{ColourTags, PictureFormat, PictureTime, Received, VideoDecoder, VideoError};

/// Turns a mapped NVDEC surface into the frame the pipeline keeps. The surface is unmapped
/// when [`PictureConverter::convert`] returns, so the conversion must be complete by then (or
/// ordered before the unmap on `stream`).
pub trait PictureConverter {
    /// What a picture becomes.
    type Frame;
    /// Why a conversion failed.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Converts `picture`, whose visible size is in `format`.
    fn convert(
        &mut self,
        stream: &Arc<CudaStream>,
        picture: &MappedFrame,
        format: &PictureFormat,
    ) -> Result<Self::Frame, Self::Error>;
}

/// Why [`NvdecDecoder::open`] refuses a stream of another codec.
pub const NVDEC_CODECS: &str = "NVDEC is used for H.264 and HEVC only";

/// Whether `error` says that NVDEC cannot decode the stream (its codec, this GPU's decoder
/// capabilities, or pictures of another size than the container declares), so that a software
/// decoder may take over.
pub fn cannot_decode(error: &VideoError) -> bool {
    match error {
        VideoError::BadStream(_, why) => *why == NVDEC_CODECS,
        VideoError::GpuDecode { source, .. } => matches!(
            source.downcast_ref::<NvdecError>(),
            Some(NvdecError::Caps(_) | NvdecError::PictureSize(_))
        ),
        _ => false,
    }
}

/// One displayed picture: the mapped surface and its presentation time.
pub struct DisplayedPicture {
    pub frame: MappedFrame,
    pub pts: i64,
}

/// An NVDEC session fed by the source's demuxer.
pub struct NvdecDecoder<C> {
    path: PathBuf,
    annexb: AnnexB,
    clock: DisplayClock,
    decoder: NvDecoder,
    declared: ((u32, u32), smoothscale_av_ext::DeclaredColour),
    format: Option<PictureFormat>,
    converter: C,
    buffer: Vec<u8>,
    eof_sent: bool,
}

impl<C: PictureConverter> NvdecDecoder<C> {
    /// Opens NVDEC (`libnvcuvid.so.1`) for `stream` on `cuda`'s context. H.264 and HEVC only.
    pub fn open(
        path: &Path,
        stream: &ff::format::stream::Stream,
        cuda: Arc<CudaStream>,
        converter: C,
    ) -> Result<Self, VideoError> {
        let parameters = stream.parameters();
        let codec = match parameters.id() {
            ff::codec::Id::H264 => NalCodec::H264,
            ff::codec::Id::HEVC => NalCodec::Hevc,
            _ => return Err(VideoError::BadStream(path.to_path_buf(), NVDEC_CODECS)),
        };
        let annexb = AnnexB::new(codec, smoothscale_av_ext::extradata(&parameters))
            .map_err(|e| gpu_error(path, e))?;
        let clock = DisplayClock::new(frame_duration(stream.time_base(), stream.avg_frame_rate()));
        let decoder = NvDecoder::new(cuda, codec).map_err(|e| gpu_error(path, e))?;
        Ok(NvdecDecoder {
            path: path.to_path_buf(),
            annexb,
            clock,
            decoder,
            declared: (
                smoothscale_av_ext::declared_size(&parameters),
                smoothscale_av_ext::declared_colour(&parameters),
            ),
            format: None,
            converter,
            buffer: Vec::new(),
            eof_sent: false,
        })
    }

    /// Pictures the decoder passed over without displaying them.
    pub fn dropped(&self) -> u64 {
        self.clock.dropped()
    }

    /// The stream the surfaces are mapped on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        self.decoder.stream()
    }
}

fn gpu_error(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> VideoError {
    VideoError::GpuDecode {
        path: path.to_path_buf(),
        source: Box::new(e),
    }
}

impl<C: PictureConverter> VideoDecoder for NvdecDecoder<C> {
    type Picture = DisplayedPicture;
    type Frame = C::Frame;

    fn send(&mut self, packet: &ff::Packet) -> Result<bool, VideoError> {
        let Some(data) = packet.data() else {
            return Ok(true);
        };
        self.buffer.clear();
        if let Err(e) = self.annexb.convert(data, &mut self.buffer) {
            log::warn!("{}: {e}", self.path.display());
            return Ok(false);
        }
        let timestamp = self.clock.submit(packet.pts(), packet.dts());
        self.decoder
            .decode(&self.buffer, timestamp)
            .map_err(|e| gpu_error(&self.path, e))?;
        Ok(true)
    }

    fn send_eof(&mut self) -> Result<(), VideoError> {
        self.eof_sent = true;
        self.decoder.flush().map_err(|e| gpu_error(&self.path, e))
    }

    fn receive(&mut self) -> Result<Received<DisplayedPicture>, VideoError> {
        match self.decoder.next_frame() {
            Ok(Some(frame)) => {
                let shown = self
                    .clock
                    .display(frame.timestamp())
                    .map_err(|e| gpu_error(&self.path, e))?;
                Ok(Received::Picture(DisplayedPicture {
                    frame,
                    pts: shown.pts,
                }))
            }
            Ok(None) if self.eof_sent => Ok(Received::End),
            Ok(None) => Ok(Received::NeedInput),
            Err(NvdecError::PictureFailed { picture }) => {
                log::debug!("NVDEC picture {picture} failed");
                Ok(Received::Damaged)
            }
            Err(e) => Err(gpu_error(&self.path, e)),
        }
    }

    fn size(&self, picture: &DisplayedPicture) -> (u32, u32) {
        // The visible size of the decoder that decoded this picture: a new sequence of another
        // size (the parser's sequence callback creates a decoder for it) shows up here, and the
        // source refuses the change before the picture is converted.
        picture.frame.visible_size()
    }

    fn time(&self, picture: &DisplayedPicture) -> PictureTime {
        PictureTime {
            pts: Some(picture.pts),
            duration: None,
        }
    }

    fn describe(&mut self, picture: &DisplayedPicture) -> Result<PictureFormat, VideoError> {
        let (declared, colour) = self.declared;
        // The decoder's size, never the container's alone: the kernels read this many rows of
        // the mapped surface.
        let (width, height) = picture_size(declared, &picture.frame.geometry())
            .map_err(|e| gpu_error(&self.path, NvdecError::from(e)))?;
        let (pixel, bits) = match picture.frame.format() {
            SurfaceFormat::Nv12 => (ff::format::Pixel::NV12, 8),
            SurfaceFormat::P016 => (
                ff::format::Pixel::P016LE,
                if colour.bits > 8 { colour.bits } else { 10 },
            ),
        };
        let format = PictureFormat {
            width,
            height,
            pixel,
            tags: ColourTags::resolve(
                colour.space,
                colour.range,
                colour.primaries,
                colour.transfer,
                colour.location,
                (width as usize, height as usize, bits),
            ),
            sample_aspect: Rational::ZERO,
        };
        self.format = Some(format);
        Ok(format)
    }

    fn convert(&mut self, picture: DisplayedPicture) -> Result<C::Frame, VideoError> {
        let format = self.format.ok_or(VideoError::BadStream(
            self.path.clone(),
            "a frame arrived before the stream was described",
        ))?;
        let stream = self.decoder.stream().clone();
        let frame = self
            .converter
            .convert(&stream, &picture.frame, &format)
            .map_err(|e| gpu_error(&self.path, e))?;
        // `picture` drops here: the surface is unmapped.
        Ok(frame)
    }
}

/// One frame's duration in `time_base` units (at least 1), from the average frame rate; 1/25 s
/// when the container does not say.
pub fn frame_duration(time_base: ff::Rational, rate: ff::Rational) -> i64 {
    let (tb_num, tb_den) = (
        i64::from(time_base.numerator()),
        i64::from(time_base.denominator()),
    );
    let (mut fr_num, mut fr_den) = (i64::from(rate.numerator()), i64::from(rate.denominator()));
    if fr_num <= 0 || fr_den <= 0 {
        (fr_num, fr_den) = (25, 1);
    }
    if tb_num <= 0 || tb_den <= 0 {
        return 1;
    }
    // (1 / rate) / time_base, rounded to nearest.
    let num = fr_den * tb_den;
    let den = fr_num * tb_num;
    ((num + den / 2) / den).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_duration_in_time_base_units() {
        let r = ff::Rational::new;
        assert_eq!(frame_duration(r(1, 15360), r(30, 1)), 512);
        assert_eq!(frame_duration(r(1, 90000), r(30000, 1001)), 3003);
        assert_eq!(frame_duration(r(1, 1000), r(0, 0)), 40);
        assert_eq!(frame_duration(r(1, 10), r(60, 1)), 1);
        assert_eq!(frame_duration(r(0, 1), r(30, 1)), 1);
    }
}
