//! Why an NVDEC session failed.

use cudarc::driver::DriverError;
use smoothscale_nvcodec_sys::LoadError;

use super::display_queue::QueueError;
use super::plan::{CapsError, PictureSizeError};

/// An NVDEC failure, naming the call and its status.
#[derive(Debug, thiserror::Error)]
pub enum NvdecError {
    /// `libnvcuvid.so.1` is missing or incomplete.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// This GPU cannot decode the stream.
    #[error(transparent)]
    Caps(#[from] CapsError),
    /// A CUDA driver call made for the session failed.
    #[error("CUDA {what}: {source}")]
    Cuda {
        what: &'static str,
        source: DriverError,
    },
    /// An NVDEC entry point returned an error status.
    #[error("{function} failed with CUresult {status}")]
    Call { function: &'static str, status: u32 },
    /// The parser reported a codec we did not ask for, or one without a decoder here.
    #[error("the parser reported codec {0}, not the stream's")]
    CodecMismatch(u32),
    /// A picture was shown before any sequence header created the decoder.
    #[error("the parser showed a picture before the stream's sequence header")]
    NoDecoder,
    /// The decoder marked a picture as failed (`cuvidGetDecodeStatus`).
    #[error("NVDEC could not decode picture {picture} (damaged stream?)")]
    PictureFailed { picture: i32 },
    /// A displayed picture would be overwritten before it was mapped: the caller did not take
    /// the frames out between packets.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A picture's size does not fit what the kernels would be told.
    #[error(transparent)]
    PictureSize(#[from] PictureSizeError),
    /// A parser callback panicked; the panic was stopped at the FFI boundary.
    #[error("an NVDEC parser callback panicked: {0}")]
    CallbackPanicked(String),
}

impl NvdecError {
    pub(crate) fn cuda(what: &'static str) -> impl FnOnce(DriverError) -> Self {
        move |source| NvdecError::Cuda { what, source }
    }
}

/// Turns an NVDEC `CUresult` into a result naming the call.
pub(crate) fn check(function: &'static str, status: u32) -> Result<(), NvdecError> {
    if status == smoothscale_nvcodec_sys::CUDA_SUCCESS {
        Ok(())
    } else {
        Err(NvdecError::Call { function, status })
    }
}
