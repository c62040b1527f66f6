//! The CUDA backend's decoded frames: each NVDEC surface converted by our kernel into planar RGB
//! f32 on the device, padded for the models, before the surface goes back to the decoder.

use std::sync::Arc;

use cudarc::driver::CudaStream;

use crate::cuda::device::{
    DeviceError, DeviceFrame, ForeignYuv, FrameLayout, Kernels, PixelFormat,
};
use crate::nvcodec::decoder::{MappedFrame, SurfaceFormat};
use crate::nvcodec::video_decoder::PictureConverter;
use crate::video::PictureFormat;

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
        let (width, height) = (format.width as usize, format.height as usize);
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
        // after this function; the stream is synchronized below, before that.
        unsafe {
            self.kernels.foreign_yuv_to_rgb(
                stream,
                &source,
                tags.encoding,
                tags.siting,
                &mut frame,
            )?
        };
        // The surface is unmapped when the caller drops `picture`: the kernel must be done.
        stream
            .synchronize()
            .map_err(DeviceError::driver("waiting for the colour conversion"))?;
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
}
