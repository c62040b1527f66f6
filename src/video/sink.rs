//! The output side: software encode (libx264 / libx265 with CRF), colour tags, stream metadata and
//! side data kept, audio streams copied through, MP4 written with `+faststart`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ffmpeg_next as ff;

use super::convert::{write_rgb, YuvLayout};
use super::source::Source;
use super::{ColourTags, VideoError};
use crate::frame::RgbFrame;
use crate::timeline::Rational;

/// The video codec to encode with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Hevc,
}

impl VideoCodec {
    fn encoder_name(self) -> &'static str {
        match self {
            VideoCodec::H264 => "libx264",
            VideoCodec::Hevc => "libx265",
        }
    }
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeSettings {
    pub codec: VideoCodec,
    /// Constant rate factor (lower is better; 18 is visually lossless for most content).
    pub crf: u8,
    /// x264/x265 preset name.
    pub preset: String,
}

/// What the encoder is given: frame size, rate and colour.
#[derive(Debug, Clone, Copy)]
pub struct VideoFormat {
    pub width: u32,
    pub height: u32,
    pub layout: YuvLayout,
    pub tags: ColourTags,
    /// Output frames per second.
    pub rate: Rational,
    /// Pixel aspect ratio (zero when unknown).
    pub sample_aspect: Rational,
}

/// Output container formats, from the destination's extension.
pub fn container_for(path: &Path) -> Result<&'static str, VideoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mp4") | Some("m4v") => Ok("mp4"),
        Some("mov") => Ok("mov"),
        Some("mkv") => Ok("matroska"),
        _ => Err(VideoError::BadOutput(
            path.to_path_buf(),
            "has an extension other than .mp4, .m4v, .mov or .mkv",
        )),
    }
}

/// An open encoder and muxer writing one file.
pub struct Sink {
    path: PathBuf,
    output: ff::format::context::Output,
    encoder: ff::encoder::Video,
    format: VideoFormat,
    pixel: ff::format::Pixel,
    video_out: usize,
    encoder_tb: ff::Rational,
    /// Input stream index → (output stream index, input time base).
    copies: HashMap<usize, (usize, ff::Rational)>,
    frames: u64,
}

impl Sink {
    /// Creates `path` as a `container` file with one encoded video stream and the source's copied
    /// streams, and writes its header.
    pub fn create(
        path: &Path,
        container: &str,
        source: &Source,
        format: VideoFormat,
        settings: &EncodeSettings,
    ) -> Result<Self, VideoError> {
        Self::open(path, container, Some(source), format, settings)
    }

    /// Creates `path` with the encoded video stream only: no input to copy streams, metadata or
    /// side data from (synthetic clips, `smoothscale bench`).
    pub fn create_video_only(
        path: &Path,
        container: &str,
        format: VideoFormat,
        settings: &EncodeSettings,
    ) -> Result<Self, VideoError> {
        Self::open(path, container, None, format, settings)
    }

    fn open(
        path: &Path,
        container: &str,
        source: Option<&Source>,
        format: VideoFormat,
        settings: &EncodeSettings,
    ) -> Result<Self, VideoError> {
        let out_err = |what: &'static str| {
            move |e| VideoError::Output {
                path: path.to_path_buf(),
                what,
                source: e,
            }
        };
        let mut output = ff::format::output_as(path, container).map_err(out_err("create"))?;
        let name = settings.codec.encoder_name();
        let codec = ff::encoder::find_by_name(name).ok_or(VideoError::MissingEncoder(name))?;
        let pixel = pick_pixel(&codec, format)?;
        let global_header = output
            .format()
            .flags()
            .contains(ff::format::Flags::GLOBAL_HEADER);
        let in_video = match source {
            Some(source) => Some(source.input().stream(source.video_stream()).ok_or(
                VideoError::BadStream(path.to_path_buf(), "video stream vanished"),
            )?),
            None => None,
        };

        let mut context = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(out_err("set up the encoder"))?;
        let encoder_tb: ff::Rational = to_ff(format.rate.recip().unwrap_or(Rational::ONE));
        context.set_width(format.width);
        context.set_height(format.height);
        context.set_format(pixel);
        context.set_time_base(encoder_tb);
        context.set_frame_rate(Some(to_ff(format.rate)));
        context.set_colorspace(format.tags.space_tag());
        context.set_color_range(format.tags.range_tag());
        context.set_color_primaries(format.tags.primaries);
        context.set_color_transfer_characteristic(format.tags.transfer);
        smoothscale_av_ext::set_chroma_location(&mut context, format.tags.location_tag());
        if format.sample_aspect.is_positive() {
            context.set_aspect_ratio(to_ff(format.sample_aspect));
        }
        if global_header {
            context.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let mut options = ff::Dictionary::new();
        options.set("crf", &settings.crf.to_string());
        options.set("preset", &settings.preset);
        if settings.codec == VideoCodec::Hevc {
            options.set("x265-params", "log-level=error");
            // Apple players want the hvc1 tag in MP4.
        }
        let encoder = context
            .open_as_with(codec, options)
            .map_err(out_err("open the video encoder"))?;

        let mut stream = output
            .add_stream(codec)
            .map_err(out_err("add the video stream"))?;
        let video_out = stream.index();
        stream.set_parameters(&encoder);
        stream.set_time_base(encoder_tb);
        stream.set_avg_frame_rate(to_ff(format.rate));
        if let Some(in_video) = &in_video {
            stream.set_metadata(without_encoder_tags(in_video.metadata().to_owned()));
            let side = smoothscale_av_ext::copy_side_data(in_video, &mut stream);
            log::debug!("copied {side} side data entries of the video stream");
        }
        if settings.codec == VideoCodec::Hevc && container != "matroska" {
            smoothscale_av_ext::set_codec_tag(&mut stream, *b"hvc1");
        }

        let mut copies = HashMap::new();
        if let Some(source) = source {
            let input = source.input();
            for &index in source.copied_streams() {
                let Some(in_stream) = input.stream(index) else {
                    continue;
                };
                let mut stream = output
                    .add_stream(ff::encoder::find(ff::codec::Id::None))
                    .map_err(out_err("add an audio stream"))?;
                stream.set_parameters(in_stream.parameters());
                smoothscale_av_ext::clear_codec_tag(&mut stream);
                stream.set_time_base(in_stream.time_base());
                stream.set_metadata(in_stream.metadata().to_owned());
                copies.insert(index, (stream.index(), in_stream.time_base()));
            }
            output.set_metadata(input.metadata().to_owned());
        }
        let mut header = ff::Dictionary::new();
        if container != "matroska" {
            header.set("movflags", "+faststart");
        }
        output.write_header_with(header).map_err(out_err(
            "write the header (a copied stream may not fit this container)",
        ))?;
        Ok(Sink {
            path: path.to_path_buf(),
            output,
            encoder,
            format,
            pixel,
            video_out,
            encoder_tb,
            copies,
            frames: 0,
        })
    }

    /// Encodes `rgb` as the next output frame.
    pub fn write_frame(&mut self, rgb: &RgbFrame) -> Result<(), VideoError> {
        // A fresh frame each time: the encoder may still hold a reference to the previous one.
        let mut frame = ff::frame::Video::new(self.pixel, self.format.width, self.format.height);
        write_rgb(rgb, &mut frame, self.format.tags)?;
        frame.set_color_space(self.format.tags.space_tag());
        frame.set_color_range(self.format.tags.range_tag());
        frame.set_pts(Some(i64::try_from(self.frames).unwrap_or(i64::MAX)));
        self.frames += 1;
        self.encoder
            .send_frame(&frame)
            .map_err(|e| self.error("encode video", e))?;
        self.drain()
    }

    /// Writes a packet of a copied stream (timestamps in its input stream's time base).
    pub fn write_packet(&mut self, mut packet: ff::Packet) -> Result<(), VideoError> {
        let Some(&(out, in_tb)) = self.copies.get(&packet.stream()) else {
            return Ok(());
        };
        let out_tb = self
            .output
            .stream(out)
            .map(|s| s.time_base())
            .unwrap_or(in_tb);
        packet.rescale_ts(in_tb, out_tb);
        packet.set_stream(out);
        packet.set_position(-1);
        packet
            .write_interleaved(&mut self.output)
            .map_err(|e| self.error("write an audio packet", e))
    }

    /// Frames encoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes the encoder and writes the trailer.
    pub fn finish(mut self) -> Result<u64, VideoError> {
        self.encoder
            .send_eof()
            .map_err(|e| self.error("flush the encoder", e))?;
        self.drain()?;
        self.output
            .write_trailer()
            .map_err(|e| self.error("finish the file", e))?;
        Ok(self.frames)
    }

    fn drain(&mut self) -> Result<(), VideoError> {
        let out_tb = self
            .output
            .stream(self.video_out)
            .map(|s| s.time_base())
            .unwrap_or(self.encoder_tb);
        let mut packet = ff::Packet::empty();
        loop {
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    packet.set_stream(self.video_out);
                    packet.rescale_ts(self.encoder_tb, out_tb);
                    packet
                        .write_interleaved(&mut self.output)
                        .map_err(|e| self.error("write a video packet", e))?;
                }
                Err(ff::Error::Eof) => return Ok(()),
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                    return Ok(())
                }
                Err(e) => return Err(self.error("encode video", e)),
            }
        }
    }

    fn error(&self, what: &'static str, source: ff::Error) -> VideoError {
        VideoError::Output {
            path: self.path.clone(),
            what,
            source,
        }
    }
}

/// The encoder's pixel format for `format`, falling back to 4:4:4 for odd sizes and to 8-bit
/// 4:2:0 when the encoder lacks the wanted one.
fn pick_pixel(codec: &ff::Codec, format: VideoFormat) -> Result<ff::format::Pixel, VideoError> {
    let mut layout = format.layout.for_output();
    let odd = |shift: u32, n: u32| shift > 0 && n % 2 == 1;
    if odd(layout.shift.0, format.width) || odd(layout.shift.1, format.height) {
        log::warn!(
            "odd frame size {}x{}: writing 4:4:4 chroma",
            format.width,
            format.height
        );
        layout.shift = (0, 0);
    }
    let wanted = layout.pixel();
    let supported: Vec<ff::format::Pixel> = codec
        .video()
        .ok()
        .and_then(|v| v.formats().map(|f| f.collect()))
        .unwrap_or_default();
    if supported.is_empty() || supported.contains(&wanted) {
        return Ok(wanted);
    }
    let fallback = ff::format::Pixel::YUV420P;
    if supported.contains(&fallback) && !(odd(1, format.width) || odd(1, format.height)) {
        log::warn!(
            "{} cannot encode {wanted:?}; using {fallback:?}",
            codec.name()
        );
        return Ok(fallback);
    }
    Err(VideoError::UnsupportedPixel(wanted))
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

fn to_ff(r: Rational) -> ff::Rational {
    let clamp = |v: i128| i32::try_from(v).unwrap_or(i32::MAX);
    if i32::try_from(r.num()).is_ok() && i32::try_from(r.den()).is_ok() {
        ff::Rational::new(clamp(r.num()), clamp(r.den()))
    } else {
        // Too large for FFmpeg's 32-bit fractions: the nearest one it can hold.
        ff::Rational::from(r.to_f64())
    }
}
