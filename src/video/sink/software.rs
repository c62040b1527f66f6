//! The software video encoder of a [`Sink`](super::Sink): libx264 or libx265 at a CRF, fed RGB
//! frames converted to the encoder's YUV layout.

use std::path::Path;

use ffmpeg_next as ff;

use super::{configure, output_error, to_ff, EncodeSettings, Muxer, VideoCodec, VideoFormat};
use crate::frame::RgbFrame;
use crate::timeline::Rational;
use crate::video::convert::write_rgb;
use crate::video::VideoError;

/// An open libx264/libx265 encoder.
pub(super) struct Software {
    encoder: ff::encoder::Video,
    pixel: ff::format::Pixel,
    time_base: ff::Rational,
}

impl Software {
    /// Opens the encoder of `settings` for frames of `format` written to `path`; `global_header`
    /// when the container wants the parameter sets out of band (MP4, MOV, MKV).
    pub(super) fn open(
        path: &Path,
        settings: &EncodeSettings,
        format: VideoFormat,
        global_header: bool,
    ) -> Result<Self, VideoError> {
        let out_err = |what| move |e| output_error(path, what, e);
        let name = settings.codec.encoder_name();
        let codec = ff::encoder::find_by_name(name).ok_or(VideoError::MissingEncoder(name))?;
        let pixel = pick_pixel(&codec, format)?;
        let mut context = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(out_err("set up the encoder"))?;
        let time_base = to_ff(format.rate.recip().unwrap_or(Rational::ONE));
        configure(&mut context, format, pixel, time_base);
        if global_header {
            context.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        }
        let mut options = ff::Dictionary::new();
        options.set("crf", &settings.crf.to_string());
        options.set("preset", &settings.preset);
        if settings.codec == VideoCodec::Hevc {
            options.set("x265-params", "log-level=error");
        }
        let encoder = context
            .open_as_with(codec, options)
            .map_err(out_err("open the video encoder"))?;
        Ok(Software {
            encoder,
            pixel,
            time_base,
        })
    }

    /// The stream parameters the encoder produces (codec, size, colour, extradata).
    pub(super) fn parameters(&self) -> ff::codec::Parameters {
        ff::codec::Parameters::from(&self.encoder)
    }

    /// The unit of the packets' timestamps: one frame.
    pub(super) fn time_base(&self) -> ff::Rational {
        self.time_base
    }

    /// Encodes `rgb` as frame number `index` and writes the packets that are ready.
    pub(super) fn encode(
        &mut self,
        muxer: &mut Muxer,
        rgb: &RgbFrame,
        index: u64,
        format: VideoFormat,
    ) -> Result<(), VideoError> {
        // A fresh frame each time: the encoder may still hold a reference to the previous one.
        let mut frame = ff::frame::Video::new(self.pixel, format.width, format.height);
        write_rgb(rgb, &mut frame, format.tags)?;
        frame.set_color_space(format.tags.space_tag());
        frame.set_color_range(format.tags.range_tag());
        frame.set_pts(Some(i64::try_from(index).unwrap_or(i64::MAX)));
        self.encoder
            .send_frame(&frame)
            .map_err(|e| muxer.error("encode video", e))?;
        self.drain(muxer)
    }

    /// Flushes the encoder and writes its last packets.
    pub(super) fn flush(&mut self, muxer: &mut Muxer) -> Result<(), VideoError> {
        self.encoder
            .send_eof()
            .map_err(|e| muxer.error("flush the encoder", e))?;
        self.drain(muxer)
    }

    fn drain(&mut self, muxer: &mut Muxer) -> Result<(), VideoError> {
        let mut packet = ff::Packet::empty();
        loop {
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => muxer.write_video(&mut packet, self.time_base)?,
                Err(ff::Error::Eof) => return Ok(()),
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {
                    return Ok(())
                }
                Err(e) => return Err(muxer.error("encode video", e)),
            }
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
