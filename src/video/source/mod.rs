//! The input side: demux, pick the video stream, decode it (in software, or with NVDEC through
//! the same [`VideoDecoder`] interface), hand out RGB frames with their real times, and pass the
//! audio packets through untouched.

mod decoder;
mod probe;
mod software;
mod window;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use ff::media::Type;
use ffmpeg_next as ff;

use super::{ColourTags, VideoError};
use crate::frame::RgbFrame;
use crate::timeline::Rational;
pub use decoder::{PictureFormat, PictureTime, Received, VideoDecoder};
pub use probe::declared_frame_size;
use probe::{copied_list, declared_duration, expected_duration, nominal_rate};
pub use software::SoftwareDecoder;

/// The part of the input to process, in seconds of the input's own clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub start: Option<Rational>,
    pub duration: Option<Rational>,
}

/// One decoded video frame (planar RGB in host memory, or a device frame on the CUDA path).
#[derive(Debug)]
pub struct DecodedFrame<F = RgbFrame> {
    /// Presentation time in seconds on the output clock (0 = start of the processed part).
    pub time: Rational,
    /// How long the frame is shown, when the container says.
    pub duration: Option<Rational>,
    pub rgb: F,
}

/// What the source produces next.
pub enum Item<F = RgbFrame> {
    Frame(DecodedFrame<F>),
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
pub struct Source<D: VideoDecoder = SoftwareDecoder> {
    path: PathBuf,
    input: ff::format::context::Input,
    video: usize,
    copied: Vec<usize>,
    decoder: D,
    info: VideoInfo,
    time_base: Rational,
    /// The window on the input clock.
    start: Option<Rational>,
    end: Option<Rational>,
    /// Input clock time of the first frame kept, which becomes output time 0.
    origin: Option<Rational>,
    queue: VecDeque<Item<D::Frame>>,
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

pub(super) fn rational_time(ts: i64, time_base: Rational) -> Rational {
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
        Self::open_with(path, window, max_pixels, |stream| {
            SoftwareDecoder::open(path, stream, max_pixels)
        })
    }
}

impl<D: VideoDecoder> Source<D> {
    /// [`Source::open_limited`] with the decoder `open_decoder` makes for the chosen stream
    /// (called after the declared size has been checked).
    pub fn open_with(
        path: &Path,
        window: Window,
        max_pixels: u64,
        open_decoder: impl FnOnce(&ff::format::stream::Stream) -> Result<D, VideoError>,
    ) -> Result<Self, VideoError> {
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
        let codec = stream.parameters().id();
        let (width, height) = smoothscale_av_ext::declared_size(&stream.parameters());
        check_size(path, width, height, max_pixels)?;
        let base = match stream.start_time() {
            t if t == ff::ffi::AV_NOPTS_VALUE => Rational::ZERO,
            t => rational_time(t, time_base),
        };
        let decoder = open_decoder(&stream)?;
        let copied = copied_list(&input);
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
        // The size, pixel format and colour are those of the first decoded picture (`prime`).
        let info = VideoInfo {
            width,
            height,
            pixel: ff::format::Pixel::None,
            codec,
            tags: ColourTags::untagged(width as usize, height as usize, 8),
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

    /// Takes the stream facts and the colour of the first decoded picture.
    fn describe(&mut self, picture: &D::Picture) -> Result<(), VideoError> {
        let format = self.decoder.describe(picture)?;
        check_size(&self.path, format.width, format.height, self.max_pixels)?;
        self.info.tags = format.tags;
        self.info.width = format.width;
        self.info.height = format.height;
        self.info.pixel = format.pixel;
        self.info.sample_aspect = format.sample_aspect;
        Ok(())
    }

    /// The next frame or copied packet; `None` at the end of the input (or of the window).
    pub fn next_item(&mut self) -> Result<Option<Item<D::Frame>>, VideoError> {
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
                if self.decoder.size(&frame) != (self.info.width, self.info.height) {
                    return Err(VideoError::BadStream(
                        self.path.clone(),
                        "the frame size changes mid-stream",
                    ));
                }
                self.accept(frame)?;
            }
        }
    }

    /// Feeds the decoder until it yields a frame, queueing copied packets on the way.
    fn step(&mut self) -> Result<Option<D::Picture>, VideoError> {
        loop {
            match self.decoder.receive()? {
                Received::Picture(picture) => {
                    self.damaged_in_a_row = 0;
                    return Ok(Some(picture));
                }
                Received::End => {
                    self.video_done = true;
                    self.finished = true;
                    self.check_complete()?;
                    return Ok(None);
                }
                Received::NeedInput => {}
                Received::Damaged if self.damaged_in_a_row < MAX_DAMAGED_IN_A_ROW => {
                    // A damaged frame: the decoder conceals what it can and the timeline holds
                    // the previous frame in its place.
                    self.damaged_in_a_row += 1;
                    self.damaged += 1;
                    log::warn!("{}: a damaged video frame was skipped", self.path.display());
                    continue;
                }
                Received::Damaged => {
                    return Err(VideoError::input(
                        &self.path,
                        "decode video",
                        ff::Error::InvalidData,
                    ))
                }
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
                    self.decoder.send_eof()?;
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
}
