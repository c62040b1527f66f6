//! The roofline figures of a CUDA stage, as written to the JSON.

use serde::{Deserialize, Serialize};

/// Host↔device bytes per frame, counted by the device layer's copy wrappers
/// (`cuda::device::copies`): pixels (frames, tiles of frames) and the rest (tile plans, the
/// scene metric).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CopiesPerFrame {
    pub pixels_to_device: f64,
    pub pixels_to_host: f64,
    pub other_to_device: f64,
    pub other_to_host: f64,
}

impl CopiesPerFrame {
    /// Pixel bytes either way.
    pub fn pixels(&self) -> f64 {
        self.pixels_to_device + self.pixels_to_host
    }
}

/// A CUDA stage against the roofline: its cost per frame (`bench::cost`, `bench::plan`), the
/// floor on this GPU's peaks, what the measured time achieves, and the copies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuFigures {
    pub flops_per_frame: Option<f64>,
    pub bytes_per_frame: Option<f64>,
    /// The least time per frame on this GPU (`null`: no peak known).
    pub floor_per_frame_s: Option<f64>,
    /// `compute` or `memory`.
    pub bound: Option<String>,
    pub achieved_tflops: Option<f64>,
    pub achieved_gbps: Option<f64>,
    /// `floor / measured`: 1 is the hardware's limit.
    pub fraction_of_peak: Option<f64>,
    pub copies_per_frame: Option<CopiesPerFrame>,
    /// Seconds for the whole clip (end to end) and the original script's 900 s over it.
    pub clip_s: Option<f64>,
    pub script_speedup: Option<f64>,
    /// What ran (engine precision, the encoder, made-up weights).
    pub note: Option<String>,
}
