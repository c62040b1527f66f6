//! NVENC: a safe encoder session over `libnvidia-encode.so.1` on a cudarc CUDA stream. The pure
//! parts (the config structs filled from options, slot and dts bookkeeping) are tested on the
//! CPU; the session has only been compiled, not yet run on a GPU.

mod caps;
pub mod config;
mod error;
mod handles;
mod input;
mod session;
mod setup;
pub mod timing;

pub use error::NvencError;
pub use session::{EncodedPacket, EncoderSettings, NvEncoder};
