//! RAII owners of the NVDEC handles: the context lock, the decoder and the parser. Each one
//! keeps the library (and, where the call needs it, the CUDA context) alive until it is released.

use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::CudaContext;
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::Cuvid;

use super::error::{check, NvdecError};

/// A `CUvideoctxlock` on our CUDA context, shared by the decoder and the mapping calls.
pub(crate) struct CtxLock {
    lib: Arc<Cuvid>,
    raw: sys::CUvideoctxlock,
    _ctx: Arc<CudaContext>,
}

impl CtxLock {
    pub(crate) fn new(lib: Arc<Cuvid>, ctx: Arc<CudaContext>) -> Result<Self, NvdecError> {
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` is a live out-pointer; the context handle comes from a live cudarc
        // context (the driver's `CUcontext` and the header's are the same opaque pointer).
        let status = unsafe { (lib.ctx_lock_create)(&mut raw, ctx.cu_ctx().cast()) };
        check("cuvidCtxLockCreate", status)?;
        Ok(CtxLock {
            lib,
            raw,
            _ctx: ctx,
        })
    }

    pub(crate) fn raw(&self) -> sys::CUvideoctxlock {
        self.raw
    }
}

impl Drop for CtxLock {
    fn drop(&mut self) {
        // SAFETY: `raw` was created by cuvidCtxLockCreate and is destroyed once, after every
        // decoder that used it (they hold an Rc of this lock).
        let status = unsafe { (self.lib.ctx_lock_destroy)(self.raw) };
        if status != sys::CUDA_SUCCESS {
            log::warn!("cuvidCtxLockDestroy failed with CUresult {status}");
        }
    }
}

/// A `CUvideodecoder`. Mapped frames hold an Rc of it, so it outlives every mapping.
pub(crate) struct DecoderHandle {
    pub(crate) lib: Arc<Cuvid>,
    pub(crate) ctx: Arc<CudaContext>,
    pub(crate) raw: sys::CUvideodecoder,
    _lock: Rc<CtxLock>,
}

impl DecoderHandle {
    /// Creates a decoder; `info.vidLock` is set to `lock`.
    pub(crate) fn new(
        lib: Arc<Cuvid>,
        ctx: Arc<CudaContext>,
        lock: Rc<CtxLock>,
        info: &mut sys::CUVIDDECODECREATEINFO,
    ) -> Result<Self, NvdecError> {
        info.vidLock = lock.raw();
        ctx.bind_to_thread()
            .map_err(NvdecError::cuda("binding the context"))?;
        let mut raw = ptr::null_mut();
        // SAFETY: `info` is a fully initialised create-info whose lock lives as long as the
        // decoder (held below); the context is current on this thread.
        let status = unsafe { (lib.create_decoder)(&mut raw, info) };
        check("cuvidCreateDecoder", status)?;
        Ok(DecoderHandle {
            lib,
            ctx,
            raw,
            _lock: lock,
        })
    }
}

impl Drop for DecoderHandle {
    fn drop(&mut self) {
        if let Err(e) = self.ctx.bind_to_thread() {
            log::warn!("cannot bind the CUDA context to destroy an NVDEC decoder: {e}");
        }
        // SAFETY: `raw` came from cuvidCreateDecoder; no mapping is outstanding, because every
        // mapped frame holds an Rc of this handle.
        let status = unsafe { (self.lib.destroy_decoder)(self.raw) };
        if status != sys::CUDA_SUCCESS {
            log::warn!("cuvidDestroyDecoder failed with CUresult {status}");
        }
    }
}

/// A `CUvideoparser`. Its callbacks point at state owned by the session, which drops the parser
/// first.
pub(crate) struct ParserHandle {
    lib: Arc<Cuvid>,
    raw: sys::CUvideoparser,
}

impl ParserHandle {
    /// # Safety
    ///
    /// `params.pUserData` must stay valid, and be what its callbacks expect, for as long as the
    /// parser lives.
    pub(crate) unsafe fn new(
        lib: Arc<Cuvid>,
        params: &mut sys::CUVIDPARSERPARAMS,
    ) -> Result<Self, NvdecError> {
        let mut raw = ptr::null_mut();
        // SAFETY: `params` is initialised; the caller vouches for its user data.
        let status = unsafe { (lib.create_video_parser)(&mut raw, params) };
        check("cuvidCreateVideoParser", status)?;
        Ok(ParserHandle { lib, raw })
    }

    /// Feeds one packet; the callbacks run on this thread before it returns.
    pub(crate) fn parse(&self, packet: &mut sys::CUVIDSOURCEDATAPACKET) -> Result<(), NvdecError> {
        // SAFETY: `raw` is a live parser and `packet` points at a payload that outlives the call.
        let status = unsafe { (self.lib.parse_video_data)(self.raw, packet) };
        check("cuvidParseVideoData", status)
    }
}

impl Drop for ParserHandle {
    fn drop(&mut self) {
        // SAFETY: `raw` came from cuvidCreateVideoParser and is destroyed once.
        let status = unsafe { (self.lib.destroy_video_parser)(self.raw) };
        if status != sys::CUDA_SUCCESS {
            log::warn!("cuvidDestroyVideoParser failed with CUresult {status}");
        }
    }
}
