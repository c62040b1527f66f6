//! The CUDA colour kernels run on the device through the device layer (`smoothscale::cuda::device`),
//! on the inputs of the host runs (`common::kernel_cases`), against the Rust references: within 1
//! code value (8, 10 and 16 bits), f32 within 1e-5, f16 within 1e-3; and frames that do not fit a
//! kernel refused before launch. The other kernels: `gpu_kernels_frames.rs`. Without a CUDA device
//! every test prints `skipped: ...` and passes.

mod common;

use common::kernel_cases::*;
use smoothscale::colour::{f16_to_f32, f32_to_f16, Encoding, Matrix, Range, Siting};
use std::sync::Arc;

use cudarc::driver::CudaStream;

use smoothscale::cuda::device::cache::CacheOutcome;
use smoothscale::cuda::device::{
    DeviceError, DeviceFrame, FrameLayout, KernelOrigin, Kernels, PixelFormat,
};

fn yuv_format(wide: bool, shift: u32) -> PixelFormat {
    if wide {
        PixelFormat::P016 {
            sample_shift: shift,
        }
    } else {
        PixelFormat::Nv12
    }
}

/// A pitch wider than the chroma row (odd, when 8-bit), so pitch ≠ width is exercised.
fn pitch_of(w: usize, wide: bool) -> usize {
    (2 * w.div_ceil(2) + 5) * if wide { 2 } else { 1 }
}

/// Runs every Y'CbCr → RGB case with `kernels`: (cases, max f32 error, max f16 error).
fn yuv420_to_rgb_errors(kernels: &Kernels, stream: &Arc<CudaStream>) -> (usize, f32, f32) {
    let mut rng = Rng(11);
    let (mut worst32, mut worst16, mut cases) = (0.0f32, 0.0f32, 0);
    for (e, shift, wide) in encodings() {
        for siting in SITINGS {
            for (i, &(w, h)) in SIZES.iter().enumerate() {
                let codes = YuvCodes::generate(&mut rng, e, (i + cases) % 4, w, h);
                cases += 1;
                let pitch = pitch_of(w, wide);
                let layout = FrameLayout::yuv420(yuv_format(wide, shift), w, h, pitch).unwrap();
                let mut host = to_pitched(&codes.y, w, pitch, wide, shift);
                host.extend(to_pitched(
                    &codes.interleaved_chroma(),
                    2 * w.div_ceil(2),
                    pitch,
                    wide,
                    shift,
                ));
                let src = DeviceFrame::copy_from_host(stream, layout, &host).unwrap();
                let reference = codes.reference_rgb(e, siting, 64);
                for format in [PixelFormat::RgbF32, PixelFormat::RgbF16] {
                    let out_layout = FrameLayout::planar(format, w, h, 64).unwrap();
                    assert_eq!(
                        (out_layout.padded_width, out_layout.padded_height),
                        (reference.width, reference.height)
                    );
                    // Filled with garbage first: the kernel must write the pad too.
                    let garbage = vec![0x7fu8; out_layout.bytes()];
                    let mut out =
                        DeviceFrame::copy_from_host(stream, out_layout, &garbage).unwrap();
                    kernels
                        .yuv_to_rgb(stream, &src, e, siting, &mut out)
                        .unwrap();
                    let got = out.copy_to_host(stream).unwrap();
                    let values: Vec<f32> = match format {
                        PixelFormat::RgbF32 => f32s(&got),
                        _ => wide_samples(&got).into_iter().map(f16_to_f32).collect(),
                    };
                    let worst = values
                        .iter()
                        .zip(&reference.data)
                        .map(|(g, r)| (g - r).abs())
                        .fold(0.0f32, f32::max);
                    match format {
                        PixelFormat::RgbF32 => worst32 = worst32.max(worst),
                        _ => worst16 = worst16.max(worst),
                    }
                }
            }
        }
    }
    (cases, worst32, worst16)
}

fn assert_yuv420_to_rgb_within_tolerance(kernels: &Kernels, stream: &Arc<CudaStream>) {
    let (cases, worst32, worst16) = yuv420_to_rgb_errors(kernels, stream);
    eprintln!(
        "yuv420 → rgb on the device ({:?}): {cases} cases, max |Δ| f32 {worst32:e}, f16 {worst16:e}",
        kernels.origin()
    );
    assert!(worst32 <= 1e-5, "f32 error {worst32}");
    assert!(worst16 <= 1e-3, "f16 error {worst16}");
}

#[test]
fn yuv420_to_rgb_matches_reference_on_device() {
    let Some(d) = device() else { return };
    assert_yuv420_to_rgb_within_tolerance(&d.kernels, &d.stream);
}

/// The NVRTC path, whatever this build embedded: compiled into an empty cache, read back from
/// it, rebuilt from a corrupt entry, and converting like the reference.
#[test]
fn nvrtc_kernels_are_cached_and_match_the_reference() {
    let Some(d) = device() else { return };
    let gpu = d.kernels.gpu().clone();
    let dir = tempfile::tempdir().unwrap();
    let load = || Kernels::load_compiled(&gpu, Some(dir.path()));
    let first = match load() {
        Ok(kernels) => kernels,
        Err(e @ DeviceError::LibraryMissing { .. }) => {
            common::gpu::skip(&format!("NVRTC ({e})"));
            return;
        }
        Err(e) => panic!("NVRTC kernels: {e}"),
    };
    assert_eq!(first.origin(), KernelOrigin::Nvrtc(CacheOutcome::Miss));
    assert_eq!(
        load().unwrap().origin(),
        KernelOrigin::Nvrtc(CacheOutcome::Hit)
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::write(
        &entries[0],
        "// smoothscale-kernel-cache/1 sha256=00\n.version 1.0\n",
    )
    .unwrap();
    let rebuilt = load().unwrap();
    assert_eq!(rebuilt.origin(), KernelOrigin::Nvrtc(CacheOutcome::Rebuilt));
    assert_yuv420_to_rgb_within_tolerance(&rebuilt, &d.stream);
}

/// The fat binary (nvcc, `--fmad=false`) against the kernels NVRTC compiles from the same source
/// with the same options: both run the same separately rounded operations, so the fat binary
/// meets exactly the bound NVRTC meets (with multiply-add contraction it would differ by ulps).
#[test]
fn the_fat_binary_meets_the_bound_nvrtc_meets() {
    let Some(d) = device() else { return };
    if d.kernels.origin() != KernelOrigin::Fatbin {
        common::gpu::skip("this build embedded no fat binary (nvcc was not found)");
        return;
    }
    let nvrtc = match Kernels::load_compiled(d.kernels.gpu(), None) {
        Ok(kernels) => kernels,
        Err(e @ DeviceError::LibraryMissing { .. }) => {
            common::gpu::skip(&format!("NVRTC ({e})"));
            return;
        }
        Err(e) => panic!("NVRTC kernels: {e}"),
    };
    let (cases, fat32, fat16) = yuv420_to_rgb_errors(&d.kernels, &d.stream);
    let (_, rtc32, rtc16) = yuv420_to_rgb_errors(&nvrtc, &d.stream);
    eprintln!(
        "{cases} cases: fat binary f32 {fat32:e} f16 {fat16:e}, NVRTC f32 {rtc32:e} f16 {rtc16:e}"
    );
    assert_eq!((fat32, fat16), (rtc32, rtc16));
}

#[test]
fn rgb_to_yuv420_matches_reference_on_device() {
    let Some(d) = device() else { return };
    let mut rng = Rng(12);
    let (mut worst, mut cases) = (0u16, 0);
    for (e, shift, wide) in encodings() {
        for siting in SITINGS {
            for (&(w, h), half) in SIZES.iter().flat_map(|s| [(s, false), (s, true)]) {
                let frame = rgb_frame(&mut rng, cases % 4, w, h, half);
                cases += 1;
                let reference = YuvCodes::from_rgb(&frame, e, siting);
                // Read from a padded layout, as a model's output would be.
                let padded = frame.pad_chw(16);
                let (format, bytes) = if half {
                    let halves: Vec<u16> = padded.data.iter().map(|&v| f32_to_f16(v)).collect();
                    (PixelFormat::RgbF16, u16_bytes(&halves))
                } else {
                    (PixelFormat::RgbF32, f32_bytes(&padded.data))
                };
                let src_layout = FrameLayout::planar(format, w, h, 16).unwrap();
                let src = DeviceFrame::copy_from_host(&d.stream, src_layout, &bytes).unwrap();
                let pitch = pitch_of(w, wide);
                let layout = FrameLayout::yuv420(yuv_format(wide, shift), w, h, pitch).unwrap();
                let mut out = DeviceFrame::alloc_zeroed(&d.stream, layout).unwrap();
                d.kernels
                    .rgb_to_yuv(&d.stream, &src, e, siting, &mut out)
                    .unwrap();
                let got = out.copy_to_host(&d.stream).unwrap();
                let (luma, chroma) = got.split_at(layout.chroma_offset());
                worst = worst.max(reference.max_code_error(
                    (luma, pitch),
                    (chroma, pitch),
                    wide,
                    shift,
                ));
            }
        }
    }
    eprintln!(
        "rgb (f32 and f16) → yuv420 on the device: {cases} cases, max |Δ| {worst} code values"
    );
    assert!(worst <= 1, "{worst} code values");
}

#[test]
fn frames_that_do_not_fit_are_refused_before_launch() {
    let Some(d) = device() else { return };
    let e = Encoding {
        matrix: Matrix::Bt709,
        range: Range::Limited,
        bits: 8,
    };
    let src_layout = FrameLayout::yuv420_aligned(PixelFormat::Nv12, 64, 32, 256).unwrap();
    let src = DeviceFrame::alloc_zeroed(&d.stream, src_layout).unwrap();
    let small = FrameLayout::planar(PixelFormat::RgbF32, 63, 32, 64).unwrap();
    let mut out = DeviceFrame::alloc_zeroed(&d.stream, small).unwrap();
    let r = d
        .kernels
        .yuv_to_rgb(&d.stream, &src, e, Siting::Left, &mut out);
    assert!(matches!(r, Err(DeviceError::Geometry { .. })), "{r:?}");
    let ten_bit = Encoding { bits: 10, ..e };
    let right = FrameLayout::planar(PixelFormat::RgbF32, 64, 32, 64).unwrap();
    let mut out = DeviceFrame::alloc_zeroed(&d.stream, right).unwrap();
    let r = d
        .kernels
        .yuv_to_rgb(&d.stream, &src, ten_bit, Siting::Left, &mut out);
    assert!(matches!(r, Err(DeviceError::Geometry { .. })), "{r:?}");
    d.kernels
        .yuv_to_rgb(&d.stream, &src, e, Siting::Left, &mut out)
        .unwrap();
}
