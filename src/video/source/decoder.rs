//! What the source needs from a video decoder: packets in, pictures out, and each picture's time,
//! format and converted frame. FFmpeg's software decoders ([`super::SoftwareDecoder`]) give RGB
//! frames in host memory; NVDEC (`crate::nvcodec`) gives RGB frames in device memory. Demuxing,
//! the processed window, the output clock and the copied streams are the source's, shared by both.

use ffmpeg_next as ff;

use super::super::{ColourTags, VideoError};
use crate::timeline::Rational;

/// What the decoder returned when asked for a picture.
pub enum Received<P> {
    /// A picture in display order.
    Picture(P),
    /// It needs another packet first.
    NeedInput,
    /// The end of the stream has been sent and everything is out.
    End,
    /// A picture was damaged beyond use; the decoder goes on with the next.
    Damaged,
}

/// A picture's presentation time and duration, in the video stream's time base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureTime {
    pub pts: Option<i64>,
    pub duration: Option<i64>,
}

/// The stream facts read from the first picture.
#[derive(Debug, Clone, Copy)]
pub struct PictureFormat {
    pub width: u32,
    pub height: u32,
    pub pixel: ff::format::Pixel,
    pub tags: ColourTags,
    /// Pixel aspect ratio (zero when unknown).
    pub sample_aspect: Rational,
}

/// A video decoder the source drives.
pub trait VideoDecoder {
    /// A decoded picture as the decoder hands it out.
    type Picture;
    /// A picture converted for the pipeline (planar RGB, on the host or the device).
    type Frame;

    /// Sends one packet of the video stream; `Ok(false)` when it was corrupt and skipped.
    fn send(&mut self, packet: &ff::Packet) -> Result<bool, VideoError>;
    /// Sends the end of the stream, after which [`VideoDecoder::receive`] drains the decoder.
    fn send_eof(&mut self) -> Result<(), VideoError>;
    /// The next picture, if one is ready.
    fn receive(&mut self) -> Result<Received<Self::Picture>, VideoError>;
    /// The picture's visible size.
    fn size(&self, picture: &Self::Picture) -> (u32, u32);
    /// When `picture` is shown.
    fn time(&self, picture: &Self::Picture) -> PictureTime;
    /// The stream facts of the first picture; called once, before any conversion.
    fn describe(&mut self, picture: &Self::Picture) -> Result<PictureFormat, VideoError>;
    /// Converts a picture inside the processed window.
    fn convert(&mut self, picture: Self::Picture) -> Result<Self::Frame, VideoError>;
}
