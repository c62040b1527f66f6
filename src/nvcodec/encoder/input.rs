//! NVENC's input buffers: plain device memory of ours, registered once with the session as a
//! CUDA input resource, mapped while NVENC reads it.
//!
//! Why not the stream's allocator: cudarc allocates with `cuMemAllocAsync` on any device with
//! memory pools (H100, Jetson Thor), and NVENC refuses to register stream-ordered memory
//! (`nvEncRegisterResource` fails with `NV_ENC_ERR_RESOURCE_REGISTER_FAILED`). NVIDIA's own
//! `NvEncoderCuda` allocates its inputs as ordinary pitched device memory (`cuMemAllocPitch`);
//! we allocate with `cuMemAlloc` (cudarc's `result` layer, no raw FFI outside the sys crates) at
//! a pitch rounded up to [`PITCH_ALIGN`] and to the device's pitch alignment, and free with
//! `cuMemFree` after the buffer is unregistered. Frames NVENC never sees stay in the pool.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{result, sys as cu, CudaSlice, CudaStream};
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::version::{
    NV_ENC_MAP_INPUT_RESOURCE_VER, NV_ENC_REGISTER_RESOURCE_VER,
};

use super::error::NvencError;
use super::handles::EncoderHandle;

/// Rows start at multiples of this many bytes (what `cuMemAllocPitch` gives on current GPUs),
/// or of the device's `CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT` when that is larger.
pub(crate) const PITCH_ALIGN: u32 = 512;

/// The pitch of rows of `row_bytes` bytes on a device whose pitch alignment is `device_align`.
pub(crate) fn input_pitch(row_bytes: u32, device_align: u32) -> Option<u32> {
    let align = PITCH_ALIGN.max(device_align).checked_next_power_of_two()?;
    row_bytes.checked_next_multiple_of(align)
}

/// A `cuMemAlloc` allocation of pitched rows, seen through a cudarc slice (so our kernels write into it), freed
/// with `cuMemFree`, never by cudarc (whose drop would use `cuMemFreeAsync`).
struct PitchedMemory {
    slice: ManuallyDrop<CudaSlice<u8>>,
    address: cu::CUdeviceptr,
    pitch: u32,
    stream: Arc<CudaStream>,
}

impl PitchedMemory {
    /// `rows` rows of `row_bytes` bytes, at [`input_pitch`].
    fn new(stream: &Arc<CudaStream>, row_bytes: u32, rows: u32) -> Result<Self, NvencError> {
        let ctx = stream.context();
        ctx.bind_to_thread()
            .map_err(NvencError::cuda("binding the context"))?;
        // SAFETY: a device of a live context; reads one attribute.
        let device_align = unsafe {
            result::device::get_attribute(
                ctx.cu_device(),
                CUdevice_attribute::CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT,
            )
        }
        .map_err(NvencError::cuda("reading the device's pitch alignment"))?;
        let pitch = input_pitch(row_bytes, u32::try_from(device_align).unwrap_or(0))
            .ok_or(NvencError::Pitch { row_bytes })?;
        let bytes = pitch as usize * rows as usize;
        // SAFETY: the context is current; the memory is owned by the value built here.
        let address = unsafe { result::malloc_sync(bytes) }.map_err(NvencError::cuda(
            "allocating an NVENC input buffer (cuMemAlloc)",
        ))?;
        // SAFETY: a live allocation of `bytes` bytes of this context, freed by this value itself
        // (the slice is leaked, never dropped).
        let slice = unsafe { stream.upgrade_device_ptr::<u8>(address, bytes) };
        Ok(PitchedMemory {
            slice: ManuallyDrop::new(slice),
            address,
            pitch,
            stream: stream.clone(),
        })
    }
}

impl Drop for PitchedMemory {
    fn drop(&mut self) {
        // SAFETY: `slice` is not used after this; leaking it makes the stream wait for the
        // slice's last reads and writes and frees nothing.
        let slice = unsafe { ManuallyDrop::take(&mut self.slice) };
        let _ = slice.leak();
        let done = self
            .stream
            .context()
            .bind_to_thread()
            .and_then(|()| self.stream.synchronize());
        if let Err(e) = done {
            log::warn!("waiting to free an NVENC input buffer: {e}");
        }
        // SAFETY: allocated by cuMemAlloc in `new`, freed once, after every use on the
        // stream has finished (synchronised above) and after NVENC unregistered it.
        if let Err(e) = unsafe { result::free_sync(self.address) } {
            log::warn!("cuMemFree of an NVENC input buffer failed: {e}");
        }
    }
}

/// A registered input buffer. Field order: the registration is released (in `Drop`) before
/// `memory` is freed.
pub(crate) struct InputBuffer {
    session: Rc<EncoderHandle>,
    registered: sys::NV_ENC_REGISTERED_PTR,
    mapped: Option<sys::NV_ENC_INPUT_PTR>,
    memory: PitchedMemory,
}

impl InputBuffer {
    /// Allocates `rows` rows of `row_bytes` bytes and registers them as a picture of `width` x
    /// `height` in `format`, at [`input_pitch`] ([`InputBuffer::pitch`]).
    pub(crate) fn new(
        session: Rc<EncoderHandle>,
        stream: &Arc<CudaStream>,
        (width, height, row_bytes, rows): (u32, u32, u32, u32),
        format: sys::NV_ENC_BUFFER_FORMAT,
    ) -> Result<Self, NvencError> {
        let memory = PitchedMemory::new(stream, row_bytes, rows)?;
        let mut params = sys::NV_ENC_REGISTER_RESOURCE {
            version: NV_ENC_REGISTER_RESOURCE_VER,
            resourceType: sys::NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR,
            width,
            height,
            pitch: memory.pitch,
            resourceToRegister: memory.address as *mut c_void,
            bufferFormat: format,
            bufferUsage: sys::NV_ENC_INPUT_IMAGE,
            ..Default::default()
        };
        // SAFETY: a live session; the device memory stays allocated while registered (it is
        // owned by this value, which unregisters it in Drop before freeing it).
        let status =
            unsafe { (session.nvenc.functions.nvEncRegisterResource)(session.raw, &mut params) };
        session.check("nvEncRegisterResource", status)?;
        Ok(InputBuffer {
            session,
            registered: params.registeredResource,
            mapped: None,
            memory,
        })
    }

    /// Bytes between rows, in both planes.
    pub(crate) fn pitch(&self) -> u32 {
        self.memory.pitch
    }

    /// The memory our kernels write the next frame into.
    pub(crate) fn memory(&mut self) -> &mut CudaSlice<u8> {
        &mut self.memory.slice
    }

    /// Maps the buffer for one encode; stays mapped until [`InputBuffer::unmap`].
    pub(crate) fn map(&mut self) -> Result<sys::NV_ENC_INPUT_PTR, NvencError> {
        self.unmap()?;
        let mut params = sys::NV_ENC_MAP_INPUT_RESOURCE {
            version: NV_ENC_MAP_INPUT_RESOURCE_VER,
            registeredResource: self.registered,
            ..Default::default()
        };
        // SAFETY: a live session and a resource registered with it.
        let status = unsafe {
            (self.session.nvenc.functions.nvEncMapInputResource)(self.session.raw, &mut params)
        };
        self.session.check("nvEncMapInputResource", status)?;
        self.mapped = Some(params.mappedResource);
        Ok(params.mappedResource)
    }

    pub(crate) fn unmap(&mut self) -> Result<(), NvencError> {
        if let Some(mapped) = self.mapped.take() {
            // SAFETY: a resource this buffer mapped and has not unmapped.
            let status = unsafe {
                (self.session.nvenc.functions.nvEncUnmapInputResource)(self.session.raw, mapped)
            };
            self.session.check("nvEncUnmapInputResource", status)?;
        }
        Ok(())
    }
}

impl Drop for InputBuffer {
    fn drop(&mut self) {
        if let Err(e) = self.unmap() {
            log::warn!("{e}");
        }
        // SAFETY: registered by `new` on this live session, unregistered once, before the
        // memory (a later field) is freed.
        let status = unsafe {
            (self.session.nvenc.functions.nvEncUnregisterResource)(
                self.session.raw,
                self.registered,
            )
        };
        if status != sys::NV_ENC_SUCCESS {
            log::warn!("nvEncUnregisterResource failed with NVENCSTATUS {status}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_start_on_the_larger_of_our_and_the_devices_alignment() {
        // 1920 NV12 luma bytes: 2048 at 512-byte alignment.
        assert_eq!(input_pitch(1920, 32), Some(2048));
        assert_eq!(input_pitch(1024, 0), Some(1024));
        // P010 3840 wide: 7680 bytes, already a multiple of 512.
        assert_eq!(input_pitch(7680, 512), Some(7680));
        // A device asking for more (rounded up to a power of two) wins.
        assert_eq!(input_pitch(1920, 1024), Some(2048));
        assert_eq!(input_pitch(2100, 1000), Some(3072));
        assert_eq!(input_pitch(u32::MAX - 10, 512), None);
    }
}
