//! `cuda-1088p`: the original script's job on the GPU, stage by stage. A 161-frame 1920x1088
//! H.264 clip (and a shorter HEVC Main10 one) drawn in-process, RIFE's two engines, the three
//! upscalers whole-frame and in 512-pixel tiles with the default 64 of context, in fp16 and fp8,
//! our kernels alone, the encoder, and `pipeline::run` of the whole job (2x RIFE, then 2x
//! x2plus). The models are `bench::synthetic`'s made-up weights of the real shapes.

use super::workload::{stage, ClipSpec, EncodeSpec, StageKind, StageSpec, TileSpec, Workload};
use crate::pipeline::tiles::DEFAULT_PAD;

/// The job's frame size and length: the original script's clip (a 1080p video is padded to 1088
/// for RIFE; the workload is drawn at 1088 outright).
pub const JOB_SIZE: (u32, u32) = (1920, 1088);
pub const JOB_FRAMES: u32 = 161;
/// What the original script (Python, PyTorch, on a Jetson Thor) takes for that clip: about 15
/// minutes.
pub const SCRIPT_SECONDS: f64 = 900.0;
/// The job's clip in the workload.
pub const JOB_CLIP: &str = "h264";

/// The tiles the tiled stages use: 512 pixels with the default context, 4 per engine call
/// (fixed here: a workload must not change with the run's defaults).
pub fn job_tiles() -> TileSpec {
    TileSpec {
        tile: 512,
        pad: DEFAULT_PAD,
        batch: 4,
    }
}

fn clip(name: &str, frames: u32, codec: Option<&str>, bits: Option<u32>) -> ClipSpec {
    ClipSpec {
        name: name.into(),
        width: JOB_SIZE.0,
        height: JOB_SIZE.1,
        frames,
        fps: 24,
        pattern: "moving-waves-v1".into(),
        codec: codec.map(str::to_string),
        bits,
    }
}

fn kernel(name: &str, kernel: &str, size: (u32, u32), frames: u32) -> StageSpec {
    StageSpec {
        kernel: Some(kernel.into()),
        frames: Some(frames),
        ..stage(name, StageKind::Kernel, size)
    }
}

fn upscaler(network: &str, precision: &str, tiled: bool, frames: u32) -> StageSpec {
    let name = format!(
        "upscale_{network}{}_{precision}",
        if tiled { "_tiles" } else { "" }
    );
    let factor = if network == "x2plus" { 2 } else { 4 };
    StageSpec {
        network: Some(network.into()),
        precision: Some(precision.into()),
        tiles: tiled.then(job_tiles),
        upscale: Some(factor),
        frames: Some(frames),
        ..stage(&name, StageKind::Upscale, JOB_SIZE)
    }
}

fn rife(part: &str, frames: u32) -> StageSpec {
    StageSpec {
        network: Some("rife-v4.25".into()),
        part: Some(part.into()),
        precision: Some("fp16".into()),
        frames: Some(frames),
        ..stage(&format!("rife_{part}"), StageKind::Interpolate, JOB_SIZE)
    }
}

impl Workload {
    /// The CUDA workload.
    pub fn cuda_1088p() -> Self {
        let (w, h) = JOB_SIZE;
        let out = (2 * w, 2 * h);
        let on = |mut s: StageSpec, clip: &str| {
            s.clip = Some(clip.into());
            s
        };
        let mut stages = vec![
            on(stage("decode_h264", StageKind::Decode, JOB_SIZE), JOB_CLIP),
            on(
                stage("decode_hevc10", StageKind::Decode, JOB_SIZE),
                "hevc10",
            ),
            kernel("kernel_nv12_to_rgb", "yuv_to_rgb", JOB_SIZE, 32),
            StageSpec {
                tiles: Some(job_tiles()),
                ..kernel("kernel_tile_extract", "tile_extract", JOB_SIZE, 32)
            },
            StageSpec {
                tiles: Some(job_tiles()),
                upscale: Some(2),
                ..kernel("kernel_tile_stitch", "tile_stitch", JOB_SIZE, 32)
            },
            kernel("kernel_resize_half", "resize_half", (4 * w, 4 * h), 32),
            kernel("kernel_rgb_to_nv12", "rgb_to_yuv", out, 32),
            rife("encoder", 32),
            rife("flow", 32),
        ];
        for network in ["x2plus", "x4plus", "animevideov3"] {
            for precision in ["fp16", "fp8"] {
                for tiled in [false, true] {
                    stages.push(upscaler(network, precision, tiled, 4));
                }
            }
        }
        stages.push(StageSpec {
            frames: Some(48),
            ..stage("encode", StageKind::Encode, out)
        });
        stages.push(StageSpec {
            network: Some("x2plus".into()),
            precision: Some("fp16".into()),
            interpolate: Some(2),
            upscale: Some(2),
            ..on(stage("end_to_end", StageKind::EndToEnd, JOB_SIZE), JOB_CLIP)
        });
        Workload {
            name: "cuda-1088p".into(),
            threads: 0,
            encode: EncodeSpec {
                codec: "h264".into(),
                crf: 18,
                preset: "medium".into(),
            },
            clips: vec![
                clip(JOB_CLIP, JOB_FRAMES, None, None),
                clip("hevc10", 48, Some("hevc"), Some(10)),
            ],
            stages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::synthetic;

    #[test]
    fn the_job_and_its_stages_are_well_formed() {
        let w = Workload::cuda_1088p();
        let job = w.clip(JOB_CLIP).unwrap();
        assert_eq!((job.width, job.height, job.frames), (1920, 1088, 161));
        assert_eq!(w.clip("hevc10").unwrap().bits, Some(10));
        let mut names: Vec<&str> = w.stages.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), w.stages.len(), "unique stage names");
        for s in &w.stages {
            if let Some(c) = &s.clip {
                assert!(w.clip(c).is_some(), "{}", s.name);
            }
            if let Some(n) = &s.network {
                assert!(synthetic::network(n).is_some(), "{}", s.name);
            }
            let needs_frames = matches!(
                s.kind,
                StageKind::Kernel | StageKind::Upscale | StageKind::Interpolate | StageKind::Encode
            );
            assert_eq!(s.frames.is_some(), needs_frames, "{}", s.name);
        }
        // Every upscaler in fp16 and fp8, whole and in 512-pixel tiles with 64 of context.
        let ups: Vec<&StageSpec> = w
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Upscale)
            .collect();
        assert_eq!(ups.len(), 12);
        assert!(ups.iter().filter(|s| s.tiles.is_some()).all(|s| s.tiles
            == Some(TileSpec {
                tile: 512,
                pad: 64,
                batch: 4
            })));
        let e2e = w.stages.last().unwrap();
        assert_eq!((e2e.interpolate, e2e.upscale), (Some(2), Some(2)));
        assert_eq!(e2e.network.as_deref(), Some("x2plus"));
    }
}
