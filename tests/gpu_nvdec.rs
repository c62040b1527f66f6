//! NVDEC on a GPU: every clip of ../shared/media that the GPU can decode goes through the device
//! source (demuxer → Annex-B → NVDEC), and every frame is compared with FFmpeg's software decode
//! of the same clip: the same number of frames, the same timestamps, PSNR >= 50 dB per frame.
//! Without a GPU, libnvcuvid or the clips it prints `skipped: ...` and passes.

mod common;

use std::path::Path;
use std::process::Command;

use common::gpu::{cuda_device, skip};
use smoothscale::nvcodec::decoder::{HostFrame, NvdecError, SurfaceFormat};
use smoothscale::nvcodec::device_source::{DeviceSource, DeviceSourceError};
use smoothscale_nvcodec_sys::Cuvid;

const CLIPS: [&str; 4] = [
    "plant_320x240_h264_aac.mp4",
    "plant_320x240_hevc_aac.mp4",
    "dog_1920x1080_h264_cfr30_aac.mp4",
    "dog_1920x1080_h264_vfr_aac.mp4",
];
const MIN_PSNR: f64 = 50.0;

/// FFmpeg's software decode: packed frames in display order and their pts (stream time base).
fn reference(
    path: &Path,
    format: SurfaceFormat,
    width: u32,
    height: u32,
) -> (Vec<HostFrame>, Vec<i64>) {
    let pix_fmt = match format {
        SurfaceFormat::Nv12 => "nv12",
        SurfaceFormat::P016 => "p016le",
    };
    let path_str = path.to_str().unwrap();
    let raw = Command::new("ffmpeg")
        .args([
            "-v", "error", "-threads", "1", "-i", path_str, "-map", "0:v:0",
        ])
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            pix_fmt,
            "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let size = width as usize * height as usize * 3 / 2 * format.bytes_per_sample();
    let frames = raw
        .stdout
        .chunks(size)
        .map(|c| HostFrame::from_packed(format, width, height, c).expect("whole frames"))
        .collect();
    let pts = common::tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts",
            "-of",
            "default=nw=1:nk=1",
            path_str,
        ],
    );
    let pts = pts
        .lines()
        .filter_map(|l| l.split(',').next().map(str::trim).filter(|v| !v.is_empty()))
        .map(|v| v.parse().unwrap())
        .collect();
    (frames, pts)
}

/// Decodes one clip on the device; `false` when this GPU cannot decode it.
fn check_clip(ctx: &std::sync::Arc<cudarc::driver::CudaContext>, name: &str, path: &Path) -> bool {
    let stream = ctx.new_stream().unwrap();
    let mut source = DeviceSource::open(path, stream.clone()).unwrap();
    let mut frames = Vec::new();
    let mut pts = Vec::new();
    loop {
        match source.next_frame() {
            Ok(Some(f)) => {
                frames.push(f.frame.download(&stream).unwrap());
                pts.push(f.pts);
            }
            Ok(None) => break,
            Err(DeviceSourceError::Nvdec {
                source: NvdecError::Caps(e),
                ..
            }) => {
                eprintln!("{name}: not decodable on this GPU: {e}");
                return false;
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(!frames.is_empty(), "{name}: no frames");
    let first = &frames[0];
    let (reference, reference_pts) = reference(path, first.format, first.width, first.height);
    assert_eq!(frames.len(), reference.len(), "{name}: frame count");
    assert_eq!(pts, reference_pts, "{name}: timestamps");
    for (i, (ours, theirs)) in frames.iter().zip(&reference).enumerate() {
        let psnr = ours.psnr(theirs).expect("same format and size");
        assert!(
            psnr >= MIN_PSNR,
            "{name}: frame {i}: PSNR {psnr:.2} dB < {MIN_PSNR}"
        );
    }
    eprintln!(
        "{name}: {} frames match FFmpeg (PSNR >= {MIN_PSNR} dB)",
        frames.len()
    );
    true
}

#[test]
fn nvdec_matches_software_decode_on_the_shared_clips() {
    let Some(ctx) = cuda_device() else { return };
    if let Err(e) = Cuvid::load() {
        skip(&format!("no NVDEC ({e})"));
        return;
    }
    let present: Vec<_> = CLIPS
        .iter()
        .filter_map(|name| common::shared_clip(name).map(|p| (*name, p)))
        .collect();
    if present.is_empty() {
        skip("no NVDEC test clip (../shared/media is absent)");
        return;
    }
    let decoded = present
        .iter()
        .filter(|(name, path)| check_clip(&ctx, name, path))
        .count();
    assert!(decoded > 0, "the GPU decoded none of the clips");
}
