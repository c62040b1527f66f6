//! RAII owners of the NVENC session and of its bitstream buffers (the input buffers are in
//! `input.rs`). Buffers hold an Rc of the session, so it is destroyed after every one of them.

use std::ffi::{c_void, CStr};
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::CudaContext;
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::version::{
    NVENCAPI_VERSION, NV_ENC_CREATE_BITSTREAM_BUFFER_VER, NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
};
use smoothscale_nvcodec_sys::NvEnc;

use super::error::NvencError;

/// An open encode session (`nvEncOpenEncodeSessionEx` on a CUDA context).
pub(crate) struct EncoderHandle {
    pub(crate) nvenc: Arc<NvEnc>,
    pub(crate) raw: *mut c_void,
    _ctx: Arc<CudaContext>,
}

impl EncoderHandle {
    pub(crate) fn open(nvenc: Arc<NvEnc>, ctx: Arc<CudaContext>) -> Result<Self, NvencError> {
        ctx.bind_to_thread()
            .map_err(NvencError::cuda("binding the context"))?;
        let mut params = sys::NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS {
            version: NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
            deviceType: sys::NV_ENC_DEVICE_TYPE_CUDA,
            device: ctx.cu_ctx().cast(),
            apiVersion: NVENCAPI_VERSION,
            ..Default::default()
        };
        let mut raw = ptr::null_mut();
        // SAFETY: initialised parameters naming a live CUDA context; `raw` is an out-pointer.
        let status = unsafe { (nvenc.functions.nvEncOpenEncodeSessionEx)(&mut params, &mut raw) };
        match status {
            sys::NV_ENC_SUCCESS => Ok(EncoderHandle {
                nvenc,
                raw,
                _ctx: ctx,
            }),
            sys::NV_ENC_ERR_NO_ENCODE_DEVICE | sys::NV_ENC_ERR_UNSUPPORTED_DEVICE => {
                Err(NvencError::NoNvenc {
                    detail: format!("nvEncOpenEncodeSessionEx returned NVENCSTATUS {status}"),
                })
            }
            _ => Err(NvencError::Call {
                function: "nvEncOpenEncodeSessionEx",
                status,
                detail: String::new(),
            }),
        }
    }

    /// Turns a status into a result, with the driver's last error text.
    pub(crate) fn check(
        &self,
        function: &'static str,
        status: sys::NVENCSTATUS,
    ) -> Result<(), NvencError> {
        if status == sys::NV_ENC_SUCCESS {
            return Ok(());
        }
        // SAFETY: a live session; the driver returns null or a NUL-terminated string it owns,
        // read before any other call on the session.
        let text = unsafe { (self.nvenc.functions.nvEncGetLastErrorString)(self.raw) };
        let detail = if text.is_null() {
            String::new()
        } else {
            // SAFETY: non-null, NUL-terminated (see above).
            let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        };
        Err(NvencError::Call {
            function,
            status,
            detail,
        })
    }
}

impl Drop for EncoderHandle {
    fn drop(&mut self) {
        // SAFETY: a session from nvEncOpenEncodeSessionEx, destroyed once, after every buffer
        // registered with it (they hold an Rc of this handle).
        let status = unsafe { (self.nvenc.functions.nvEncDestroyEncoder)(self.raw) };
        if status != sys::NV_ENC_SUCCESS {
            log::warn!("nvEncDestroyEncoder failed with NVENCSTATUS {status}");
        }
    }
}

/// An output bitstream buffer (`nvEncCreateBitstreamBuffer`).
pub(crate) struct BitstreamBuffer {
    session: Rc<EncoderHandle>,
    pub(crate) raw: sys::NV_ENC_OUTPUT_PTR,
}

impl BitstreamBuffer {
    pub(crate) fn new(session: Rc<EncoderHandle>) -> Result<Self, NvencError> {
        let mut params = sys::NV_ENC_CREATE_BITSTREAM_BUFFER {
            version: NV_ENC_CREATE_BITSTREAM_BUFFER_VER,
            ..Default::default()
        };
        // SAFETY: a live, initialised session; NVENC sizes the buffer itself.
        let status = unsafe {
            (session.nvenc.functions.nvEncCreateBitstreamBuffer)(session.raw, &mut params)
        };
        session.check("nvEncCreateBitstreamBuffer", status)?;
        Ok(BitstreamBuffer {
            session,
            raw: params.bitstreamBuffer,
        })
    }
}

impl Drop for BitstreamBuffer {
    fn drop(&mut self) {
        // SAFETY: created by `new` on this live session, destroyed once.
        let status = unsafe {
            (self.session.nvenc.functions.nvEncDestroyBitstreamBuffer)(self.session.raw, self.raw)
        };
        if status != sys::NV_ENC_SUCCESS {
            log::warn!("nvEncDestroyBitstreamBuffer failed with NVENCSTATUS {status}");
        }
    }
}
