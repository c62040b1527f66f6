//! NVDEC on a GPU: every clip of ../shared/media that the GPU can decode goes through the source
//! with the NVDEC decoder (demuxer → Annex-B → NVDEC, surfaces copied to the host here), and every
//! frame is compared with FFmpeg's software decode of the same clip: the same number of frames,
//! the same times, PSNR >= 50 dB per frame.
//! Without a GPU, libnvcuvid or the clips it prints `skipped: ...` and passes.

mod common;

use std::path::Path;
use std::process::Command;

use common::gpu::{cuda_device, skip};
use std::sync::Arc;

use cudarc::driver::CudaStream;
use smoothscale::nvcodec::decoder::{HostFrame, MappedFrame, NvdecError, SurfaceFormat};
use smoothscale::nvcodec::video_decoder::{NvdecDecoder, PictureConverter};
use smoothscale::video::{Item, PictureFormat, Source, VideoError, Window, DEFAULT_MAX_PIXELS};
use smoothscale_nvcodec_sys::Cuvid;

/// Copies each surface to the host (the test's converter; the pipeline's stays on the device).
struct HostCopy;

impl PictureConverter for HostCopy {
    type Frame = HostFrame;
    type Error = NvdecError;

    fn convert(
        &mut self,
        stream: &Arc<CudaStream>,
        picture: &MappedFrame,
        _format: &PictureFormat,
    ) -> Result<HostFrame, NvdecError> {
        picture.download(stream)
    }
}

const CLIPS: [&str; 4] = [
    "plant_320x240_h264_aac.mp4",
    "plant_320x240_hevc_aac.mp4",
    "dog_1920x1080_h264_cfr30_aac.mp4",
    "dog_1920x1080_h264_vfr_aac.mp4",
];
const MIN_PSNR: f64 = 50.0;

/// FFmpeg's software decode: packed frames in display order and their times in seconds.
fn reference(
    path: &Path,
    format: SurfaceFormat,
    width: u32,
    height: u32,
) -> (Vec<HostFrame>, Vec<f64>) {
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
            "frame=pts_time",
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
fn check_clip(ctx: &Arc<cudarc::driver::CudaContext>, name: &str, path: &Path) -> bool {
    let stream = ctx.new_stream().unwrap();
    let opened = Source::open_with(path, Window::default(), DEFAULT_MAX_PIXELS, |s| {
        NvdecDecoder::open(path, s, stream.clone(), HostCopy)
    });
    let not_decodable = |e: &VideoError| match e {
        VideoError::GpuDecode { source, .. } => matches!(
            source.downcast_ref::<NvdecError>(),
            Some(NvdecError::Caps(_))
        ),
        _ => false,
    };
    let mut source = match opened {
        Ok(source) => source,
        Err(e) if not_decodable(&e) => {
            eprintln!("{name}: not decodable on this GPU: {e}");
            return false;
        }
        Err(e) => panic!("{name}: {e}"),
    };
    let mut frames = Vec::new();
    let mut times = Vec::new();
    loop {
        match source.next_item() {
            Ok(Some(Item::Frame(f))) => {
                times.push(f.time.to_f64());
                frames.push(f.rgb);
            }
            Ok(Some(Item::Packet(_))) => {}
            Ok(None) => break,
            Err(e) if not_decodable(&e) => {
                eprintln!("{name}: not decodable on this GPU: {e}");
                return false;
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(!frames.is_empty(), "{name}: no frames");
    let first = &frames[0];
    let (reference, reference_times) = reference(path, first.format, first.width, first.height);
    assert_eq!(frames.len(), reference.len(), "{name}: frame count");
    let start = reference_times[0];
    for (i, (ours, theirs)) in times.iter().zip(&reference_times).enumerate() {
        assert!(
            (ours - (theirs - start)).abs() < 1e-4,
            "{name}: frame {i} at {ours} s, FFmpeg says {} s",
            theirs - start
        );
    }
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
