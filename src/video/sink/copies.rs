//! The streams an output takes from an input: the audio streams copied packet for packet, the
//! container metadata, and the video stream's metadata and side data.

use std::collections::HashMap;
use std::path::Path;

use ffmpeg_next as ff;

use super::output_error;
use crate::video::source::{Source, VideoDecoder};
use crate::video::VideoError;

/// Where the streams copied to the output come from: an open input, its video stream (whose
/// metadata and side data the output's video stream takes) and the streams copied whole.
#[derive(Clone, Copy)]
pub struct Copies<'a> {
    /// The demuxer the copied packets come from.
    pub input: &'a ff::format::context::Input,
    /// The index of its video stream.
    pub video: usize,
    /// The indices of the streams copied packet for packet (audio).
    pub streams: &'a [usize],
}

impl<'a> Copies<'a> {
    /// The streams a [`Source`] passes through.
    pub fn of<D: VideoDecoder>(source: &'a Source<D>) -> Copies<'a> {
        Copies {
            input: source.input(),
            video: source.video_stream(),
            streams: source.copied_streams(),
        }
    }

    /// Gives the output's video stream the input video stream's metadata (less its encoder tag)
    /// and side data (display matrix, HDR metadata).
    pub(super) fn describe_video(
        &self,
        path: &Path,
        stream: &mut ff::format::stream::StreamMut,
    ) -> Result<(), VideoError> {
        let in_video = self.input.stream(self.video).ok_or(VideoError::BadStream(
            path.to_path_buf(),
            "video stream vanished",
        ))?;
        stream.set_metadata(without_encoder_tags(in_video.metadata().to_owned()));
        let side = smoothscale_av_ext::copy_side_data(&in_video, stream);
        log::debug!("copied {side} side data entries of the video stream");
        Ok(())
    }
}

/// The copied streams of an output: input stream index → (output stream index, input time base).
#[derive(Default)]
pub(super) struct Copied(HashMap<usize, (usize, ff::Rational)>);

impl Copied {
    /// Adds an output stream for each stream of `copies` and takes the input's metadata.
    pub(super) fn add(
        output: &mut ff::format::context::Output,
        copies: &Copies<'_>,
        path: &Path,
    ) -> Result<Self, VideoError> {
        let mut copied = HashMap::new();
        for &index in copies.streams {
            let Some(in_stream) = copies.input.stream(index) else {
                continue;
            };
            let mut stream = output
                .add_stream(ff::encoder::find(ff::codec::Id::None))
                .map_err(|e| output_error(path, "add an audio stream", e))?;
            stream.set_parameters(in_stream.parameters());
            smoothscale_av_ext::clear_codec_tag(&mut stream);
            stream.set_time_base(in_stream.time_base());
            stream.set_metadata(in_stream.metadata().to_owned());
            copied.insert(index, (stream.index(), in_stream.time_base()));
        }
        output.set_metadata(copies.input.metadata().to_owned());
        Ok(Copied(copied))
    }

    /// Writes a packet of a copied stream (timestamps in its input stream's time base); packets of
    /// other streams are dropped.
    pub(super) fn write(
        &self,
        output: &mut ff::format::context::Output,
        mut packet: ff::Packet,
    ) -> Result<(), ff::Error> {
        let Some(&(out, in_tb)) = self.0.get(&packet.stream()) else {
            return Ok(());
        };
        let out_tb = output.stream(out).map(|s| s.time_base()).unwrap_or(in_tb);
        packet.rescale_ts(in_tb, out_tb);
        packet.set_stream(out);
        packet.set_position(-1);
        packet.write_interleaved(output)
    }
}

fn without_encoder_tags(mut metadata: ff::Dictionary<'static>) -> ff::Dictionary<'static> {
    let kept: Vec<(String, String)> = metadata
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("encoder"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    metadata = ff::Dictionary::new();
    for (k, v) in kept {
        metadata.set(&k, &v);
    }
    metadata
}
