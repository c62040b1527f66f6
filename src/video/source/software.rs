//! FFmpeg's software decoders behind [`VideoDecoder`]: frames converted to planar RGB `f32` in
//! host memory by [`FrameReader`].

use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::decoder::{PictureFormat, PictureTime, Received, VideoDecoder};
use crate::frame::RgbFrame;
use crate::timeline::Rational;
use crate::video::convert::{FrameReader, YuvLayout};
use crate::video::{ColourTags, VideoError};

/// An open FFmpeg video decoder.
pub struct SoftwareDecoder {
    path: PathBuf,
    decoder: ff::decoder::Video,
    /// Set from the first decoded frame's format.
    reader: Option<FrameReader>,
}

impl SoftwareDecoder {
    /// Opens a frame-threaded decoder for `stream` that refuses frames over `max_pixels`.
    pub fn open(
        path: &Path,
        stream: &ff::format::stream::Stream,
        max_pixels: u64,
    ) -> Result<Self, VideoError> {
        let err = |what: &'static str| move |e| VideoError::input(path, what, e);
        let mut context = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(err("read the video codec parameters"))?;
        context.set_threading(ff::threading::Config::kind(ff::threading::Type::Frame));
        let mut options = ff::Dictionary::new();
        options.set("max_pixels", &max_pixels.min(i64::MAX as u64).to_string());
        let codec = ff::decoder::find(context.id())
            .ok_or(VideoError::NoDecoder(path.to_path_buf(), context.id()))?;
        let decoder = context
            .decoder()
            .open_as_with(codec, options)
            .and_then(|d| d.video())
            .map_err(err("open the video decoder"))?;
        Ok(SoftwareDecoder {
            path: path.to_path_buf(),
            decoder,
            reader: None,
        })
    }
}

impl VideoDecoder for SoftwareDecoder {
    type Picture = ff::frame::Video;
    type Frame = RgbFrame;

    fn send(&mut self, packet: &ff::Packet) -> Result<bool, VideoError> {
        match self.decoder.send_packet(packet) {
            Ok(()) => Ok(true),
            Err(ff::Error::InvalidData) => Ok(false),
            Err(e) => Err(VideoError::input(&self.path, "decode video", e)),
        }
    }

    fn send_eof(&mut self) -> Result<(), VideoError> {
        self.decoder
            .send_eof()
            .map_err(|e| VideoError::input(&self.path, "drain the decoder", e))
    }

    fn receive(&mut self) -> Result<Received<ff::frame::Video>, VideoError> {
        let mut frame = ff::frame::Video::empty();
        match self.decoder.receive_frame(&mut frame) {
            Ok(()) => Ok(Received::Picture(frame)),
            Err(ff::Error::Eof) => Ok(Received::End),
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                Ok(Received::NeedInput)
            }
            Err(ff::Error::InvalidData) => Ok(Received::Damaged),
            Err(e) => Err(VideoError::input(&self.path, "decode video", e)),
        }
    }

    fn size(&self, frame: &ff::frame::Video) -> (u32, u32) {
        (frame.width(), frame.height())
    }

    fn time(&self, frame: &ff::frame::Video) -> PictureTime {
        PictureTime {
            pts: frame.timestamp().or(frame.pts()),
            duration: Some(frame.packet().duration).filter(|&d| d > 0),
        }
    }

    fn describe(&mut self, frame: &ff::frame::Video) -> Result<PictureFormat, VideoError> {
        let bits = YuvLayout::of(frame.format()).map_or(8, |l| l.bits);
        let tags = ColourTags::resolve(
            frame.color_space(),
            frame.color_range(),
            frame.color_primaries(),
            frame.color_transfer_characteristic(),
            frame.chroma_location(),
            (frame.width() as usize, frame.height() as usize, bits),
        );
        self.reader = Some(FrameReader::new(
            frame.format(),
            frame.width(),
            frame.height(),
            tags,
        )?);
        Ok(PictureFormat {
            width: frame.width(),
            height: frame.height(),
            pixel: frame.format(),
            tags,
            sample_aspect: Rational::from(frame.aspect_ratio()),
        })
    }

    fn convert(&mut self, frame: ff::frame::Video) -> Result<RgbFrame, VideoError> {
        let reader = self.reader.as_mut().ok_or(VideoError::BadStream(
            self.path.clone(),
            "a frame arrived before the stream was described",
        ))?;
        reader.read(&frame)
    }
}
