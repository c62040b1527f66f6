//! Video I/O through the FFmpeg libraries: demux and software decode into RGB frames, software
//! encode (or take NVENC's encoded packets) and mux back, colour tags honoured, audio copied
//! through, outputs written atomically.

mod convert;
mod partial;
mod sink;
mod source;
mod tags;

use std::path::{Path, PathBuf};

pub use convert::{FrameReader, YuvLayout};
pub use partial::{
    leftovers as partial_leftovers, remove_pending as remove_pending_partials, PartialFile,
};
pub use sink::{
    container_for, Copies, EncodeSettings, EncodedStream, Sink, VideoCodec, VideoFormat,
};
pub use source::{
    declared_frame_size, DecodedFrame, Item, PictureFormat, PictureTime, Received, SoftwareDecoder,
    Source, VideoDecoder, VideoInfo, Window, DEFAULT_MAX_PIXELS,
};
pub use tags::ColourTags;

/// Errors of video input and output, each naming the file and the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{}: cannot {what}: {source}", path.display())]
    Input {
        path: PathBuf,
        what: &'static str,
        source: ffmpeg_next::Error,
    },
    #[error(
        "{}: frames of {width}x{height} are {:.1} megapixels, over the limit of {:.1} \
         (--max-pixels or SMOOTHSCALE_MAX_PIXELS)",
        path.display(),
        f64::from(*width) * f64::from(*height) / 1e6,
        *max_pixels as f64 / 1e6
    )]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("{}: no decoder for {:?} video in this FFmpeg build", .0.display(), .1)]
    NoDecoder(PathBuf, ffmpeg_next::codec::Id),
    #[error(
        "{}: the video stops at {decoded:.2} s of the {declared:.2} s its container declares: \
         the file looks truncated",
        path.display()
    )]
    Truncated {
        path: PathBuf,
        decoded: f64,
        declared: f64,
    },
    #[error("{}: GPU decoding failed: {source}", path.display())]
    GpuDecode {
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{}: no video stream", .0.display())]
    NoVideo(PathBuf),
    #[error("{}: the video stream has no decodable frames", .0.display())]
    NoFrames(PathBuf),
    #[error("{}: {}", .0.display(), .1)]
    BadStream(PathBuf, &'static str),
    #[error("output {}: {}", .0.display(), .1)]
    BadOutput(PathBuf, &'static str),
    #[error("output {}: cannot {what}: {source}", path.display())]
    Output {
        path: PathBuf,
        what: &'static str,
        source: ffmpeg_next::Error,
    },
    #[error("{}: cannot {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    /// A call that does not fit how the sink makes its video: frames given to a sink of
    /// pre-encoded packets, or encoded packets to a sink that encodes its own.
    #[error("output {}: {call} is not possible: {reason}", path.display())]
    WrongSink {
        path: PathBuf,
        call: &'static str,
        reason: &'static str,
    },
    #[error("cannot {0}: {1}")]
    Ffmpeg(&'static str, ffmpeg_next::Error),
    #[error("pixel format {0:?} is not supported")]
    UnsupportedPixel(ffmpeg_next::format::Pixel),
    #[error("the encoder {0} is not in this FFmpeg build")]
    MissingEncoder(&'static str),
}

impl VideoError {
    pub(crate) fn input(path: &Path, what: &'static str, source: ffmpeg_next::Error) -> Self {
        VideoError::Input {
            path: path.to_path_buf(),
            what,
            source,
        }
    }

    pub(crate) fn ffmpeg(what: &'static str, source: ffmpeg_next::Error) -> Self {
        VideoError::Ffmpeg(what, source)
    }
}

/// Initialises the FFmpeg libraries once; `verbose` lets their own log through.
pub fn init(verbose: bool) -> Result<(), VideoError> {
    ffmpeg_next::init().map_err(|e| VideoError::ffmpeg("initialise FFmpeg", e))?;
    ffmpeg_next::util::log::set_level(if verbose {
        ffmpeg_next::util::log::Level::Info
    } else {
        ffmpeg_next::util::log::Level::Fatal
    });
    Ok(())
}
