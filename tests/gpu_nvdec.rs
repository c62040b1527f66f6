//! NVDEC on a GPU: every clip of ../shared/media that the GPU can decode goes through the source
//! with the NVDEC decoder (demuxer → Annex-B → NVDEC → our Y'CbCr → RGB kernel on the mapped
//! surface), and every frame is compared with FFmpeg's software decode through the same source
//! and the CPU colour conversion: the same number of frames, the same times, PSNR >= 50 dB per
//! frame. Everything runs in-process (no ffmpeg executable: the GPU bundle has none). Without a
//! GPU, libnvcuvid or the clips it prints `skipped: ...` and passes.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::gpu::{cuda_device, skip};
use smoothscale::cuda::device::{FrameLayout, Gpu, Kernels, PixelFormat};
use smoothscale::frame::RgbFrame;
use smoothscale::nvcodec::decoder::NvdecError;
use smoothscale::nvcodec::video_decoder::NvdecDecoder;
use smoothscale::pipeline::cuda::ToDeviceRgb;
use smoothscale::video::{
    declared_frame_size, Item, Source, VideoDecoder, VideoError, Window, DEFAULT_MAX_PIXELS,
};
use smoothscale_nvcodec_sys::Cuvid;

const CLIPS: [&str; 4] = [
    "plant_320x240_h264_aac.mp4",
    "plant_320x240_hevc_aac.mp4",
    "dog_1920x1080_h264_cfr30_aac.mp4",
    "dog_1920x1080_h264_vfr_aac.mp4",
];
const MIN_PSNR: f64 = 50.0;

/// PSNR in dB over all samples (peak 1.0); infinite when identical.
fn psnr(a: &RgbFrame, b: &RgbFrame) -> f64 {
    let mut sum = 0.0f64;
    for c in 0..3 {
        for (x, y) in a.plane(c).iter().zip(b.plane(c)) {
            sum += f64::from(x - y).powi(2);
        }
    }
    10.0 * (3.0 * (a.width() * a.height()) as f64 / sum).log10()
}

/// Every frame of `source` with its time in seconds, through `to_host`.
fn frames<D: VideoDecoder>(
    mut source: Source<D>,
    mut to_host: impl FnMut(D::Frame) -> RgbFrame,
) -> Result<Vec<(f64, RgbFrame)>, VideoError> {
    let mut out = Vec::new();
    while let Some(item) = source.next_item()? {
        if let Item::Frame(f) = item {
            out.push((f.time.to_f64(), to_host(f.rgb)));
        }
    }
    Ok(out)
}

fn not_decodable(e: &VideoError) -> bool {
    match e {
        VideoError::GpuDecode { source, .. } => matches!(
            source.downcast_ref::<NvdecError>(),
            Some(NvdecError::Caps(_))
        ),
        _ => false,
    }
}

/// Decodes one clip on the device; `false` when this GPU cannot decode it.
fn check_clip(ctx: &Arc<cudarc::driver::CudaContext>, name: &str, path: &Path) -> bool {
    let gpu = Gpu::from_context(ctx.clone()).unwrap();
    let kernels = Arc::new(Kernels::load(&gpu).unwrap());
    let stream = gpu.new_stream().unwrap();
    let (w, h) = declared_frame_size(path, DEFAULT_MAX_PIXELS).unwrap();
    let layout = FrameLayout::planar(PixelFormat::RgbF32, w as usize, h as usize, 1).unwrap();
    let converter = ToDeviceRgb::new(kernels, layout);
    let decoded = Source::open_with(path, Window::default(), DEFAULT_MAX_PIXELS, |s| {
        NvdecDecoder::open(path, s, stream.clone(), converter)
    })
    .and_then(|source| frames(source, |f| f.to_rgb_frame(&stream).unwrap()));
    let ours = match decoded {
        Ok(frames) => frames,
        Err(e) if not_decodable(&e) => {
            eprintln!("{name}: not decodable on this GPU: {e}");
            return false;
        }
        Err(e) => panic!("{name}: {e}"),
    };
    let theirs = frames(Source::open(path, Window::default()).unwrap(), |f| f).unwrap();
    assert!(!ours.is_empty(), "{name}: no frames");
    assert_eq!(ours.len(), theirs.len(), "{name}: frame count");
    for (i, ((t_ours, ours), (t_theirs, theirs))) in ours.iter().zip(&theirs).enumerate() {
        assert!(
            (t_ours - t_theirs).abs() < 1e-6,
            "{name}: frame {i} at {t_ours} s, FFmpeg says {t_theirs} s"
        );
        let p = psnr(ours, theirs);
        assert!(
            p >= MIN_PSNR,
            "{name}: frame {i}: PSNR {p:.2} dB < {MIN_PSNR}"
        );
    }
    eprintln!(
        "{name}: {} frames match FFmpeg's (PSNR >= {MIN_PSNR} dB)",
        ours.len()
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

/// A small H.264 clip made for the decoder's bookkeeping (`tests/media`, made with FFmpeg's
/// libx264: `testsrc2` 66x34, 50 frames, 16 reference frames, 8 B-frames as a pyramid), whose
/// coded size (80x48) is cropped to 66x34: every frame comes out at the container's size, in
/// display order, including those the end-of-stream flush shows at once.
#[test]
fn nvdec_decodes_a_deep_reorder_clip_with_a_cropped_size() {
    let Some(ctx) = cuda_device() else { return };
    if let Err(e) = Cuvid::load() {
        skip(&format!("no NVDEC ({e})"));
        return;
    }
    // Embedded, so the GPU bundle (which carries the test executables, not the repository) has
    // it too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep_reorder_66x34.mp4");
    std::fs::write(&path, include_bytes!("media/deep_reorder_66x34.mp4")).unwrap();
    assert!(
        check_clip(&ctx, "deep_reorder_66x34", &path),
        "this GPU's NVDEC decodes 66x34 H.264 High"
    );
}
