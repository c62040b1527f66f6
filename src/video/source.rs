//! The input side: demux, pick the video stream, decode in software, hand out RGB frames with
//! their real times, and pass the audio packets through untouched.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use ff::media::Type;
use ffmpeg_next as ff;

use super::convert::FrameReader;
use super::{ColourTags, VideoError};
use crate::frame::RgbFrame;
use crate::timeline::Rational;

/// The part of the input to process, in seconds of the input's own clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: Option<Rational>,
    pub duration: Option<Rational>,
}

/// One decoded video frame.
#[derive(Debug)]
pub struct DecodedFrame {
    /// Presentation time in seconds on the output clock (0 = start of the processed part).
    pub time: Rational,
    /// How long the frame is shown, when the container says.
    pub duration: Option<Rational>,
    pub rgb: RgbFrame,
}

/// What the source produces next.
pub enum Item {
    Frame(DecodedFrame),
    /// A packet of a stream copied through (audio), with its timestamps already moved to the
    /// output clock, still in its input stream's time base.
    Packet(ff::Packet),
}

/// Facts about the video stream, known once the first frame is decoded.
#[derive(Debug, Clone, Copy)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    pub pixel: ff::format::Pixel,
    pub codec: ff::codec::Id,
    pub tags: ColourTags,
    /// Pixel aspect ratio (zero when unknown).
    pub sample_aspect: Rational,
    /// The stream's nominal frame rate.
    pub rate: Rational,
    /// One tick of the stream's time base, in seconds.
    pub tick: Rational,
    /// Expected length of the processed part in seconds, if known (for progress).
    pub expected_duration: Option<Rational>,
}

/// A demuxer and decoder over one input file.
pub struct Source {
    path: PathBuf,
    input: ff::format::context::Input,
    video: usize,
    copied: Vec<usize>,
    decoder: ff::decoder::Video,
    /// Set from the first decoded frame's format.
    reader: Option<FrameReader>,
    info: VideoInfo,
    time_base: Rational,
    /// The window on the input clock.
    start: Option<Rational>,
    end: Option<Rational>,
    /// Input clock time of the first frame kept, which becomes output time 0.
    origin: Option<Rational>,
    queue: VecDeque<Item>,
    draining: bool,
    /// No more video frames are wanted (end of the window or of the stream).
    video_done: bool,
    /// Copied streams that may still have packets inside the window.
    open_copies: Vec<usize>,
    finished: bool,
    last_end: Option<Rational>,
    max_pixels: u64,
    /// Where the container says the video ends, on the output clock (when it says).
    declared_end: Option<Rational>,
    damaged: usize,
    damaged_in_a_row: usize,
}

/// Consecutive damaged frames after which decoding gives up.
const MAX_DAMAGED_IN_A_ROW: usize = 64;

/// Frames larger than this are refused by default (a little over 8K UHD, 7680x4320 = 33.2
/// Mpixels); see [`Source::open_limited`].
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

/// Refuses a frame size over the pixel limit.
fn check_size(path: &Path, width: u32, height: u32, max_pixels: u64) -> Result<(), VideoError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(VideoError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
            max_pixels,
        });
    }
    Ok(())
}

fn rational_time(ts: i64, time_base: Rational) -> Rational {
    Rational::from_int(ts) * time_base
}

impl Source {
    /// Opens `path`, selects its best video stream and decodes up to the first frame of `window`,
    /// refusing frames of more than [`DEFAULT_MAX_PIXELS`] pixels.
    pub fn open(path: &Path, window: Window) -> Result<Self, VideoError> {
        Self::open_limited(path, window, DEFAULT_MAX_PIXELS)
    }

    /// [`Source::open`], refusing frames of more than `max_pixels` pixels: the declared size is
    /// checked before the decoder opens, and the decoder itself refuses larger frames later.
    pub fn open_limited(path: &Path, window: Window, max_pixels: u64) -> Result<Self, VideoError> {
        let err = |what: &'static str| move |e| VideoError::input(path, what, e);
        let mut input = ff::format::input(path).map_err(err("open"))?;
        let stream = input
            .streams()
            .best(Type::Video)
            .ok_or_else(|| VideoError::NoVideo(path.to_path_buf()))?;
        let video = stream.index();
        let time_base = Rational::from(stream.time_base());
        if !time_base.is_positive() {
            return Err(VideoError::BadStream(
                path.to_path_buf(),
                "video time base is not positive",
            ));
        }
        let rate = nominal_rate(&stream);
        let mut context = ff::codec::context::Context::from_parameters(stream.parameters())
            .map_err(err("read the video codec parameters"))?;
        context.set_threading(ff::threading::Config::kind(ff::threading::Type::Frame));
        let (width, height) = smoothscale_av_ext::declared_size(&stream.parameters());
        check_size(path, width, height, max_pixels)?;
        let mut options = ff::Dictionary::new();
        options.set("max_pixels", &max_pixels.min(i64::MAX as u64).to_string());
        let codec = ff::decoder::find(context.id())
            .ok_or(VideoError::NoDecoder(path.to_path_buf(), context.id()))?;
        let decoder = context
            .decoder()
            .open_as_with(codec, options)
            .and_then(|d| d.video())
            .map_err(err("open the video decoder"))?;
        let copied = copied_list(&input);
        let base = match stream.start_time() {
            t if t == ff::ffi::AV_NOPTS_VALUE => Rational::ZERO,
            t => rational_time(t, time_base),
        };
        let start = window.start.map(|s| base + s);
        let end = window.duration.map(|d| start.unwrap_or(base) + d);
        if let Some(start) = start.filter(|s| *s > base) {
            let target = start * Rational::from_int(ff::ffi::AV_TIME_BASE.into());
            let ts = i64::try_from(target.floor()).unwrap_or(i64::MAX);
            input.seek(ts, ..ts).map_err(err("seek"))?;
        }
        let declared = declared_duration(&input, video);
        let expected_duration = expected_duration(&input, &declared, window);
        let declared_end = declared.map(|d| d - window.start.unwrap_or(Rational::ZERO));
        let tags = ColourTags::resolve(
            decoder.color_space(),
            decoder.color_range(),
            decoder.color_primaries(),
            decoder.color_transfer_characteristic(),
            decoder.chroma_location(),
            (decoder.width() as usize, decoder.height() as usize, 8),
        );
        let info = VideoInfo {
            width: decoder.width(),
            height: decoder.height(),
            pixel: decoder.format(),
            codec: decoder.id(),
            tags,
            sample_aspect: Rational::ZERO,
            rate,
            tick: time_base,
            expected_duration,
        };
        let open_copies: Vec<usize> = copied_list(&input);
        let mut source = Source {
            path: path.to_path_buf(),
            input,
            video,
            copied,
            decoder,
            reader: None,
            info,
            time_base,
            start,
            end,
            origin: None,
            queue: VecDeque::new(),
            draining: false,
            video_done: false,
            open_copies,
            finished: false,
            last_end: None,
            max_pixels,
            declared_end,
            damaged: 0,
            damaged_in_a_row: 0,
        };
        source.prime()?;
        Ok(source)
    }

    /// Stream facts, including those of the first decoded frame.
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// The demuxer, for copying stream parameters and metadata to the output.
    pub fn input(&self) -> &ff::format::context::Input {
        &self.input
    }

    /// Index of the decoded video stream in the input.
    pub fn video_stream(&self) -> usize {
        self.video
    }

    /// Indices of the input streams copied through.
    pub fn copied_streams(&self) -> &[usize] {
        &self.copied
    }

    /// End of the processed part on the output clock: the last frame's end, or the window's end.
    pub fn end_time(&self) -> Option<Rational> {
        let window_end = self.end.zip(self.origin).map(|(e, o)| e - o);
        match (self.last_end, window_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Decodes until the first frame of the window is queued, setting up the reader from the
    /// first decoded frame's format.
    fn prime(&mut self) -> Result<(), VideoError> {
        let mut first = true;
        while self.origin.is_none() {
            let Some(frame) = self.step()? else {
                return Err(VideoError::NoFrames(self.path.clone()));
            };
            if first {
                self.describe(&frame)?;
                first = false;
            }
            self.accept(frame)?;
        }
        Ok(())
    }

    /// Takes the stream facts and the colour of the first decoded frame.
    fn describe(&mut self, frame: &ff::frame::Video) -> Result<(), VideoError> {
        check_size(&self.path, frame.width(), frame.height(), self.max_pixels)?;
        let bits = super::convert::YuvLayout::of(frame.format()).map_or(8, |l| l.bits);
        self.info.tags = ColourTags::resolve(
            frame.color_space(),
            frame.color_range(),
            frame.color_primaries(),
            frame.color_transfer_characteristic(),
            frame.chroma_location(),
            (frame.width() as usize, frame.height() as usize, bits),
        );
        self.info.width = frame.width();
        self.info.height = frame.height();
        self.info.pixel = frame.format();
        self.info.sample_aspect = Rational::from(frame.aspect_ratio());
        self.reader = Some(FrameReader::new(
            frame.format(),
            frame.width(),
            frame.height(),
            self.info.tags,
        )?);
        Ok(())
    }

    /// The next frame or copied packet; `None` at the end of the input (or of the window).
    pub fn next_item(&mut self) -> Result<Option<Item>, VideoError> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(Some(self.to_output_clock(item)));
            }
            if self.finished {
                return Ok(None);
            }
            if self.video_done {
                self.read_copies_to_end()?;
                continue;
            }
            if let Some(frame) = self.step()? {
                if frame.width() != self.info.width || frame.height() != self.info.height {
                    return Err(VideoError::BadStream(
                        self.path.clone(),
                        "the frame size changes mid-stream",
                    ));
                }
                self.accept(frame)?;
            }
        }
    }

    /// Moves a copied packet's timestamps so that the first kept video frame is time 0.
    fn to_output_clock(&self, item: Item) -> Item {
        let Item::Packet(mut packet) = item else {
            return item;
        };
        let tb = self
            .input
            .stream(packet.stream())
            .map(|s| Rational::from(s.time_base()))
            .filter(|tb| tb.is_positive());
        if let (Some(tb), Some(origin)) = (tb, self.origin) {
            let shift = i64::try_from((origin / tb).round()).unwrap_or(0);
            packet.set_pts(packet.pts().map(|t| t - shift));
            packet.set_dts(packet.dts().map(|t| t - shift));
        }
        Item::Packet(packet)
    }

    /// Converts a decoded frame in the window and queues it.
    fn accept(&mut self, frame: ff::frame::Video) -> Result<(), VideoError> {
        let Some(ts) = frame.timestamp().or(frame.pts()) else {
            log::warn!(
                "{}: a decoded frame has no timestamp; skipped",
                self.path.display()
            );
            return Ok(());
        };
        let time = rational_time(ts, self.time_base);
        if self.start.is_some_and(|start| time < start) {
            return Ok(());
        }
        if self.end.is_some_and(|end| time >= end) {
            self.video_done = true;
            return Ok(());
        }
        let origin = *self.origin.get_or_insert(time);
        let duration = match frame.packet().duration {
            d if d > 0 => Some(rational_time(d, self.time_base)),
            _ => None,
        };
        let period = self.info.rate.recip().unwrap_or(Rational::ZERO);
        self.last_end = Some(time - origin + duration.unwrap_or(period));
        let reader = self.reader.as_mut().ok_or(VideoError::BadStream(
            self.path.clone(),
            "a frame arrived before the stream was described",
        ))?;
        let rgb = reader.read(&frame)?;
        self.queue.push_back(Item::Frame(DecodedFrame {
            time: time - origin,
            duration,
            rgb,
        }));
        Ok(())
    }

    /// After the video's window has ended: reads on for copied packets still inside the window
    /// (files need not interleave their streams), until each copied stream has passed the end.
    fn read_copies_to_end(&mut self) -> Result<(), VideoError> {
        if self.open_copies.is_empty() {
            self.finished = true;
            return Ok(());
        }
        let mut packet = ff::Packet::empty();
        match packet.read(&mut self.input) {
            Ok(()) if packet.stream() != self.video => self.route(packet),
            Ok(()) => Ok(()),
            Err(ff::Error::Eof) => {
                self.finished = true;
                Ok(())
            }
            Err(e) => Err(VideoError::input(&self.path, "read", e)),
        }
    }

    /// Feeds the decoder until it yields a frame, queueing copied packets on the way.
    fn step(&mut self) -> Result<Option<ff::frame::Video>, VideoError> {
        let mut frame = ff::frame::Video::empty();
        loop {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
                    self.damaged_in_a_row = 0;
                    return Ok(Some(frame));
                }
                Err(ff::Error::Eof) => {
                    self.video_done = true;
                    self.finished = true;
                    self.check_complete()?;
                    return Ok(None);
                }
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {}
                Err(ff::Error::InvalidData) if self.damaged_in_a_row < MAX_DAMAGED_IN_A_ROW => {
                    // A damaged frame: the decoder conceals what it can and the timeline holds
                    // the previous frame in its place.
                    self.damaged_in_a_row += 1;
                    self.damaged += 1;
                    log::warn!("{}: a damaged video frame was skipped", self.path.display());
                    continue;
                }
                Err(e) => return Err(VideoError::input(&self.path, "decode video", e)),
            }
            if self.draining {
                // A flushed decoder that still asks for input has nothing more to give.
                self.finished = true;
                return Ok(None);
            }
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => self.route(packet)?,
                Err(ff::Error::Eof) => {
                    self.decoder
                        .send_eof()
                        .map_err(|e| VideoError::input(&self.path, "drain the decoder", e))?;
                    self.draining = true;
                }
                Err(e) => return Err(VideoError::input(&self.path, "read", e)),
            }
        }
    }

    /// At the end of the file: refuses a video stream that stopped well before the duration its
    /// container declares (a cut download or copy), rather than making a short output.
    fn check_complete(&self) -> Result<(), VideoError> {
        let (Some(declared), Some(decoded)) = (self.declared_end, self.last_end) else {
            return Ok(());
        };
        let period = self.info.rate.recip().unwrap_or(Rational::ZERO);
        let slack =
            (period * Rational::from_int(2)).max(Rational::new(1, 2).unwrap_or(Rational::ZERO));
        if decoded + slack < declared {
            return Err(VideoError::Truncated {
                path: self.path.clone(),
                decoded: decoded.to_f64(),
                declared: declared.to_f64(),
            });
        }
        Ok(())
    }

    /// Frames the decoder reported as damaged and skipped.
    pub fn damaged_frames(&self) -> usize {
        self.damaged
    }

    /// Sends a video packet to the decoder, or queues a copied packet on the output clock.
    fn route(&mut self, packet: ff::Packet) -> Result<(), VideoError> {
        let index = packet.stream();
        if index == self.video {
            let result = self.decoder.send_packet(&packet);
            return match result {
                Ok(()) => Ok(()),
                Err(ff::Error::InvalidData) => {
                    log::warn!(
                        "{}: a corrupt video packet was skipped",
                        self.path.display()
                    );
                    Ok(())
                }
                Err(e) => Err(VideoError::input(&self.path, "decode video", e)),
            };
        }
        if !self.copied.contains(&index) {
            return Ok(());
        }
        let Some(stream) = self.input.stream(index) else {
            return Ok(());
        };
        let tb = Rational::from(stream.time_base());
        if let Some(ts) = packet.pts().or(packet.dts()) {
            let time = rational_time(ts, tb);
            if self.end.is_some_and(|e| time >= e) {
                self.open_copies.retain(|&i| i != index);
                return Ok(());
            }
            if self.start.is_some_and(|s| time < s) {
                return Ok(());
            }
        }
        self.queue.push_back(Item::Packet(packet));
        Ok(())
    }
}

/// The streams copied through: every audio stream.
fn copied_list(input: &ff::format::context::Input) -> Vec<usize> {
    input
        .streams()
        .filter(|s| s.parameters().medium() == Type::Audio)
        .map(|s| s.index())
        .collect()
}

/// The stream's nominal rate: its base rate when plausible, else its average rate, else 25.
fn nominal_rate(stream: &ff::format::stream::Stream) -> Rational {
    let plausible = |r: Rational| r.is_positive() && r <= Rational::from_int(240);
    let base = Rational::from(stream.rate());
    let average = Rational::from(stream.avg_frame_rate());
    if plausible(base) {
        base
    } else if plausible(average) {
        average
    } else {
        log::warn!("the video stream declares no usable frame rate; assuming 25 fps");
        Rational::from_int(25)
    }
}

fn stream_duration(input: &ff::format::context::Input, video: usize) -> Option<Rational> {
    let stream = input.stream(video)?;
    match stream.duration() {
        d if d > 0 => Some(rational_time(d, Rational::from(stream.time_base()))),
        _ => None,
    }
}

/// The video stream's duration: its own, or the file's when the video is the only stream (the
/// file's duration also covers audio that may run longer).
fn declared_duration(input: &ff::format::context::Input, video: usize) -> Option<Rational> {
    stream_duration(input, video).or_else(|| match input.duration() {
        d if d > 0 && input.streams().count() == 1 => Some(rational_time(
            d,
            Rational::new(1, ff::ffi::AV_TIME_BASE.into())?,
        )),
        _ => None,
    })
}

fn expected_duration(
    input: &ff::format::context::Input,
    stream: &Option<Rational>,
    window: Window,
) -> Option<Rational> {
    let whole = stream.or_else(|| match input.duration() {
        d if d > 0 => Some(rational_time(
            d,
            Rational::new(1, ff::ffi::AV_TIME_BASE.into())?,
        )),
        _ => None,
    });
    let rest = whole.map(|w| w - window.start.unwrap_or(Rational::ZERO));
    match (rest, window.duration) {
        (Some(r), Some(d)) => Some(r.min(d)),
        (r, d) => r.or(d),
    }
}
