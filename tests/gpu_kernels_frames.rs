//! The CUDA tile, resize and scene kernels run on the device through the device layer, on the
//! inputs of the host runs (`common::kernel_cases`), against the Rust references: tiles exact,
//! f32 within 1e-5, f16 within 1e-3, the scene metric within 1e-6. Without a CUDA device every
//! test prints `skipped: ...` and passes.

mod common;

use common::kernel_cases::*;
use smoothscale::colour::{f16_to_f32, f32_to_f16, PlaneRef};
use smoothscale::cuda::device::{DeviceFrame, DeviceTiles, FrameLayout, PixelFormat, TileBatch};
use smoothscale::frame::RgbFrame;
use smoothscale::scene::luma_difference;
use smoothscale::tiling::{extract_tiles, stitch_tiles, TilePlan};

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
            let format = if wide {
                PixelFormat::P016 { sample_shift: 0 }
            } else {
                PixelFormat::Nv12
            };
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
