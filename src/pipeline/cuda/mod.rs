pub mod engines;
pub mod error;
pub mod interpolate;
pub mod upscale;

pub use engines::{engine_for_job, EngineEvent, JobEngine};
pub use error::GpuStageError;
pub use interpolate::GpuInterpolator;
pub use upscale::GpuUpscaler;
