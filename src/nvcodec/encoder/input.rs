//! NVENC's input buffers: plain device memory of ours, registered once with the session as a
//! CUDA input resource, mapped while NVENC reads it.
//!
//! Why not the stream's allocator: cudarc allocates with `cuMemAllocAsync` on any device with
//! memory pools (H100, Jetson Thor), and NVENC refuses to register stream-ordered memory
//! (`nvEncRegisterResource` fails with `NV_ENC_ERR_RESOURCE_REGISTER_FAILED`). NVIDIA's own
//! `NvEncoderCuda` allocates its inputs with `cuMemAllocPitch`, and so do we; the memory is
//! freed with `cuMemFree` after it is unregistered. Frames NVENC never sees stay in the pool.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::{result, sys as cu, CudaSlice, CudaStream};
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::version::{
    NV_ENC_MAP_INPUT_RESOURCE_VER, NV_ENC_REGISTER_RESOURCE_VER,
};

use super::error::NvencError;
use super::handles::EncoderHandle;

/// `ElementSizeBytes` of `cuMemAllocPitch`, as `NvEncoderCuda` passes it.
const PITCH_ELEMENT_BYTES: u32 = 16;

/// A `cuMemAllocPitch` allocation seen through a cudarc slice (so our kernels write into it), freed
/// with `cuMemFree`, never by cudarc (whose drop would use `cuMemFreeAsync`).
struct PitchedMemory {
    slice: ManuallyDrop<CudaSlice<u8>>,
    address: cu::CUdeviceptr,
    pitch: u32,
    stream: Arc<CudaStream>,
}

impl PitchedMemory {
    /// `rows` rows of `row_bytes` bytes, at the pitch the driver picks.
    fn new(stream: &Arc<CudaStream>, row_bytes: u32, rows: u32) -> Result<Self, NvencError> {
        stream
            .context()
            .bind_to_thread()
            .map_err(NvencError::cuda("binding the context"))?;
        let (mut address, mut pitch) = (0 as cu::CUdeviceptr, 0usize);
        // SAFETY: out-pointers to locals; the context is current.
        unsafe {
            cu::cuMemAllocPitch_v2(
                &mut address,
                &mut pitch,
                row_bytes as usize,
                rows as usize,
                PITCH_ELEMENT_BYTES,
            )
        }
        .result()
        .map_err(NvencError::cuda(
            "allocating an NVENC input buffer (cuMemAllocPitch)",
        ))?;
        let Ok(pitch32) = u32::try_from(pitch) else {
            // SAFETY: just allocated, never used.
            let _ = unsafe { result::free_sync(address) };
            return Err(NvencError::Pitch { pitch });
        };
        // SAFETY: a live allocation of `pitch * rows` bytes of this context, owned by the value
        // built here, which frees it itself (the slice is leaked, never dropped).
        let slice = unsafe { stream.upgrade_device_ptr::<u8>(address, pitch * rows as usize) };
        Ok(PitchedMemory {
            slice: ManuallyDrop::new(slice),
            address,
            pitch: pitch32,
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
        // SAFETY: allocated by cuMemAllocPitch in `new`, freed once, after every use on the
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
    /// `height` in `format`, at the pitch the driver chose ([`InputBuffer::pitch`]).
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
