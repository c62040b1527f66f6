//! A video source for the CUDA path: FFmpeg demuxes, [`AnnexB`] rewrites each packet with the
//! stream's parameter sets, NVDEC decodes, and the pictures come out mapped in device memory, in
//! display order, with their presentation times ([`DisplayClock`]). Not yet run on a GPU.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::CudaStream;
use ffmpeg_next as ff;

use super::decoder::{MappedFrame, NvDecoder, NvdecError};
use super::{AnnexB, AnnexBError, DisplayClock, NalCodec, TimestampError};

/// Why the device source stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeviceSourceError {
    #[error("{path}: {what}: {source}")]
    Input {
        path: PathBuf,
        what: &'static str,
        source: ff::Error,
    },
    #[error("{0}: no video stream")]
    NoVideo(PathBuf),
    #[error("{path}: NVDEC decodes H.264 and HEVC here, not {codec:?} (use --backend cpu)")]
    Codec { path: PathBuf, codec: ff::codec::Id },
    #[error("{path}: {source}")]
    AnnexB { path: PathBuf, source: AnnexBError },
    #[error("{path}: {source}")]
    Nvdec { path: PathBuf, source: NvdecError },
    #[error("{path}: {source}")]
    Timestamp {
        path: PathBuf,
        source: TimestampError,
    },
}

/// One displayed picture with its presentation time.
pub struct DeviceFrame {
    /// The mapped surfaces; drop it once converted.
    pub frame: MappedFrame,
    /// Presentation time in [`DeviceSource::time_base`] units.
    pub pts: i64,
    /// The parser did not report a time we sent; `pts` was inferred.
    pub inferred_pts: bool,
}

/// Demuxer → Annex-B → NVDEC, one picture at a time.
pub struct DeviceSource {
    path: PathBuf,
    input: ff::format::context::Input,
    video: usize,
    time_base: ff::Rational,
    annexb: AnnexB,
    clock: DisplayClock,
    decoder: NvDecoder,
    buffer: Vec<u8>,
    end_of_input: bool,
}

impl DeviceSource {
    /// Opens `path`'s best video stream and an NVDEC session for it on `stream`.
    pub fn open(path: &Path, stream: Arc<CudaStream>) -> Result<Self, DeviceSourceError> {
        let input_err = |what| {
            move |source| DeviceSourceError::Input {
                path: path.to_path_buf(),
                what,
                source,
            }
        };
        ff::init().map_err(input_err("initialising FFmpeg"))?;
        let input = ff::format::input(path).map_err(input_err("open"))?;
        let best = input
            .streams()
            .best(ff::media::Type::Video)
            .ok_or_else(|| DeviceSourceError::NoVideo(path.to_path_buf()))?;
        let parameters = best.parameters();
        let codec = match parameters.id() {
            ff::codec::Id::H264 => NalCodec::H264,
            ff::codec::Id::HEVC => NalCodec::Hevc,
            codec => {
                return Err(DeviceSourceError::Codec {
                    path: path.to_path_buf(),
                    codec,
                })
            }
        };
        let annexb =
            AnnexB::new(codec, smoothscale_av_ext::extradata(&parameters)).map_err(|source| {
                DeviceSourceError::AnnexB {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        let time_base = best.time_base();
        let clock = DisplayClock::new(frame_duration(time_base, best.avg_frame_rate()));
        let video = best.index();
        let decoder = NvDecoder::new(stream, codec).map_err(|source| DeviceSourceError::Nvdec {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(DeviceSource {
            path: path.to_path_buf(),
            input,
            video,
            time_base,
            annexb,
            clock,
            decoder,
            buffer: Vec::new(),
            end_of_input: false,
        })
    }

    /// The unit of [`DeviceFrame::pts`].
    pub fn time_base(&self) -> ff::Rational {
        self.time_base
    }

    /// The stream the frames are mapped on: run the conversion kernels on it.
    pub fn stream(&self) -> &Arc<CudaStream> {
        self.decoder.stream()
    }

    /// Pictures the decoder passed over without displaying them.
    pub fn dropped(&self) -> u64 {
        self.clock.dropped()
    }

    /// The next picture in display order, or `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<DeviceFrame>, DeviceSourceError> {
        loop {
            if let Some(frame) = self.decoder.next_frame().map_err(|e| self.nvdec(e))? {
                let shown = self.clock.display(frame.timestamp()).map_err(|source| {
                    DeviceSourceError::Timestamp {
                        path: self.path.clone(),
                        source,
                    }
                })?;
                return Ok(Some(DeviceFrame {
                    frame,
                    pts: shown.pts,
                    inferred_pts: shown.inferred,
                }));
            }
            if self.end_of_input {
                return Ok(None);
            }
            self.feed()?;
        }
    }

    /// Sends the next video packet to the decoder, or the end of the stream.
    fn feed(&mut self) -> Result<(), DeviceSourceError> {
        let mut packet = ff::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.video => break,
                Ok(()) => {}
                Err(ff::Error::Eof) => {
                    self.end_of_input = true;
                    return self.decoder.flush().map_err(|e| self.nvdec(e));
                }
                Err(source) => {
                    return Err(DeviceSourceError::Input {
                        path: self.path.clone(),
                        what: "read",
                        source,
                    })
                }
            }
        }
        let Some(data) = packet.data() else {
            return Ok(());
        };
        self.buffer.clear();
        self.annexb
            .convert(data, &mut self.buffer)
            .map_err(|source| DeviceSourceError::AnnexB {
                path: self.path.clone(),
                source,
            })?;
        let timestamp = self.clock.submit(packet.pts(), packet.dts());
        self.decoder
            .decode(&self.buffer, timestamp)
            .map_err(|e| self.nvdec(e))
    }

    fn nvdec(&self, source: NvdecError) -> DeviceSourceError {
        DeviceSourceError::Nvdec {
            path: self.path.clone(),
            source,
        }
    }
}

/// One frame's duration in `time_base` units (at least 1), from the average frame rate; 1/25 s
/// when the container does not say.
pub fn frame_duration(time_base: ff::Rational, rate: ff::Rational) -> i64 {
    let (tb_num, tb_den) = (
        i64::from(time_base.numerator()),
        i64::from(time_base.denominator()),
    );
    let (mut fr_num, mut fr_den) = (i64::from(rate.numerator()), i64::from(rate.denominator()));
    if fr_num <= 0 || fr_den <= 0 {
        (fr_num, fr_den) = (25, 1);
    }
    if tb_num <= 0 || tb_den <= 0 {
        return 1;
    }
    // (1 / rate) / time_base, rounded to nearest.
    let num = fr_den * tb_den;
    let den = fr_num * tb_num;
    ((num + den / 2) / den).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_duration_in_time_base_units() {
        let r = ff::Rational::new;
        assert_eq!(frame_duration(r(1, 15360), r(30, 1)), 512);
        assert_eq!(frame_duration(r(1, 90000), r(30000, 1001)), 3003);
        assert_eq!(frame_duration(r(1, 1000), r(0, 0)), 40);
        assert_eq!(frame_duration(r(1, 10), r(60, 1)), 1);
        assert_eq!(frame_duration(r(0, 1), r(30, 1)), 1);
    }
}
