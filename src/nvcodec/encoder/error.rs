//! Why an NVENC session failed.

use cudarc::driver::DriverError;
use smoothscale_nvcodec_sys::LoadError;

use crate::nvcodec::{CodecGuid, NvencParamError};

/// An NVENC failure, naming the call, its status and the driver's last error text.
#[derive(Debug, thiserror::Error)]
pub enum NvencError {
    /// `libnvidia-encode.so.1` is missing, incomplete or too old.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The GPU has no video encoder (A100, H100, H200 and other compute GPUs).
    #[error("no NVENC on this GPU ({detail}): encode in software instead")]
    NoNvenc { detail: String },
    /// This GPU's NVENC does not encode the codec.
    #[error("this GPU's NVENC cannot encode {0:?}")]
    Codec(CodecGuid),
    /// The request does not fit the GPU's capabilities.
    #[error(transparent)]
    Params(#[from] NvencParamError),
    /// An NVENC call returned an error status.
    #[error("{function} failed with NVENCSTATUS {status}{detail}")]
    Call {
        function: &'static str,
        status: u32,
        /// `nvEncGetLastErrorString`, with a leading ": ", or empty.
        detail: String,
    },
    /// A CUDA driver call made for the session failed.
    #[error("CUDA {what}: {source}")]
    Cuda {
        what: &'static str,
        source: DriverError,
    },
    /// Rows of this many bytes have no pitch within NVENC's 32-bit field.
    #[error("no NVENC input pitch for rows of {row_bytes} bytes")]
    Pitch { row_bytes: u32 },
    /// Every input slot holds a frame NVENC has not finished (a bug in the slot count).
    #[error("every NVENC input buffer is still in use")]
    NoFreeInput,
    /// A frame was submitted after [`super::NvEncoder::finish`].
    #[error("the NVENC session was already finished")]
    Finished,
}

impl NvencError {
    pub(crate) fn cuda(what: &'static str) -> impl FnOnce(DriverError) -> Self {
        move |source| NvencError::Cuda { what, source }
    }

    /// Whether the machine simply has no NVENC (no library, or a GPU without an encoder), so the
    /// caller should fall back to software encoding.
    pub fn is_no_nvenc(&self) -> bool {
        matches!(
            self,
            NvencError::NoNvenc { .. } | NvencError::Load(LoadError::LibraryNotFound { .. })
        )
    }
}
