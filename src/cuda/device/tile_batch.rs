//! [`TileBatch`]: the upscaler's batch of tile slots in device memory, a
//! `[tiles, 3, slot_height, slot_width]` tensor freed when the value drops.

use std::ops::Range;
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream, CudaView, CudaViewMut};

use super::buffer::{alloc_zeroed, download, too_short, upload};
use super::error::DeviceError;
use super::layout::PixelFormat;

/// The f32 element range of slots `slots` of a batch of `tiles` f32 slots of `slot_elements`
/// each; `None` when the slots are not all in the batch, or it is not f32.
pub fn slot_elements(
    format: PixelFormat,
    tiles: usize,
    slot_elements: usize,
    slots: &Range<usize>,
) -> Option<Range<usize>> {
    (format == PixelFormat::RgbF32 && slots.start < slots.end && slots.end <= tiles)
        .then(|| slots.start * slot_elements..slots.end * slot_elements)
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
        Self::filled(format, (tiles, slot_width, slot_height), |bytes| {
            alloc_zeroed(stream, bytes)
        })
    }

    /// A batch holding a copy of `host` (a model's output, in tests).
    pub fn copy_from_host(
        stream: &Arc<CudaStream>,
        format: PixelFormat,
        slots: (usize, usize, usize),
        host: &[u8],
    ) -> Result<Self, DeviceError> {
        Self::filled(format, slots, |bytes| upload(stream, host, bytes))
    }

    /// A batch of `tiles` slots of `slot_width` x `slot_height` whose memory `make` gives, for the
    /// batch's checked byte size.
    fn filled(
        format: PixelFormat,
        (tiles, slot_width, slot_height): (usize, usize, usize),
        make: impl FnOnce(usize) -> Result<CudaSlice<u8>, DeviceError>,
    ) -> Result<Self, DeviceError> {
        let bytes = Self::bytes(format, tiles, slot_width, slot_height)?;
        Ok(TileBatch {
            format,
            tiles,
            slot_width,
            slot_height,
            data: make(bytes)?,
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

    /// f32 elements of one slot (`3 x slot_height x slot_width`).
    fn slot_len(&self) -> usize {
        3 * self.slot_width * self.slot_height
    }

    fn slot_range(&self, slots: &Range<usize>) -> Result<Range<usize>, DeviceError> {
        slot_elements(self.format, self.tiles, self.slot_len(), slots).ok_or_else(|| {
            DeviceError::Layout(format!(
                "slots {slots:?} of a batch of {} {:?} slots",
                self.tiles, self.format
            ))
        })
    }

    /// Slots `slots` of an f32 batch as `f32` elements: a `[slots.len(), 3, h, w]` tensor.
    pub fn f32_slots(&self, slots: Range<usize>) -> Result<CudaView<'_, f32>, DeviceError> {
        let r = self.slot_range(&slots)?;
        let len = r.len();
        let bytes = self.data.slice(r.start * 4..r.end * 4);
        // SAFETY: any 4 bytes are a valid f32; the allocation is 256-byte aligned and the range
        // starts on an element boundary, and holds exactly `len` f32s.
        unsafe { bytes.transmute::<f32>(len) }.ok_or_else(|| too_short(len))
    }

    /// Calls `f` with slots `slots` of an f32 batch as writable `f32` elements.
    pub fn with_f32_slots_mut<R>(
        &mut self,
        slots: Range<usize>,
        f: impl FnOnce(CudaViewMut<'_, f32>) -> R,
    ) -> Result<R, DeviceError> {
        let r = self.slot_range(&slots)?;
        let all = self.data.len() / 4;
        // SAFETY: as in `f32_slots`; the view borrows the batch mutably.
        let mut floats =
            unsafe { self.data.transmute_mut::<f32>(all) }.ok_or_else(|| too_short(all))?;
        Ok(f(floats.slice_mut(r)))
    }
}
