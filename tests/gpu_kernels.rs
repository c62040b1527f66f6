//! Every CUDA frame kernel run on the device through the device layer
//! (`smoothscale::cuda::device`), on the inputs of the host runs (`common::kernel_cases`), and
//! compared with the Rust references: colour within 1 code value (8 to 16 bits), f32 within 1e-5,
//! f16 within 1e-3, tiles exact. Without a CUDA device every test prints `skipped: ...` and passes.

mod common;

use std::sync::Arc;

use cudarc::driver::CudaStream;

use common::kernel_cases::*;
use smoothscale::colour::{f16_to_f32, f32_to_f16, Encoding, Matrix, PlaneRef, Range, Siting};
use smoothscale::cuda::device::{
    DeviceError, DeviceFrame, DeviceTiles, FrameLayout, Gpu, Kernels, PixelFormat, TileBatch,
};
use smoothscale::frame::RgbFrame;
use smoothscale::scene::luma_difference;
use smoothscale::tiling::{extract_tiles, stitch_tiles, TilePlan};

struct Device {
    kernels: Kernels,
    stream: Arc<CudaStream>,
}

/// The first device with the kernels loaded, or `None` (after the skip line) without one.
fn device() -> Option<Device> {
    let context = common::gpu::cuda_device()?;
    let gpu = Gpu::from_context(context).expect("device properties");
    eprintln!("{}", gpu.info());
    let kernels = Kernels::load(&gpu).expect("the kernels load on the device");
    eprintln!("kernels: {:?}", kernels.origin());
    let stream = gpu.new_stream().expect("a stream");
    Some(Device { kernels, stream })
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn u16_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

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

#[test]
fn yuv420_to_rgb_matches_reference_on_device() {
    let Some(d) = device() else { return };
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
                let src = DeviceFrame::copy_from_host(&d.stream, layout, &host).unwrap();
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
                        DeviceFrame::copy_from_host(&d.stream, out_layout, &garbage).unwrap();
                    d.kernels
                        .yuv_to_rgb(&d.stream, &src, e, siting, &mut out)
                        .unwrap();
                    let got = out.copy_to_host(&d.stream).unwrap();
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
    eprintln!(
        "yuv420 → rgb on the device: {cases} cases, max |Δ| f32 {worst32:e}, f16 {worst16:e}"
    );
    assert!(worst32 <= 1e-5, "f32 error {worst32}");
    assert!(worst16 <= 1e-3, "f16 error {worst16}");
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

/// Extract and stitch on the device against the references, for one element format.
fn check_tiles(
    d: &Device,
    format: PixelFormat,
    src: &[u8],
    (w, h, tile, pad, scale): (usize, usize, usize, usize, usize),
) {
    let plan = TilePlan::new(w, h, tile, pad);
    let (sw, sh, n) = (plan.slot_width, plan.slot_height, plan.tiles.len());
    let layout = FrameLayout::planar(format, w, h, 1).unwrap();
    let frame = DeviceFrame::copy_from_host(&d.stream, layout, src).unwrap();
    let tiles = DeviceTiles::upload(&d.stream, &plan).unwrap();
    let mut batch = TileBatch::alloc_zeroed(&d.stream, format, n, sw, sh).unwrap();
    d.kernels
        .tile_extract(&d.stream, &frame, &tiles, &mut batch)
        .unwrap();
    let got = batch.copy_to_host(&d.stream).unwrap();
    let upscaled_layout = FrameLayout::planar(format, w * scale, h * scale, 1).unwrap();
    let mut out = DeviceFrame::alloc_zeroed(&d.stream, upscaled_layout).unwrap();
    let shape = (n, sw * scale, sh * scale);
    let (extract_ok, up) = match format {
        PixelFormat::RgbF32 => {
            let reference = extract_tiles(&plan, &f32s(src), 3);
            let up = upscale_slots(&reference, 3 * n, sw, sh, scale);
            (f32s(&got) == reference, f32_bytes(&up))
        }
        _ => {
            let reference = extract_tiles(&plan, &wide_samples(src), 3);
            let up = upscale_slots(&reference, 3 * n, sw, sh, scale);
            (wide_samples(&got) == reference, u16_bytes(&up))
        }
    };
    assert!(
        extract_ok,
        "extract {format:?} {w}x{h} tile {tile} pad {pad}"
    );
    let up_batch = TileBatch::copy_from_host(&d.stream, format, shape, &up).unwrap();
    d.kernels
        .tile_stitch(&d.stream, &up_batch, scale, &tiles, &mut out)
        .unwrap();
    let got = out.copy_to_host(&d.stream).unwrap();
    let want = match format {
        PixelFormat::RgbF32 => f32_bytes(&stitch_tiles(&plan, &f32s(&up), scale, 3)),
        _ => u16_bytes(&stitch_tiles(&plan, &wide_samples(&up), scale, 3)),
    };
    assert!(
        got == want,
        "stitch {format:?} {w}x{h} tile {tile} pad {pad}"
    );
}

#[test]
fn tiles_match_reference_on_device() {
    let Some(d) = device() else { return };
    let mut rng = Rng(13);
    for case in TILE_CASES {
        let values: Vec<f32> = (0..3 * case.0 * case.1).map(|_| rng.unit()).collect();
        check_tiles(&d, PixelFormat::RgbF32, &f32_bytes(&values), case);
        let halves: Vec<u16> = values.iter().map(|&v| f32_to_f16(v)).collect();
        check_tiles(&d, PixelFormat::RgbF16, &u16_bytes(&halves), case);
    }
}

#[test]
fn resize_half_matches_reference_on_device() {
    let Some(d) = device() else { return };
    let mut rng = Rng(14);
    let (mut worst32, mut worst16) = (0.0f32, 0.0f32);
    for (w, h) in RESIZE_SIZES {
        let data: Vec<f32> = (0..3 * w * h).map(|_| rng.unit() * 1.5 - 0.2).collect();
        let frame = RgbFrame::from_chw(w, h, data).expect("CHW data");
        let padded = frame.pad_chw(8);
        let reference = frame.resize_half();
        for format in [PixelFormat::RgbF32, PixelFormat::RgbF16] {
            let bytes = match format {
                PixelFormat::RgbF32 => f32_bytes(&padded.data),
                _ => u16_bytes(
                    &padded
                        .data
                        .iter()
                        .map(|&v| f32_to_f16(v))
                        .collect::<Vec<_>>(),
                ),
            };
            let src_layout = FrameLayout::planar(format, w, h, 8).unwrap();
            let src = DeviceFrame::copy_from_host(&d.stream, src_layout, &bytes).unwrap();
            let out_layout = FrameLayout::planar(format, w.div_ceil(2), h.div_ceil(2), 1).unwrap();
            let mut out = DeviceFrame::alloc_zeroed(&d.stream, out_layout).unwrap();
            d.kernels.resize_half(&d.stream, &src, &mut out).unwrap();
            let got = out.copy_to_host(&d.stream).unwrap();
            let values: Vec<f32> = match format {
                PixelFormat::RgbF32 => f32s(&got),
                _ => wide_samples(&got).into_iter().map(f16_to_f32).collect(),
            };
            assert_eq!(values.len(), reference.as_chw().len());
            let worst = values
                .iter()
                .zip(reference.as_chw())
                .map(|(g, r)| (g - r).abs())
                .fold(0.0f32, f32::max);
            match format {
                PixelFormat::RgbF32 => worst32 = worst32.max(worst),
                _ => worst16 = worst16.max(worst),
            }
        }
    }
    eprintln!("resize_half on the device: max |Δ| f32 {worst32:e}, f16 {worst16:e}");
    assert!(worst32 <= 1e-5, "f32 error {worst32}");
    assert!(worst16 <= 1e-3, "f16 error {worst16}");
}

#[test]
fn scene_difference_matches_reference_on_device() {
    let Some(d) = device() else { return };
    let mut rng = Rng(15);
    for (w, h, cell) in SCENE_CASES {
        let pitch = 2 * w + 6;
        let (a, b) = scene_pair(&mut rng, pitch, h);
        for wide in [false, true] {
            let format = yuv_format(wide, 0);
            let layout = FrameLayout::yuv420(format, w, h, pitch).unwrap();
            let upload = |luma: &[u8]| {
                let mut host = luma.to_vec();
                host.resize(layout.bytes(), 0x80);
                DeviceFrame::copy_from_host(&d.stream, layout, &host).unwrap()
            };
            let (fa, fb) = (upload(&a), upload(&b));
            let got = d
                .kernels
                .scene_difference(&d.stream, &fa, &fb, cell)
                .unwrap();
            let reference = if wide {
                let (a16, b16) = (wide_samples(&a), wide_samples(&b));
                let plane = |data| PlaneRef {
                    data,
                    stride: pitch / 2,
                    width: w,
                    height: h,
                };
                luma_difference(plane(&a16[..]), plane(&b16[..]), cell)
            } else {
                let plane = |data| PlaneRef {
                    data,
                    stride: pitch,
                    width: w,
                    height: h,
                };
                luma_difference(plane(&a[..]), plane(&b[..]), cell)
            };
            assert!(
                (got - reference).abs() <= 1e-6,
                "{format:?} {w}x{h} cell {cell}: {got} vs {reference}"
            );
        }
    }
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
