//! The CUDA frame kernels `tiles.cu`, `resize_half.cu` and `scene_diff.cu`, compiled for the host
//! by `sys/cuda-host-kernels`, against the Rust references (`tiling`, `RgbFrame::resize_half`,
//! `scene::luma_difference`): bit-exact, on odd sizes and strides wider than the row.

mod common;

use common::kernel_cases::{
    scene_pair, upscale_slots, wide_samples, Rng, RESIZE_SIZES, SCENE_CASES, TILE_CASES,
};
use smoothscale::colour::{f16_to_f32, f32_to_f16, PlaneRef};
use smoothscale::cuda::{KernelTile, LaunchDims};
use smoothscale::frame::RgbFrame;
use smoothscale::scene::luma_difference;
use smoothscale::tiling::{extract_tiles, stitch_tiles, TilePlan};
use smoothscale_cuda_host_kernels as host;
use std::ffi::c_void;

fn launch(d: LaunchDims) -> host::Launch {
    host::Launch {
        grid: d.grid,
        block: d.block,
    }
}

/// Extract, "model", stitch with both kernels and both references, for element type `T`.
fn check_tiles<T: Copy + Default + PartialEq + std::fmt::Debug>(
    src: &[T],
    (w, h, tile, pad, scale): (usize, usize, usize, usize, usize),
    extract: host::TileExtract<T>,
    stitch: host::TileStitch<T>,
) {
    let plan = TilePlan::new(w, h, tile, pad);
    let tiles: Vec<KernelTile> = plan.tiles.iter().map(KernelTile::from).collect();
    let (sw, sh, n) = (plan.slot_width, plan.slot_height, plan.tiles.len());
    let reference = extract_tiles(&plan, src, 3);
    let mut batch = vec![T::default(); reference.len()];
    let dims = launch(LaunchDims::per_pixel(sw, sh, n));
    let tiles_ptr = tiles.as_ptr() as *const c_void;
    // SAFETY: `src` holds 3 planes of `w × h`, `batch` `n` slots of 3 × `sw × sh`, `tiles` `n`
    // SsTile: exactly what a `sw × sh × n` grid reads and writes.
    unsafe {
        extract(
            &dims,
            src.as_ptr(),
            w as i32,
            (w * h) as i64,
            3,
            tiles_ptr,
            batch.as_mut_ptr(),
            sw as i32,
            sh as i32,
        );
    }
    assert_eq!(batch, reference, "extract {w}x{h} tile {tile} pad {pad}");

    let up = upscale_slots(&batch, 3 * n, sw, sh, scale);
    let reference = stitch_tiles(&plan, &up, scale, 3);
    let mut out = vec![T::default(); reference.len()];
    let (ow, oh) = (w * scale, h * scale);
    let (kw, kh) = plan.max_keep();
    let dims = launch(LaunchDims::per_pixel(kw * scale, kh * scale, n));
    // SAFETY: `up` holds `n` slots of 3 × `sw·s × sh·s`, `out` 3 planes of `ow × oh`; each thread
    // writes inside its tile's kept region.
    unsafe {
        stitch(
            &dims,
            up.as_ptr(),
            (sw * scale) as i32,
            (sh * scale) as i32,
            scale as i32,
            3,
            tiles_ptr,
            out.as_mut_ptr(),
            ow as i32,
            (ow * oh) as i64,
        );
    }
    assert_eq!(out, reference, "stitch {w}x{h} tile {tile} pad {pad}");
    // The kept regions tile the output exactly: stitching equals upscaling the whole frame.
    assert_eq!(
        out,
        upscale_slots(src, 3, w, h, scale),
        "coverage {w}x{h} tile {tile} pad {pad}"
    );
}

#[test]
fn tiles_match_reference_f32_and_f16() {
    let mut rng = Rng(3);
    for case in TILE_CASES {
        let (w, h) = (case.0, case.1);
        let src: Vec<f32> = (0..3 * w * h).map(|_| rng.unit()).collect();
        check_tiles(
            &src,
            case,
            host::ss_host_ss_tile_extract_f32,
            host::ss_host_ss_tile_stitch_f32,
        );
        let half: Vec<u16> = src.iter().map(|&v| f32_to_f16(v)).collect();
        check_tiles(
            &half,
            case,
            host::ss_host_ss_tile_extract_f16,
            host::ss_host_ss_tile_stitch_f16,
        );
    }
}

#[test]
fn resize_half_matches_reference() {
    let mut rng = Rng(4);
    let mut worst16 = 0.0f32;
    for (w, h) in RESIZE_SIZES {
        let data: Vec<f32> = (0..3 * w * h).map(|_| rng.unit() * 1.5 - 0.2).collect();
        let frame = RgbFrame::from_chw(w, h, data).expect("CHW data");
        // Read from a padded layout: row and plane strides wider than the frame.
        let padded = frame.pad_chw(8);
        let (rs, ps) = (padded.width as i32, (padded.width * padded.height) as i64);
        let reference = frame.resize_half();
        let (ow, oh) = (reference.width(), reference.height());
        let dims = launch(LaunchDims::per_pixel(ow, oh, 1));
        let mut out = vec![f32::NAN; 3 * ow * oh];
        // SAFETY: the input holds 3 planes of `ps` elements with rows `rs` apart covering
        // `w × h`; the output 3 planes of `ow × oh`, what the grid writes.
        unsafe {
            host::ss_host_ss_resize_half_f32(
                &dims,
                padded.data.as_ptr(),
                w as i32,
                h as i32,
                rs,
                ps,
                3,
                out.as_mut_ptr(),
            );
        }
        assert_eq!(out, reference.as_chw(), "f32 {w}x{h}");

        // f16: the reference of the rounded input, rounded.
        let half: Vec<u16> = padded.data.iter().map(|&v| f32_to_f16(v)).collect();
        let widened: Vec<f32> = frame
            .as_chw()
            .iter()
            .map(|&v| f16_to_f32(f32_to_f16(v)))
            .collect();
        let reference16 = RgbFrame::from_chw(w, h, widened)
            .expect("CHW data")
            .resize_half();
        let mut out16 = vec![0u16; 3 * ow * oh];
        // SAFETY: as above, with f16 elements.
        unsafe {
            host::ss_host_ss_resize_half_f16(
                &dims,
                half.as_ptr(),
                w as i32,
                h as i32,
                rs,
                ps,
                3,
                out16.as_mut_ptr(),
            );
        }
        for (k, &r) in reference16.as_chw().iter().enumerate() {
            assert_eq!(out16[k], f32_to_f16(r), "f16 {w}x{h} at {k}");
            worst16 = worst16.max((f16_to_f32(out16[k]) - reference.as_chw()[k]).abs());
        }
    }
    eprintln!("resize_half: f32 exact, f16 max |Δ| vs f32 reference {worst16:e}");
    assert!(worst16 <= 1e-3);
}

/// Runs the three scene-metric launches as the device path would.
fn scene_metric(
    a: &[u8],
    b: &[u8],
    pitch: usize,
    (w, h, cell): (usize, usize, usize),
    cells: host::SceneCells,
) -> f32 {
    let (cols, rows) = (w.div_ceil(cell), h.div_ceil(cell));
    let mut diffs = vec![f32::NAN; cols * rows];
    let mut row_sums = vec![f32::NAN; rows];
    let mut total = [f32::NAN];
    // SAFETY: `a` and `b` hold `h` rows of `pitch` bytes; `diffs` one value per cell, `row_sums`
    // one per row, `total` one: what each grid writes.
    unsafe {
        cells(
            &launch(LaunchDims::per_pixel(cols, rows, 1)),
            a.as_ptr(),
            pitch as i32,
            b.as_ptr(),
            pitch as i32,
            w as i32,
            h as i32,
            cell as i32,
            diffs.as_mut_ptr(),
        );
        host::ss_host_ss_scene_row_sums(
            &launch(LaunchDims::per_row(rows)),
            diffs.as_ptr(),
            cols as i32,
            rows as i32,
            row_sums.as_mut_ptr(),
        );
        host::ss_host_ss_scene_row_sums(
            &launch(LaunchDims::per_row(1)),
            row_sums.as_ptr(),
            rows as i32,
            1,
            total.as_mut_ptr(),
        );
    }
    total[0] / (cols * rows) as f32
}

#[test]
fn scene_difference_matches_reference() {
    let mut rng = Rng(5);
    for (w, h, cell) in SCENE_CASES {
        let pitch = 2 * w + 6;
        let (a, b) = scene_pair(&mut rng, pitch, h);
        let plane8 = |d| PlaneRef {
            data: d,
            stride: pitch,
            width: w,
            height: h,
        };
        let reference = luma_difference(plane8(&a[..]), plane8(&b[..]), cell);
        let got = scene_metric(&a, &b, pitch, (w, h, cell), host::ss_host_ss_scene_cells_u8);
        assert_eq!(got, reference, "u8 {w}x{h} cell {cell}");

        let (a16, b16) = (wide_samples(&a), wide_samples(&b));
        let (w16, p16) = (w, pitch / 2);
        let plane16 = |d| PlaneRef {
            data: d,
            stride: p16,
            width: w16,
            height: h,
        };
        let reference = luma_difference(plane16(&a16[..]), plane16(&b16[..]), cell);
        let got = scene_metric(
            &a,
            &b,
            pitch,
            (w16, h, cell),
            host::ss_host_ss_scene_cells_u16,
        );
        assert_eq!(got, reference, "u16 {w}x{h} cell {cell}");
        eprintln!("scene {w}x{h} cell {cell}: {reference}");
    }
}
