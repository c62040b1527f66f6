//! The CUDA backend's output, on the encode stream: each RGB device frame (waited for by its ready
//! event, on the device) converted by our kernel into NVENC's registered input buffer and encoded
//! there, the bitstream muxed by the same FFmpeg muxer as the CPU path (audio copied, colour
//! tagged). NVENC's finished frames are collected a few frames late, so the host does not wait
//! for each frame's encode before submitting the next frames' work. On a GPU without NVENC (A100, H100, H200) the frames
//! are copied to the host and go to the software encoder instead: one device→host copy per
//! output frame, said in the log.

use std::sync::Arc;

use cudarc::driver::CudaStream;
use ffmpeg_next as ff;

use super::nvenc_fallback::{after_nvenc_error, AfterNvencError, NvencStage};
use super::streams::reading;
use super::GpuError;
use crate::colour::Encoding;
use crate::cuda::device::{DeviceFrame, FrameLayout, Kernels, PixelFormat};
use crate::nvcodec::encoder::{EncodedPacket, EncoderSettings, NvEncoder};
use crate::nvcodec::{vui, InputFormat, NvencRequest, Quality};
use crate::pipeline::render::FrameSink;
use crate::pipeline::PipelineError;
use crate::timeline::Rational;
use crate::video::{
    Copies, EncodeSettings, EncodedStream, Sink, VideoCodec, VideoError, VideoFormat, YuvLayout,
};

/// Where the CUDA backend's output frames go: NVENC and the muxer, or (without NVENC) host
/// copies into the software encoder.
pub struct FrameWriter {
    sink: Sink,
    stream: Arc<CudaStream>,
    /// `None`: no NVENC on this GPU.
    nvenc: Option<Box<Nvenc>>,
    host_copies: u64,
}

/// NVENC's session and what feeding it needs.
struct Nvenc {
    encoder: NvEncoder,
    kernels: Arc<Kernels>,
    format: VideoFormat,
    input: FrameLayout,
    next_pts: i64,
}

/// What the writer needs to open.
pub struct WriterSetup<'a> {
    pub path: &'a std::path::Path,
    pub container: &'static str,
    pub copies: Copies<'a>,
    /// The output frames' size, rate and colour.
    pub format: VideoFormat,
    pub codec: VideoCodec,
    /// NVENC constant quality (`--cq`).
    pub cq: u8,
    /// The software encoder's settings, for the fallback.
    pub software: &'a EncodeSettings,
}

/// The NVENC request for `codec` output of `format`: 10-bit (P010 in, Main10 out) only for HEVC
/// from a deeper source, as the software path writes.
pub fn nvenc_request(codec: VideoCodec, format: &VideoFormat, cq: u8) -> NvencRequest {
    let rate = format.rate;
    let frame_rate = (
        u32::try_from(rate.num()).unwrap_or(u32::MAX),
        u32::try_from(rate.den()).unwrap_or(1),
    );
    NvencRequest {
        codec,
        ten_bit: codec == VideoCodec::Hevc && format.layout.bits > 8,
        quality: Quality::ConstantQuality(cq),
        width: format.width,
        height: format.height,
        frame_rate,
        b_frames: 3,
    }
}

impl FrameWriter {
    /// NVENC on `stream` when this GPU has one, else the software encoder.
    pub fn open(
        stream: &Arc<CudaStream>,
        kernels: &Arc<Kernels>,
        setup: WriterSetup<'_>,
    ) -> Result<Self, PipelineError> {
        let request = nvenc_request(setup.codec, &setup.format, setup.cq);
        let settings = EncoderSettings {
            request,
            vui: vui(&setup.format.tags),
            frame_duration: 1,
        };
        match NvEncoder::new(stream.clone(), &settings) {
            Ok(encoder) => {
                let input = FrameLayout::yuv420(
                    match encoder.params().input {
                        InputFormat::Nv12 => PixelFormat::Nv12,
                        InputFormat::P010 => PixelFormat::P010,
                    },
                    setup.format.width as usize,
                    setup.format.height as usize,
                    encoder.pitch() as usize,
                )
                .map_err(GpuError::from)?;
                // What NVENC writes: 4:2:0 at 8 bits, or 10 (P010 in, HEVC Main10 out).
                let format = VideoFormat {
                    layout: YuvLayout {
                        shift: (1, 1),
                        bits: if request.ten_bit { 10 } else { 8 },
                    },
                    ..setup.format
                };
                let stream_info = EncodedStream {
                    codec: setup.codec,
                    sequence_header: encoder.sequence_header(),
                    time_base: setup.format.rate.recip().unwrap_or(Rational::ONE),
                };
                let sink = Sink::create_encoded(
                    setup.path,
                    setup.container,
                    Some(setup.copies),
                    format,
                    stream_info,
                )?;
                log::info!("encoding with NVENC ({:?}, CQ {})", setup.codec, setup.cq);
                Ok(FrameWriter {
                    sink,
                    stream: stream.clone(),
                    nvenc: Some(Box::new(Nvenc {
                        encoder,
                        kernels: kernels.clone(),
                        format,
                        input,
                        next_pts: 0,
                    })),
                    host_copies: 0,
                })
            }
            Err(e) => {
                let warning = match after_nvenc_error(&e, NvencStage::Setup, setup.codec) {
                    AfterNvencError::Software { warning } => warning,
                    AfterNvencError::Fail => return Err(GpuError::Nvenc(e).into()),
                };
                log::warn!("{warning}");
                let sink = Sink::create(
                    setup.path,
                    setup.container,
                    setup.copies,
                    setup.format,
                    setup.software,
                )?;
                Ok(FrameWriter {
                    sink,
                    stream: stream.clone(),
                    nvenc: None,
                    host_copies: 0,
                })
            }
        }
    }
}

fn mux(sink: &mut Sink, packets: Vec<EncodedPacket>) -> Result<(), VideoError> {
    for p in packets {
        sink.write_encoded(&p.data, p.pts, p.dts, p.keyframe)?;
    }
    Ok(())
}

impl FrameSink<DeviceFrame> for FrameWriter {
    fn write(&mut self, frame: &DeviceFrame) -> Result<(), PipelineError> {
        let Some(n) = self.nvenc.as_mut() else {
            // The copy waits for the frame's ready event, then for the encode stream.
            let stream = &*self.stream;
            let host = reading(stream, &[frame], || frame.to_rgb_frame(&self.stream))
                .map_err(GpuError::from)?;
            self.host_copies += 1;
            return Ok(self.sink.write_frame(&host)?);
        };
        let stream = n.encoder.stream().clone();
        let (tags, layout) = (n.format.tags, n.input);
        // The codes fill NVENC's samples: 8 bits in NV12, 10 in P010.
        let encoding = Encoding {
            bits: n.format.layout.bits,
            ..tags.encoding
        };
        let input = n.encoder.next_input().map_err(GpuError::Nvenc)?;
        // The encode stream waits on the device for the model stream's frame; the frame is freed
        // (when the renderer drops it) only after this conversion has read it. NVENC reads the
        // input buffer on the same stream, after the conversion.
        reading(&*stream, &[frame], || {
            n.kernels
                .rgb_to_yuv_into(&stream, frame, encoding, tags.siting, layout, input)
        })
        .map_err(GpuError::from)?;
        let pts = n.next_pts;
        n.next_pts += 1;
        let packets = n.encoder.encode(pts).map_err(GpuError::Nvenc)?;
        Ok(mux(&mut self.sink, packets)?)
    }

    fn copy_packet(&mut self, packet: ff::Packet) -> Result<(), PipelineError> {
        Ok(self.sink.write_packet(packet)?)
    }

    /// Flushes NVENC and writes the trailer; the number of frames written.
    fn finish(mut self) -> Result<u64, PipelineError> {
        if let Some(nvenc) = self.nvenc.as_mut() {
            let packets = nvenc.encoder.finish().map_err(GpuError::Nvenc)?;
            mux(&mut self.sink, packets)?;
        } else {
            log::info!(
                "{} frames were copied to the host for the software encoder",
                self.host_copies
            );
        }
        Ok(self.sink.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::ColourTags;

    fn format(bits: u32) -> VideoFormat {
        VideoFormat {
            width: 3840,
            height: 2176,
            layout: YuvLayout {
                shift: (1, 1),
                bits,
            },
            tags: ColourTags::untagged(3840, 2176, bits),
            rate: Rational::new(60000, 1001).unwrap(),
            sample_aspect: Rational::ZERO,
        }
    }

    #[test]
    fn nvenc_request_follows_the_output() {
        let r = nvenc_request(VideoCodec::Hevc, &format(10), 19);
        assert_eq!((r.width, r.height), (3840, 2176));
        assert_eq!(r.frame_rate, (60000, 1001));
        assert_eq!(r.quality, Quality::ConstantQuality(19));
        assert!(r.ten_bit, "10-bit HEVC stays 10-bit (P010 in, Main10 out)");
        assert!(
            !nvenc_request(VideoCodec::H264, &format(10), 19).ten_bit,
            "H.264 from NVENC is 8-bit"
        );
        assert!(!nvenc_request(VideoCodec::Hevc, &format(8), 19).ten_bit);
    }
}
