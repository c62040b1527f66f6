//! What the CUDA workload costs and how fast the hardware could do it: each stage's FLOPs and
//! bytes (`bench::cost` for the networks, the frames read and written for our kernels) and its
//! floor on a GPU of the roofline table, the slower of its compute time at the dense tensor peak
//! and its memory time at the DRAM bandwidth. NVDEC and NVENC are fixed-function units, off the
//! roofline: a decode or encode stage's floor is its conversion kernel's.

use super::cost::{self, Cost, Precision};
use super::roofline::Peak;
use super::synthetic;
use super::workload::{StageKind, StageSpec, Workload};
use super::workload_cuda::{JOB_CLIP, SCRIPT_SECONDS};
use crate::models::onnx::RifePart;
use crate::tiling::TilePlan;

/// A stage's least time per frame on a GPU: compute and memory, each at its peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floor {
    pub compute_s: f64,
    pub memory_s: f64,
}

impl Floor {
    /// The slower of the two.
    pub fn seconds(&self) -> f64 {
        self.compute_s.max(self.memory_s)
    }

    pub fn bound(&self) -> &'static str {
        if self.compute_s >= self.memory_s {
            "compute"
        } else {
            "memory"
        }
    }
}

/// The floor of `cost` on `peak`; `None` when it has fp8 work and the GPU no fp8.
pub fn floor(cost: Cost, peak: &Peak) -> Option<Floor> {
    let fp8 = match peak.fp8_tflops {
        Some(t) => t,
        None if cost.fp8_flops > 0.0 => return None,
        None => peak.fp16_tflops,
    };
    Some(Floor {
        compute_s: cost.fp16_flops / (peak.fp16_tflops * 1e12) + cost.fp8_flops / (fp8 * 1e12),
        memory_s: cost.bytes / (peak.memory_gbps * 1e9),
    })
}

/// Bytes of a planar RGB f32 frame of `w` x `h`.
fn rgb_f32(w: f64, h: f64) -> f64 {
    12.0 * w * h
}

/// Bytes of a 4:2:0 frame: 1.5 samples a pixel of 1 byte (8-bit) or 2 (P010).
fn yuv420(w: f64, h: f64, bits: u32) -> f64 {
    1.5 * w * h * if bits > 8 { 2.0 } else { 1.0 }
}

fn precision(spec: &StageSpec) -> Precision {
    match spec.precision.as_deref() {
        Some("fp8") => Precision::Fp8,
        _ => Precision::Fp16,
    }
}

/// An upscaler's cost per frame: the model over the whole frame, or over every tile's slot,
/// and the kernels around it (the frame copied into the engine's slot; tiles stitched back).
fn upscale_cost(spec: &StageSpec) -> Option<Cost> {
    let net = synthetic::network(spec.network.as_deref()?)?;
    let (w, h) = (spec.width as usize, spec.height as usize);
    let scale = match net.arch {
        crate::models::checkpoint::Architecture::RrdbNet { scale, .. }
        | crate::models::checkpoint::Architecture::SrVgg { scale, .. } => scale as f64,
        _ => return None,
    };
    let p = precision(spec);
    Some(match spec.tiles {
        None => {
            let model = cost::cost(&cost::layers(net.arch, RifePart::Whole, (h, w)), p);
            model + Cost::bytes(2.0 * rgb_f32(w as f64, h as f64))
        }
        Some(t) => {
            let plan = TilePlan::new(w, h, t.tile, t.pad);
            let slot = (plan.slot_height, plan.slot_width);
            let n = plan.tiles.len() as f64;
            let model = cost::cost(&cost::layers(net.arch, RifePart::Whole, slot), p) * n;
            let slots = n * rgb_f32(slot.1 as f64, slot.0 as f64);
            let out = rgb_f32(w as f64 * scale, h as f64 * scale);
            model + Cost::bytes(2.0 * slots + 2.0 * out)
        }
    })
}

/// A kernel stage's bytes per frame.
fn kernel_cost(spec: &StageSpec) -> Option<Cost> {
    let (w, h) = (f64::from(spec.width), f64::from(spec.height));
    let bytes = match spec.kernel.as_deref()? {
        "yuv_to_rgb" => yuv420(w, h, 8) + rgb_f32(w, h),
        "rgb_to_yuv" => rgb_f32(w, h) + yuv420(w, h, 8),
        "resize_half" => rgb_f32(w, h) + rgb_f32(w / 2.0, h / 2.0),
        "tile_extract" => {
            let t = spec.tiles?;
            let plan = TilePlan::new(w as usize, h as usize, t.tile, t.pad);
            let slot = (plan.slot_width * plan.slot_height) as f64;
            2.0 * plan.tiles.len() as f64 * 12.0 * slot
        }
        "tile_stitch" => {
            let s = f64::from(spec.upscale?);
            2.0 * rgb_f32(w * s, h * s)
        }
        _ => return None,
    };
    Some(Cost::bytes(bytes))
}

/// The cost of one frame of `spec` (per source frame for a decode and RIFE's encoder, per
/// interpolated frame for RIFE's flow, per output frame for the rest); `None` for a stage the
/// model does not describe.
pub fn stage_cost(workload: &Workload, spec: &StageSpec) -> Option<Cost> {
    let (w, h) = (f64::from(spec.width), f64::from(spec.height));
    match spec.kind {
        StageKind::Decode => {
            let bits = workload.clip(spec.clip.as_deref()?)?.bits.unwrap_or(8);
            Some(Cost::bytes(yuv420(w, h, bits) + rgb_f32(w, h)))
        }
        StageKind::Encode => Some(Cost::bytes(rgb_f32(w, h) + yuv420(w, h, 8))),
        StageKind::Kernel => kernel_cost(spec),
        StageKind::Upscale => upscale_cost(spec),
        StageKind::Interpolate => {
            let part = match spec.part.as_deref()? {
                "encoder" => RifePart::Encoder,
                _ => RifePart::FromFeatures,
            };
            let layers = cost::layers(synthetic::RIFE.arch, part, (h as usize, w as usize));
            Some(cost::cost(&layers, Precision::Fp16))
        }
        StageKind::EndToEnd => {
            let job = Job::of(workload)?;
            let upscaler = job.upscaler(spec.precision.as_deref()?, false)?;
            let total: Cost = job
                .rows(upscaler)
                .into_iter()
                .map(|(s, n)| stage_cost(workload, s).map(|c| c * n))
                .sum::<Option<Cost>>()?;
            Some(total * (1.0 / job.output_frames()))
        }
    }
}

/// The job of the workload: its clip's frames through the stages `pipeline::run` chains.
pub struct Job<'a> {
    workload: &'a Workload,
    /// Source frames.
    pub frames: f64,
}

impl<'a> Job<'a> {
    pub fn of(workload: &'a Workload) -> Option<Self> {
        let frames = f64::from(workload.clip(JOB_CLIP)?.frames);
        Some(Job { workload, frames })
    }

    /// Output frames: 2x keeps the duration, so twice the source frames.
    pub fn output_frames(&self) -> f64 {
        2.0 * self.frames
    }

    fn find(&self, name: &str) -> Option<&'a StageSpec> {
        self.workload.stages.iter().find(|s| s.name == name)
    }

    /// The job's x2plus stage in `precision`, whole frames or tiles.
    pub fn upscaler(&self, precision: &str, tiled: bool) -> Option<&'a StageSpec> {
        let tiles = if tiled { "_tiles" } else { "" };
        self.find(&format!("upscale_x2plus{tiles}_{precision}"))
    }

    /// The stages one clip runs through, with how many frames each: the decode and RIFE's encoder
    /// once per source frame, RIFE's flow once per interpolated frame (the last output frame is
    /// the last source frame held), the upscaler and the encoder once per output frame.
    pub fn rows(&self, upscaler: &'a StageSpec) -> Vec<(&'a StageSpec, f64)> {
        let n = self.frames;
        [
            ("decode_h264", n),
            ("rife_encoder", n),
            ("rife_flow", n - 1.0),
        ]
        .into_iter()
        .filter_map(|(name, count)| Some((self.find(name)?, count)))
        .chain([(upscaler, 2.0 * n)])
        .chain(self.find("encode").map(|s| (s, 2.0 * n)))
        .collect()
    }

    /// The least time of the whole clip on `peak`: the sum of its stages' floors (they share
    /// the GPU; NVDEC and NVENC are assumed to overlap with it).
    pub fn floor(&self, upscaler: &'a StageSpec, peak: &Peak) -> Option<f64> {
        self.rows(upscaler)
            .into_iter()
            .map(|(s, n)| Some(floor(stage_cost(self.workload, s)?, peak)?.seconds() * n))
            .sum()
    }
}

/// How the script's 900 s compare with `seconds`.
pub fn against_script(seconds: f64) -> String {
    format!(
        "{:.1}% of the script's {SCRIPT_SECONDS:.0} s ({:.0}x faster)",
        100.0 * seconds / SCRIPT_SECONDS,
        SCRIPT_SECONDS / seconds
    )
}

#[path = "plan_render.rs"]
mod render;
pub use render::{ms, render};

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
