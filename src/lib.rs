//! smoothscale: RIFE frame interpolation and Real-ESRGAN upscaling for videos.
//!
//! The stages of one video, each in its own module: [`video`] (demux, decode, encode, mux),
//! [`timeline`] (which output frame comes from which source frames), [`colour`] (the pixel maths
//! every backend shares), [`models`] (the networks) and [`pipeline`] (the stages put together);
//! [`batch`] runs the pipeline over a folder of videos.

pub mod atomic_file;
pub mod batch;
pub mod bench;
pub mod colour;
pub mod cuda;
pub mod doctor;
pub mod frame;
pub mod models;
pub mod nvcodec;
pub mod pipeline;
pub mod recent;
pub mod resample;
pub mod scene;
pub mod tensorrt;
pub mod tiling;
pub mod timeline;
pub mod video;
