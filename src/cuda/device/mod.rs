//! The CUDA device layer, on cudarc (driver API and NVRTC, both opened at run time):
//!
//! - [`gpu`]: opening a device ([`Gpu::open`]), what it is, its streams;
//! - [`layout`] and [`buffer`]: device frames that know their format and geometry (NV12, P016/P010,
//!   planar RGB f32/f16 padded to a multiple) and the upscaler's tile batches;
//! - [`kernels`]: the embedded fat binary or NVRTC-compiled source loaded on the device, with the
//!   PTX cached on disk ([`cache`], [`nvrtc`]);
//! - [`copies`]: host↔device bytes counted by the copy wrappers (for `smoothscale bench`);
//! - [`sync`]: the events that order a frame's producer, readers and free across streams;
//! - [`launch`] and [`launch_frames`]: one typed launcher per kernel family, every frame checked
//!   ([`checks`]) before the launch.
//!
//! Every handle is RAII (cudarc releases contexts, streams, modules and memory on drop). Without
//! libcuda or NVRTC the calls fail with [`DeviceError::LibraryMissing`] instead of cudarc's panic.
//! None of this has run on a GPU yet; `tests/gpu_kernels*.rs` check every kernel on one.

pub mod buffer;
pub mod cache;
pub mod checks;
pub mod copies;
pub mod error;
pub mod gpu;
pub mod kernels;
pub mod launch;
pub mod launch_frames;
pub mod layout;
pub mod nvrtc;
pub mod sync;
pub mod tile_batch;

pub use buffer::{DeviceFrame, TileBatch};
pub use copies::CopyTotals;
pub use error::DeviceError;
pub use gpu::{ComputeCapability, Gpu, GpuInfo};
pub use kernels::{KernelOrigin, Kernels};
pub use launch::ForeignYuv;
pub use launch_frames::DeviceTiles;
pub use layout::{FrameLayout, PixelFormat};
pub use sync::FrameSync;
