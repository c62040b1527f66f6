//! Device memory that knows what it holds: [`DeviceFrame`] (one frame of a [`FrameLayout`]) and
//! [`TileBatch`] (the model's batch of tile slots). The memory is a cudarc `CudaSlice`, freed when
//! the value drops. The host copies are named `copy_*` and are for tests and diagnostics: the
//! pipeline keeps pixels on the device.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream, CudaView, CudaViewMut};

use super::error::DeviceError;
use super::layout::{FrameLayout, PixelFormat};

/// One frame in device memory.
#[derive(Debug)]
pub struct DeviceFrame {
    layout: FrameLayout,
    data: CudaSlice<u8>,
}

fn alloc_zeroed(stream: &Arc<CudaStream>, bytes: usize) -> Result<CudaSlice<u8>, DeviceError> {
    stream
        .alloc_zeros::<u8>(bytes)
        .map_err(DeviceError::driver(format!("allocating {bytes} bytes")))
}

fn upload(
    stream: &Arc<CudaStream>,
    host: &[u8],
    expected: usize,
) -> Result<CudaSlice<u8>, DeviceError> {
    if host.len() != expected {
        return Err(DeviceError::HostData(format!(
            "{} bytes given for a buffer of {expected}",
            host.len()
        )));
    }
    stream.clone_htod(host).map_err(DeviceError::driver(format!(
        "copying {expected} bytes to the device"
    )))
}

fn download(stream: &Arc<CudaStream>, data: &CudaSlice<u8>) -> Result<Vec<u8>, DeviceError> {
    let doing = || format!("copying {} bytes to the host", data.len());
    let host = stream
        .clone_dtoh(data)
        .map_err(DeviceError::driver(doing()))?;
    stream.synchronize().map_err(DeviceError::driver(doing()))?;
    Ok(host)
}

impl DeviceFrame {
    /// A zeroed frame of `layout`.
    pub fn alloc_zeroed(
        stream: &Arc<CudaStream>,
        layout: FrameLayout,
    ) -> Result<Self, DeviceError> {
        Ok(DeviceFrame {
            layout,
            data: alloc_zeroed(stream, layout.bytes())?,
        })
    }

    /// A frame of `layout` holding a copy of `host` (exactly [`FrameLayout::bytes`] long, in the
    /// layout's arrangement).
    pub fn copy_from_host(
        stream: &Arc<CudaStream>,
        layout: FrameLayout,
        host: &[u8],
    ) -> Result<Self, DeviceError> {
        Ok(DeviceFrame {
            layout,
            data: upload(stream, host, layout.bytes())?,
        })
    }

    /// A copy of the whole frame on the host (waits for the stream).
    pub fn copy_to_host(&self, stream: &Arc<CudaStream>) -> Result<Vec<u8>, DeviceError> {
        download(stream, &self.data)
    }

    pub fn layout(&self) -> &FrameLayout {
        &self.layout
    }

    pub fn format(&self) -> PixelFormat {
        self.layout.format
    }

    /// The context (device) the memory belongs to.
    pub fn context(&self) -> &Arc<CudaContext> {
        self.data.context()
    }

    /// The whole buffer (planar frames: the three planes).
    pub(crate) fn view(&self) -> CudaView<'_, u8> {
        self.data.as_view()
    }

    pub(crate) fn view_mut(&mut self) -> CudaViewMut<'_, u8> {
        self.data.as_view_mut()
    }

    /// The layout and the memory, for launchers that write into memory of other owners too.
    pub(crate) fn parts_mut(&mut self) -> (FrameLayout, &mut CudaSlice<u8>) {
        (self.layout, &mut self.data)
    }

    /// A copy of this frame on the device (same layout), ordered on `stream`.
    pub fn duplicate(&self, stream: &Arc<CudaStream>) -> Result<Self, DeviceError> {
        let data = stream
            .clone_dtod(&self.data)
            .map_err(DeviceError::driver(format!(
                "copying a {} byte frame on the device",
                self.data.len()
            )))?;
        Ok(DeviceFrame {
            layout: self.layout,
            data,
        })
    }

    /// The visible part of a planar RGB f32 frame as a host [`crate::frame::RgbFrame`] (waits
    /// for `stream`). The CUDA path uses it only where NVENC is missing and frames go to the
    /// software encoder.
    pub fn to_rgb_frame(
        &self,
        stream: &Arc<CudaStream>,
    ) -> Result<crate::frame::RgbFrame, DeviceError> {
        let l = self.layout;
        if l.format != PixelFormat::RgbF32 {
            return Err(DeviceError::Layout(format!(
                "{:?} is not planar RGB f32",
                l.format
            )));
        }
        let bytes = self.copy_to_host(stream)?;
        let mut data = Vec::with_capacity(3 * l.width * l.height);
        for plane in 0..3 {
            for row in 0..l.height {
                let start = (plane * l.plane_stride() + row * l.row_stride()) * 4;
                let end = start + l.width * 4;
                let Some(row_bytes) = bytes.get(start..end) else {
                    return Err(DeviceError::HostData(format!(
                        "{} bytes for a {}x{} frame",
                        bytes.len(),
                        l.width,
                        l.height
                    )));
                };
                data.extend(
                    row_bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
        }
        crate::frame::RgbFrame::from_chw(l.width, l.height, data)
            .ok_or_else(|| DeviceError::HostData("frame size".into()))
    }

    /// The luma and chroma planes (Y'CbCr).
    pub(crate) fn planes(&self) -> (CudaView<'_, u8>, CudaView<'_, u8>) {
        self.data.split_at(self.layout.chroma_offset())
    }
}

/// A batch tensor `[tiles, 3, slot_height, slot_width]` of f32 or f16 elements.
#[derive(Debug)]
pub struct TileBatch {
    /// [`PixelFormat::RgbF32`] or [`PixelFormat::RgbF16`].
    pub format: PixelFormat,
    pub tiles: usize,
    pub slot_width: usize,
    pub slot_height: usize,
    data: CudaSlice<u8>,
}

impl TileBatch {
    fn bytes(format: PixelFormat, tiles: usize, w: usize, h: usize) -> Result<usize, DeviceError> {
        if format.is_yuv() || tiles == 0 || w == 0 || h == 0 {
            return Err(DeviceError::Layout(format!(
                "a batch of {tiles} {w}x{h} {format:?} slots"
            )));
        }
        [tiles, 3, w, h, format.sample_bytes()]
            .iter()
            .try_fold(1usize, |acc, &n| acc.checked_mul(n))
            .filter(|&b| b <= i64::MAX as usize && w <= i32::MAX as usize && h <= i32::MAX as usize)
            .ok_or_else(|| {
                DeviceError::Layout(format!("a batch of {tiles} {w}x{h} slots is too large"))
            })
    }

    /// A zeroed batch.
    pub fn alloc_zeroed(
        stream: &Arc<CudaStream>,
        format: PixelFormat,
        tiles: usize,
        slot_width: usize,
        slot_height: usize,
    ) -> Result<Self, DeviceError> {
        let bytes = Self::bytes(format, tiles, slot_width, slot_height)?;
        Ok(TileBatch {
            format,
            tiles,
            slot_width,
            slot_height,
            data: alloc_zeroed(stream, bytes)?,
        })
    }

    /// A batch holding a copy of `host` (a model's output, in tests).
    pub fn copy_from_host(
        stream: &Arc<CudaStream>,
        format: PixelFormat,
        (tiles, slot_width, slot_height): (usize, usize, usize),
        host: &[u8],
    ) -> Result<Self, DeviceError> {
        let bytes = Self::bytes(format, tiles, slot_width, slot_height)?;
        Ok(TileBatch {
            format,
            tiles,
            slot_width,
            slot_height,
            data: upload(stream, host, bytes)?,
        })
    }

    /// The context (device) the memory belongs to.
    pub fn context(&self) -> &Arc<CudaContext> {
        self.data.context()
    }

    /// A copy of the batch on the host (waits for the stream).
    pub fn copy_to_host(&self, stream: &Arc<CudaStream>) -> Result<Vec<u8>, DeviceError> {
        download(stream, &self.data)
    }

    pub(crate) fn view(&self) -> CudaView<'_, u8> {
        self.data.as_view()
    }

    pub(crate) fn view_mut(&mut self) -> CudaViewMut<'_, u8> {
        self.data.as_view_mut()
    }
}
