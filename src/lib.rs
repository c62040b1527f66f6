//! smoothscale: RIFE frame interpolation and Real-ESRGAN upscaling for videos.

pub mod colour;
pub mod frame;
pub mod models;
pub mod timeline;
