//! smoothscale: RIFE frame interpolation and Real-ESRGAN upscaling for videos.

pub mod models;
pub mod timeline;
