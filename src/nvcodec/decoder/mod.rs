//! NVDEC: a safe decoder session over `libnvcuvid.so.1` on a cudarc CUDA context. The pure
//! decisions (capabilities, surface counts, output size) are in [`plan`] and tested on the CPU;
//! the rest has only been compiled, not yet run on a GPU.

mod callbacks;
pub mod display_queue;
mod error;
mod frame;
mod handles;
pub mod plan;
mod session;

pub use error::NvdecError;
pub use frame::{HostFrame, MappedFrame};
pub use plan::{
    CapsError, Chroma, DecoderCaps, Geometry, PictureSizeError, StreamFormat, SurfaceFormat,
};
pub use session::NvDecoder;
