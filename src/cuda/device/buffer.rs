//! Device memory that knows what it holds: [`DeviceFrame`] (one frame of a [`FrameLayout`]) and
//! [`TileBatch`] (the model's batch of tile slots, in `tile_batch`). The memory is a cudarc
//! `CudaSlice`, freed when the value drops. The host copies are named `copy_*` and are for tests and diagnostics: the
//! pipeline keeps pixels on the device.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream, CudaView, CudaViewMut};

use super::copies::{count, CopyKind, Direction};
use super::error::DeviceError;
use super::layout::{FrameLayout, PixelFormat};
use super::sync::FrameSync;
pub use super::tile_batch::{slot_elements, TileBatch};

/// One frame in device memory, with the events that order its use across streams
/// ([`FrameSync`]): producers call [`DeviceFrame::record_ready`], readers on another stream
/// [`DeviceFrame::wait_ready`] before and [`DeviceFrame::record_read`] after their reads.
#[derive(Debug)]
pub struct DeviceFrame {
    layout: FrameLayout,
    pub(super) data: CudaSlice<u8>,
    pub(super) sync: FrameSync,
}

pub(super) fn alloc_zeroed(
    stream: &Arc<CudaStream>,
    bytes: usize,
) -> Result<CudaSlice<u8>, DeviceError> {
    stream
        .alloc_zeros::<u8>(bytes)
        .map_err(DeviceError::driver(format!("allocating {bytes} bytes")))
}

pub(super) fn upload(
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
    let data = stream
        .clone_htod(host)
        .map_err(DeviceError::driver(format!(
            "copying {expected} bytes to the device"
        )))?;
    count(CopyKind::Pixels, Direction::ToDevice, expected);
    Ok(data)
}

pub(super) fn download(
    stream: &Arc<CudaStream>,
    data: &CudaSlice<u8>,
) -> Result<Vec<u8>, DeviceError> {
    let doing = || format!("copying {} bytes to the host", data.len());
    let host = stream
        .clone_dtoh(data)
        .map_err(DeviceError::driver(doing()))?;
    stream.synchronize().map_err(DeviceError::driver(doing()))?;
    count(CopyKind::Pixels, Direction::ToHost, host.len());
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
            sync: FrameSync::default(),
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
            sync: FrameSync::default(),
        })
    }

    /// A copy of the whole frame on the host (waits for the frame's producer, then the stream).
    pub fn copy_to_host(&self, stream: &Arc<CudaStream>) -> Result<Vec<u8>, DeviceError> {
        self.sync.wait_ready(stream)?;
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
        let doing = || format!("copying a {}x{} frame to the host", l.width, l.height);
        self.sync.wait_ready(stream)?;
        let all = stream
            .clone_dtoh(&self.f32_view()?)
            .map_err(DeviceError::driver(doing()))?;
        stream.synchronize().map_err(DeviceError::driver(doing()))?;
        count(CopyKind::Pixels, Direction::ToHost, all.len() * 4);
        let mut data = Vec::with_capacity(3 * l.width * l.height);
        for plane in all.chunks_exact(l.plane_stride()).take(3) {
            for row in plane.chunks_exact(l.row_stride()).take(l.height) {
                data.extend_from_slice(&row[..l.width]);
            }
        }
        crate::frame::RgbFrame::from_chw(l.width, l.height, data)
            .ok_or_else(|| DeviceError::HostData(doing()))
    }

    /// A planar f32 frame's memory as `f32` elements: its three padded planes, which are exactly
    /// a `1 x 3 x padded_height x padded_width` tensor (what a TensorRT stage binds).
    pub fn f32_view(&self) -> Result<CudaView<'_, f32>, DeviceError> {
        let len = f32_elements(&self.layout)?;
        // SAFETY: any 4 bytes are a valid f32, the allocation is aligned for f32 (cudarc
        // allocations are 256-byte aligned), and `len` f32s are exactly the buffer's bytes.
        unsafe { self.data.transmute::<f32>(len) }.ok_or_else(|| too_short(len))
    }

    /// [`DeviceFrame::f32_view`], writable.
    pub fn f32_view_mut(&mut self) -> Result<CudaViewMut<'_, f32>, DeviceError> {
        let len = f32_elements(&self.layout)?;
        // SAFETY: as in `f32_view`; the view borrows the frame mutably.
        unsafe { self.data.transmute_mut::<f32>(len) }.ok_or_else(|| too_short(len))
    }

    /// Copies `src` (the same layout) into this frame on `stream`, device to device (after `src`
    /// is complete; the caller records this frame ready and `src` read).
    pub fn copy_from(
        &mut self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
    ) -> Result<(), DeviceError> {
        if src.layout != self.layout {
            return Err(DeviceError::Layout(format!(
                "copying a {:?} frame into a {:?} one",
                src.layout, self.layout
            )));
        }
        src.sync.wait_ready(stream)?;
        stream
            .memcpy_dtod(&src.data, &mut self.data)
            .map_err(DeviceError::driver(format!(
                "copying a {} byte frame on the device",
                self.layout.bytes()
            )))
    }

    /// The luma and chroma planes (Y'CbCr).
    pub(crate) fn planes(&self) -> (CudaView<'_, u8>, CudaView<'_, u8>) {
        self.data.split_at(self.layout.chroma_offset())
    }
}

/// The number of f32 elements of a planar f32 layout (an error for any other format).
pub fn f32_elements(layout: &FrameLayout) -> Result<usize, DeviceError> {
    if layout.format != PixelFormat::RgbF32 {
        return Err(DeviceError::Layout(format!(
            "{:?} is not planar RGB f32",
            layout.format
        )));
    }
    Ok(3 * layout.plane_stride())
}

pub(super) fn too_short(len: usize) -> DeviceError {
    DeviceError::Layout(format!("the buffer holds fewer than {len} f32 elements"))
}

#[cfg(test)]
#[path = "buffer_tests.rs"]
mod tests;
