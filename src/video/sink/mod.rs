//! The output side: one muxer for both video paths. The video stream is either encoded here in
//! software (libx264 / libx265 with CRF, [`software`]) or arrives already encoded (NVENC's Annex-B
//! packets, [`encoded`]). Either way: colour tags written, the source's stream metadata and side
//! data kept, its audio streams copied through, MP4 written with `+faststart` and HEVC tagged
//! `hvc1`.

mod copies;
mod encoded;
mod format;
mod software;

use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use self::copies::Copied;
pub use self::copies::Copies;
use self::encoded::Encoded;
pub use self::encoded::EncodedStream;
use self::format::{configure, to_ff};
pub use self::format::{container_for, EncodeSettings, VideoCodec, VideoFormat};
use self::software::Software;
use super::VideoError;
use crate::frame::RgbFrame;

/// How the video stream is made.
enum Video {
    Software(Software),
    Encoded(Encoded),
}

/// What a new sink's video stream will be.
enum VideoSpec<'a> {
    Software(&'a EncodeSettings),
    Encoded(EncodedStream<'a>),
}

/// The output file and the index of its video stream.
struct Muxer {
    path: PathBuf,
    output: ff::format::context::Output,
    video_out: usize,
}

impl Muxer {
    fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, what: &'static str, source: ff::Error) -> VideoError {
        output_error(&self.path, what, source)
    }

    /// Writes a video packet whose timestamps are in `time_base`.
    fn write_video(
        &mut self,
        packet: &mut ff::Packet,
        time_base: ff::Rational,
    ) -> Result<(), VideoError> {
        let out_tb = self
            .output
            .stream(self.video_out)
            .map(|s| s.time_base())
            .unwrap_or(time_base);
        packet.set_stream(self.video_out);
        packet.rescale_ts(time_base, out_tb);
        packet
            .write_interleaved(&mut self.output)
            .map_err(|e| self.error("write a video packet", e))
    }
}

/// An open muxer writing one file, with its video encoder or pre-encoded video stream.
pub struct Sink {
    muxer: Muxer,
    video: Video,
    format: VideoFormat,
    copied: Copied,
    frames: u64,
}

impl Sink {
    /// Creates `path` as a `container` file with one encoded video stream and the streams of
    /// `copies` (a source's: [`Copies::of`]), and writes its header.
    pub fn create(
        path: &Path,
        container: &str,
        copies: Copies<'_>,
        format: VideoFormat,
        settings: &EncodeSettings,
    ) -> Result<Self, VideoError> {
        Self::open(
            path,
            container,
            Some(copies),
            format,
            VideoSpec::Software(settings),
        )
    }

    /// Creates `path` with the encoded video stream only: no input to copy streams, metadata or
    /// side data from (synthetic clips, `smoothscale bench`).
    pub fn create_video_only(
        path: &Path,
        container: &str,
        format: VideoFormat,
        settings: &EncodeSettings,
    ) -> Result<Self, VideoError> {
        Self::open(path, container, None, format, VideoSpec::Software(settings))
    }

    /// Creates `path` with a video stream encoded elsewhere (NVENC), written packet by packet with
    /// [`Sink::write_encoded`], and the streams of `copies`, and writes its header. `format` gives
    /// the stream's size, rate, colour tags and sample aspect. A time base that is not positive or
    /// a sequence header that is not Annex-B is refused before the file is created.
    pub fn create_encoded(
        path: &Path,
        container: &str,
        copies: Option<Copies<'_>>,
        format: VideoFormat,
        stream: EncodedStream<'_>,
    ) -> Result<Self, VideoError> {
        stream.check(path)?;
        Self::open(path, container, copies, format, VideoSpec::Encoded(stream))
    }

    fn open(
        path: &Path,
        container: &str,
        copies: Option<Copies<'_>>,
        format: VideoFormat,
        spec: VideoSpec<'_>,
    ) -> Result<Self, VideoError> {
        let out_err = |what| move |e| output_error(path, what, e);
        let mut output = ff::format::output_as(path, container).map_err(out_err("create"))?;
        let global_header = output
            .format()
            .flags()
            .contains(ff::format::Flags::GLOBAL_HEADER);
        let (video, parameters, time_base, codec) = match &spec {
            VideoSpec::Software(settings) => {
                let software = Software::open(path, settings, format, global_header)?;
                let (parameters, tb) = (software.parameters(), software.time_base());
                (Video::Software(software), parameters, tb, settings.codec)
            }
            VideoSpec::Encoded(stream) => {
                let (encoded, parameters) = Encoded::describe(path, stream, format)?;
                let tb = encoded.time_base();
                (Video::Encoded(encoded), parameters, tb, stream.codec)
            }
        };

        let mut stream = output
            .add_stream(ff::encoder::find(ff::codec::Id::None))
            .map_err(out_err("add the video stream"))?;
        let video_out = stream.index();
        stream.set_parameters(parameters);
        if let VideoSpec::Encoded(encoded) = &spec {
            smoothscale_av_ext::set_extradata(&mut stream, encoded.sequence_header)
                .map_err(out_err("set the video stream's sequence header"))?;
        }
        stream.set_time_base(time_base);
        stream.set_avg_frame_rate(to_ff(format.rate));
        if let Some(copies) = &copies {
            copies.describe_video(path, &mut stream)?;
        }
        if codec == VideoCodec::Hevc && container != "matroska" {
            // Apple players want the hvc1 tag in MP4.
            smoothscale_av_ext::set_codec_tag(&mut stream, *b"hvc1");
        }

        let copied = match &copies {
            Some(copies) => Copied::add(&mut output, copies, path)?,
            None => Copied::default(),
        };
        let mut header = ff::Dictionary::new();
        if container != "matroska" {
            header.set("movflags", "+faststart");
        }
        output.write_header_with(header).map_err(out_err(
            "write the header (a copied stream may not fit this container)",
        ))?;
        Ok(Sink {
            muxer: Muxer {
                path: path.to_path_buf(),
                output,
                video_out,
            },
            video,
            format,
            copied,
            frames: 0,
        })
    }

    /// Encodes `rgb` as the next output frame. A sink of pre-encoded video refuses it.
    pub fn write_frame(&mut self, rgb: &RgbFrame) -> Result<(), VideoError> {
        let Video::Software(software) = &mut self.video else {
            return Err(self.wrong_sink("write_frame", "its video arrives already encoded"));
        };
        software.encode(&mut self.muxer, rgb, self.frames, self.format)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes one access unit (Annex-B) of a pre-encoded stream, timestamps in
    /// [`EncodedStream::time_base`]. A sink that encodes its own video refuses it.
    pub fn write_encoded(
        &mut self,
        data: &[u8],
        pts: i64,
        dts: i64,
        keyframe: bool,
    ) -> Result<(), VideoError> {
        let Video::Encoded(encoded) = &self.video else {
            return Err(self.wrong_sink("write_encoded", "it encodes its own video"));
        };
        encoded.write(&mut self.muxer, data, pts, dts, keyframe)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes a packet of a copied stream (timestamps in its input stream's time base).
    pub fn write_packet(&mut self, packet: ff::Packet) -> Result<(), VideoError> {
        self.copied
            .write(&mut self.muxer.output, packet)
            .map_err(|e| self.muxer.error("write an audio packet", e))
    }

    /// Video frames written so far (encoded here or passed in encoded).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes the encoder (if the sink has one) and writes the trailer. Returns the frame count.
    pub fn finish(mut self) -> Result<u64, VideoError> {
        if let Video::Software(software) = &mut self.video {
            software.flush(&mut self.muxer)?;
        }
        self.muxer
            .output
            .write_trailer()
            .map_err(|e| self.muxer.error("finish the file", e))?;
        Ok(self.frames)
    }

    fn wrong_sink(&self, call: &'static str, reason: &'static str) -> VideoError {
        VideoError::WrongSink {
            path: self.muxer.path.clone(),
            call,
            reason,
        }
    }
}

fn output_error(path: &Path, what: &'static str, source: ff::Error) -> VideoError {
    VideoError::Output {
        path: path.to_path_buf(),
        what,
        source,
    }
}
