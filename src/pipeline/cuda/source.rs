//! The CUDA backend's decoded frames: each NVDEC surface converted by our kernel into planar RGB
//! f32 on the device, padded for the models, before the surface goes back to the decoder. The
//! conversion runs on the decode stream and the frame carries its ready event; the host waits
//! for that one conversion (its event) before the surface is unmapped, never for the other
//! streams. Where
//! NVDEC cannot decode the stream (AV1, 4:4:4, a size over its limits), FFmpeg's software decoder
//! stands in and each frame is uploaded ([`UploadingDecoder`]).

use std::sync::Arc;

use cudarc::driver::CudaStream;
use ffmpeg_next as ff;

use crate::cuda::device::{
    DeviceError, DeviceFrame, ForeignYuv, FrameLayout, Kernels, PixelFormat,
};
use crate::frame::RgbFrame;
use crate::nvcodec::decoder::plan::check_inside;
use crate::nvcodec::decoder::{MappedFrame, SurfaceFormat};
use crate::nvcodec::video_decoder::PictureConverter;
use crate::video::{
    PictureFormat, PictureTime, Received, SoftwareDecoder, VideoDecoder, VideoError,
};

/// Converts mapped surfaces into [`DeviceFrame`]s of one planar RGB layout (the models').
pub struct ToDeviceRgb {
    kernels: Arc<Kernels>,
    layout: FrameLayout,
}

impl ToDeviceRgb {
    pub fn new(kernels: Arc<Kernels>, layout: FrameLayout) -> Self {
        ToDeviceRgb { kernels, layout }
    }
}

/// The device format of a surface whose codes have `bits` bits.
pub fn surface_format(format: SurfaceFormat, bits: u32) -> PixelFormat {
    match format {
        SurfaceFormat::Nv12 => PixelFormat::Nv12,
        // 16-bit surfaces hold 10-bit codes unless the stream says otherwise.
        SurfaceFormat::P016 => PixelFormat::P016 {
            sample_shift: 16 - if bits > 8 { bits.min(16) } else { 10 },
        },
    }
}

impl PictureConverter for ToDeviceRgb {
    type Frame = DeviceFrame;
    type Error = DeviceError;

    fn convert(
        &mut self,
        stream: &Arc<CudaStream>,
        picture: &MappedFrame,
        format: &PictureFormat,
    ) -> Result<DeviceFrame, DeviceError> {
        let tags = format.tags;
        // The size described from the first picture, checked against this picture's decoder:
        // the kernel never reads rows or columns NVDEC did not write.
        let (width, height) = check_inside((format.width, format.height), &picture.geometry())
            .map_err(|e| DeviceError::Layout(e.to_string()))?;
        let (width, height) = (width as usize, height as usize);
        let source = ForeignYuv {
            layout: FrameLayout::yuv420(
                surface_format(picture.format(), tags.encoding.bits),
                width,
                height,
                picture.pitch() as usize,
            )?,
            context: stream.context().clone(),
            luma: picture.device_ptr(),
            chroma: picture.chroma_ptr(),
        };
        if (width, height) != (self.layout.width, self.layout.height) {
            return Err(DeviceError::Layout(format!(
                "a {width}x{height} picture for {}x{} frames",
                self.layout.width, self.layout.height
            )));
        }
        let mut frame = DeviceFrame::alloc_zeroed(stream, self.layout)?;
        // SAFETY: the planes are the mapped surface's, which stays mapped until `picture` drops
        // after this function; the host waits below for this conversion to finish, before that.
        let launched = unsafe {
            self.kernels
                .foreign_yuv_to_rgb(stream, &source, tags.encoding, tags.siting, &mut frame)
        };
        // The surface is unmapped when the caller drops `picture`: this conversion must be done
        // (even a failed launch may have queued reads). Only it is waited for, by its event; the
        // model and encode streams keep working on earlier frames meanwhile.
        let waited = match frame.record_ready(stream) {
            Ok(()) => frame.synchronize_ready(),
            Err(e) => {
                // No event: the whole decode stream is waited for instead.
                stream
                    .synchronize()
                    .map_err(DeviceError::driver("waiting for the colour conversion"))?;
                Err(e)
            }
        };
        launched?;
        waited?;
        Ok(frame)
    }
}

/// FFmpeg's software decoder, each frame uploaded into device memory of one planar layout: the
/// CUDA backend's source when NVDEC cannot decode the stream. One host→device copy of every source
/// frame (the run logs that it decodes this way).
pub struct UploadingDecoder {
    inner: SoftwareDecoder,
    stream: Arc<CudaStream>,
    layout: FrameLayout,
}

impl UploadingDecoder {
    pub fn new(inner: SoftwareDecoder, stream: Arc<CudaStream>, layout: FrameLayout) -> Self {
        UploadingDecoder {
            inner,
            stream,
            layout,
        }
    }
}

/// `frame` laid out as `layout` (planar RGB f32, zero padding), as bytes for the upload; `None`
/// when the sizes differ.
pub fn padded_bytes(frame: &RgbFrame, layout: &FrameLayout) -> Option<Vec<u8>> {
    if (frame.width(), frame.height()) != (layout.width, layout.height)
        || layout.format != PixelFormat::RgbF32
    {
        return None;
    }
    let mut bytes = vec![0u8; layout.bytes()];
    for c in 0..3 {
        for (y, row) in frame.plane(c).chunks_exact(layout.width).enumerate() {
            let at = (c * layout.plane_stride() + y * layout.row_stride()) * 4;
            for (x, v) in row.iter().enumerate() {
                bytes[at + 4 * x..at + 4 * x + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    Some(bytes)
}

impl VideoDecoder for UploadingDecoder {
    type Picture = ff::frame::Video;
    type Frame = DeviceFrame;

    fn send(&mut self, packet: &ff::Packet) -> Result<bool, VideoError> {
        self.inner.send(packet)
    }

    fn send_eof(&mut self) -> Result<(), VideoError> {
        self.inner.send_eof()
    }

    fn receive(&mut self) -> Result<Received<ff::frame::Video>, VideoError> {
        self.inner.receive()
    }

    fn size(&self, picture: &ff::frame::Video) -> (u32, u32) {
        self.inner.size(picture)
    }

    fn time(&self, picture: &ff::frame::Video) -> PictureTime {
        self.inner.time(picture)
    }

    fn describe(&mut self, picture: &ff::frame::Video) -> Result<PictureFormat, VideoError> {
        self.inner.describe(picture)
    }

    fn convert(&mut self, picture: ff::frame::Video) -> Result<DeviceFrame, VideoError> {
        let rgb = self.inner.convert(picture)?;
        let upload_error = |e: DeviceError| VideoError::GpuDecode {
            path: std::path::PathBuf::from("(upload)"),
            source: Box::new(e),
        };
        let bytes = padded_bytes(&rgb, &self.layout).ok_or_else(|| {
            upload_error(DeviceError::Layout(format!(
                "a {}x{} frame for {}x{} device frames",
                rgb.width(),
                rgb.height(),
                self.layout.width,
                self.layout.height
            )))
        })?;
        let mut frame =
            DeviceFrame::copy_from_host(&self.stream, self.layout, &bytes).map_err(upload_error)?;
        // The model stream waits for the upload on the device, not the host.
        frame.record_ready(&self.stream).map_err(upload_error)?;
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces_map_to_device_formats_by_bit_depth() {
        assert_eq!(surface_format(SurfaceFormat::Nv12, 8), PixelFormat::Nv12);
        assert_eq!(surface_format(SurfaceFormat::P016, 10), PixelFormat::P010);
        assert_eq!(
            surface_format(SurfaceFormat::P016, 12),
            PixelFormat::P016 { sample_shift: 4 }
        );
        assert_eq!(surface_format(SurfaceFormat::P016, 0), PixelFormat::P010);
        assert_eq!(
            surface_format(SurfaceFormat::P016, 16),
            PixelFormat::P016 { sample_shift: 0 }
        );
    }

    #[test]
    fn uploads_are_padded_with_zeros() {
        let frame = RgbFrame::from_chw(3, 2, (0..18).map(|v| v as f32).collect()).unwrap();
        let layout = FrameLayout::planar(PixelFormat::RgbF32, 3, 2, 4).unwrap();
        let bytes = padded_bytes(&frame, &layout).unwrap();
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(values.len(), 3 * 4 * 4);
        // Plane 1, row 1: the frame's values 9, 10, 11, then padding.
        assert_eq!(values[16 + 4..16 + 8], [9.0, 10.0, 11.0, 0.0]);
        assert!(values[16 + 8..32].iter().all(|&v| v == 0.0));
        let other = FrameLayout::planar(PixelFormat::RgbF32, 4, 2, 1).unwrap();
        assert!(padded_bytes(&frame, &other).is_none());
    }
}
