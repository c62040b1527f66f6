//! The fixed work `smoothscale bench` times: the synthetic clips it makes, and its stages with
//! their sizes and models. Two reports are comparable only when their workloads are equal.

use serde::{Deserialize, Serialize};

use std::path::PathBuf;

use crate::pipeline::{GpuOptions, Job, Limits, ModelOptions, RIFE_FILE, UPSCALE_4X_FILE};
use crate::timeline::RateMode;
use crate::video::{EncodeSettings, VideoCodec, Window};

/// The light upscaler (SRVGG, Real-ESRGAN animevideov3) in a models folder.
pub const SRVGG_FILE: &str = "realesrgan/realesr-animevideov3-x4.param";

/// A synthetic clip, made in-process with the video sink (H.264 4:2:0 8-bit MP4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipSpec {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub fps: u32,
    /// The drawing, by name and version ([`super::pattern_frame`]).
    pub pattern: String,
    /// `hevc` for an HEVC clip (none: H.264).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Bits per sample when more than 8 (HEVC Main10: 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
}

/// The software encoder settings of every encode (clips, the encode stage, end to end).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodeSpec {
    pub codec: String,
    pub crf: u8,
    pub preset: String,
}

/// What a stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Demux and decode a clip to RGB frames.
    Decode,
    /// Encode a clip's RGB frames and mux them.
    Encode,
    /// One RIFE frame between two frames.
    Interpolate,
    /// One upscaled frame.
    Upscale,
    /// `pipeline::run` over a clip.
    EndToEnd,
    /// One of our CUDA kernels alone.
    Kernel,
}

/// Tiles of an upscaling stage: `tile` input pixels square with `pad` of context, `batch` per
/// engine call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileSpec {
    pub tile: usize,
    pub pad: usize,
    pub batch: usize,
}

/// One timed stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSpec {
    pub name: String,
    pub kind: StageKind,
    /// Input frame size.
    pub width: u32,
    pub height: u32,
    /// The clip of a decode, encode or end-to-end stage.
    pub clip: Option<String>,
    /// The RIFE model, relative to the models folder.
    pub rife_model: Option<String>,
    /// The upscaling model, relative to the models folder.
    pub upscale_model: Option<String>,
    /// Interpolation multiple (end to end).
    pub interpolate: Option<u32>,
    /// Upscaling factor.
    pub upscale: Option<u32>,
    /// The synthetic network a CUDA stage runs (`bench::synthetic`: `x2plus`, `rife-v4.25`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// RIFE's engine: `encoder` or `flow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Engine precision: `fp16` or `fp8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// Tiled upscaling (none: whole frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiles: Option<TileSpec>,
    /// The kernel of a kernel stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// Frames per timed run of a stage on made-up frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<u32>,
}

/// The whole fixed workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// `cpu-small`, or `cuda-1088p` (the 1920x1088 job on the GPU).
    pub name: String,
    /// Model threads (0: one per core).
    pub threads: usize,
    pub encode: EncodeSpec,
    pub clips: Vec<ClipSpec>,
    pub stages: Vec<StageSpec>,
}

pub(super) fn stage(name: &str, kind: StageKind, (width, height): (u32, u32)) -> StageSpec {
    StageSpec {
        name: name.into(),
        kind,
        width,
        height,
        clip: None,
        rife_model: None,
        upscale_model: None,
        interpolate: None,
        upscale: None,
        network: None,
        part: None,
        precision: None,
        tiles: None,
        kernel: None,
        frames: None,
    }
}

impl Workload {
    /// The CPU workload: small sizes, so that a run takes about a minute on two cores.
    pub fn cpu_small(threads: usize) -> Self {
        let clip = |name: &str, size: u32, frames: u32| ClipSpec {
            name: name.into(),
            width: size,
            height: size,
            frames,
            fps: 24,
            pattern: "moving-waves-v1".into(),
            codec: None,
            bits: None,
        };
        let on = |mut s: StageSpec, clip: &str| {
            s.clip = Some(clip.into());
            s
        };
        let upscaler = |name: &str, size: u32, model: &str| StageSpec {
            upscale_model: Some(model.into()),
            upscale: Some(4),
            ..stage(name, StageKind::Upscale, (size, size))
        };
        Workload {
            name: "cpu-small".into(),
            threads,
            encode: EncodeSpec {
                codec: "h264".into(),
                crf: 18,
                preset: "medium".into(),
            },
            clips: vec![clip("main", 256, 48), clip("small", 128, 6)],
            stages: vec![
                on(stage("decode", StageKind::Decode, (256, 256)), "main"),
                on(stage("encode", StageKind::Encode, (256, 256)), "main"),
                StageSpec {
                    rife_model: Some(RIFE_FILE.into()),
                    ..stage("rife", StageKind::Interpolate, (256, 256))
                },
                upscaler("upscale_srvgg", 256, SRVGG_FILE),
                upscaler("upscale_rrdb", 64, UPSCALE_4X_FILE),
                on(stage("end_to_end", StageKind::EndToEnd, (256, 256)), "main"),
                StageSpec {
                    rife_model: Some(RIFE_FILE.into()),
                    upscale_model: Some(SRVGG_FILE.into()),
                    interpolate: Some(2),
                    upscale: Some(2),
                    ..on(
                        stage("end_to_end_models", StageKind::EndToEnd, (128, 128)),
                        "small",
                    )
                },
            ],
        }
    }

    /// The clip called `name`.
    pub fn clip(&self, name: &str) -> Option<&ClipSpec> {
        self.clips.iter().find(|c| c.name == name)
    }

    /// The encoder settings as the video sink takes them.
    pub fn encode_settings(&self) -> EncodeSettings {
        EncodeSettings {
            codec: match self.encode.codec.as_str() {
                "hevc" => VideoCodec::Hevc,
                _ => VideoCodec::H264,
            },
            crf: self.encode.crf,
            preset: self.encode.preset.clone(),
        }
    }

    /// A `pipeline::run` job of a whole clip with this workload's encoder settings, as both
    /// benches time it (`gpu` set: the CUDA backend).
    pub fn job(
        &self,
        input: PathBuf,
        output: PathBuf,
        rate: RateMode,
        models: ModelOptions,
        gpu: Option<GpuOptions>,
    ) -> Job {
        let settings = self.encode_settings();
        Job {
            input,
            output,
            rate,
            window: Window::default(),
            codec: Some(settings.codec),
            crf: settings.crf,
            preset: settings.preset,
            overwrite: true,
            models,
            size: None,
            limits: Limits::default(),
            gpu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_names_a_known_clip() {
        let w = Workload::cpu_small(0);
        for s in &w.stages {
            if let Some(c) = &s.clip {
                assert!(w.clip(c).is_some(), "{}", s.name);
            }
        }
    }
}
