//! A video stream that arrives already encoded (NVENC's Annex-B access units): its codec
//! parameters are described from the [`VideoFormat`] and the sequence header, and its packets are
//! muxed as they come. FFmpeg's MP4/MOV and Matroska muxers turn the Annex-B parameter sets into
//! `avcC`/`hvcC` and the packets into length-prefixed NAL units themselves.

use std::path::Path;

use ffmpeg_next as ff;

use super::{configure, output_error, to_ff, Muxer, VideoCodec, VideoFormat};
use crate::timeline::Rational;
use crate::video::VideoError;

/// A pre-encoded video stream, as [`Sink::create_encoded`](super::Sink::create_encoded) takes it.
#[derive(Debug, Clone, Copy)]
pub struct EncodedStream<'a> {
    /// H.264 or HEVC.
    pub codec: VideoCodec,
    /// The Annex-B parameter sets (SPS/PPS, and VPS for HEVC): the stream's extradata.
    pub sequence_header: &'a [u8],
    /// The unit of the `pts`/`dts` given to [`Sink::write_encoded`](super::Sink::write_encoded).
    pub time_base: Rational,
}

impl EncodedStream<'_> {
    /// Refuses a stream the muxer could not describe: a time base that is not positive, or a
    /// sequence header that is not Annex-B (an `avcC`/`hvcC` record would not match the Annex-B
    /// packets, and the muxer would write a broken file).
    pub(super) fn check(&self, path: &Path) -> Result<(), VideoError> {
        if !self.time_base.is_positive() {
            return Err(VideoError::BadOutput(
                path.to_path_buf(),
                "the encoded stream's time base is not positive",
            ));
        }
        let header = self.sequence_header;
        if !(header.starts_with(&[0, 0, 1]) || header.starts_with(&[0, 0, 0, 1])) {
            return Err(VideoError::BadOutput(
                path.to_path_buf(),
                "the encoded stream's sequence header is not Annex-B parameter sets",
            ));
        }
        Ok(())
    }
}

/// The muxing state of a pre-encoded stream.
pub(super) struct Encoded {
    time_base: ff::Rational,
    /// One frame at the format's rate, in `time_base` units (the packets' duration; 0 when the
    /// rate is unknown).
    frame_duration: i64,
}

impl Encoded {
    /// Describes `stream`: its parameters (codec, size, colour, sample aspect; the sequence header
    /// is set on the output stream itself) and its muxing state.
    pub(super) fn describe(
        path: &Path,
        stream: &EncodedStream<'_>,
        format: VideoFormat,
    ) -> Result<(Self, ff::codec::Parameters), VideoError> {
        let mut parameters = ff::codec::Parameters::new();
        parameters.set_medium(ff::media::Type::Video);
        parameters.set_id(match stream.codec {
            VideoCodec::H264 => ff::codec::Id::H264,
            VideoCodec::Hevc => ff::codec::Id::HEVC,
        });
        // A context that is never opened, so the shared setters describe the stream exactly as
        // they describe the software encoder's.
        let mut context = ff::codec::Context::from_parameters(parameters)
            .and_then(|c| c.encoder().video())
            .map_err(|e| output_error(path, "describe the encoded video stream", e))?;
        let time_base = to_ff(stream.time_base);
        configure(
            &mut context,
            format,
            format.layout.for_output().pixel(),
            time_base,
        );
        // 0 when the rate is unknown: the muxer then guesses the last frame's duration.
        let frame_duration = format.rate.recip().map_or(0, |frame| {
            i64::try_from((frame / stream.time_base).round()).map_or(0, |d| d.max(0))
        });
        let encoded = Encoded {
            time_base,
            frame_duration,
        };
        Ok((encoded, ff::codec::Parameters::from(&context)))
    }

    /// The unit of the packets' timestamps.
    pub(super) fn time_base(&self) -> ff::Rational {
        self.time_base
    }

    /// Muxes one Annex-B access unit.
    pub(super) fn write(
        &self,
        muxer: &mut Muxer,
        data: &[u8],
        pts: i64,
        dts: i64,
        keyframe: bool,
    ) -> Result<(), VideoError> {
        if data.is_empty() {
            return Err(VideoError::BadOutput(
                muxer.path().to_path_buf(),
                "an encoded video packet is empty",
            ));
        }
        let mut packet = ff::Packet::copy(data);
        packet.set_pts(Some(pts));
        packet.set_dts(Some(dts));
        packet.set_duration(self.frame_duration);
        if keyframe {
            packet.set_flags(ff::packet::Flags::KEY);
        }
        muxer.write_video(&mut packet, self.time_base)
    }
}
