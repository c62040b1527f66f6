use super::*;
use crate::colour::{Matrix, Range};
use crate::tiling::TilePlan;

fn enc(bits: u32) -> Encoding {
    Encoding {
        matrix: Matrix::Bt709,
        range: Range::Limited,
        bits,
    }
}

fn yuv(format: PixelFormat, w: usize, h: usize) -> FrameLayout {
    FrameLayout::yuv420_aligned(format, w, h, 64).unwrap()
}

fn rgb(format: PixelFormat, w: usize, h: usize, multiple: usize) -> FrameLayout {
    FrameLayout::planar(format, w, h, multiple).unwrap()
}

#[test]
fn colour_kernels_by_format_and_encoding() {
    let (f32_, f16_) = (PixelFormat::RgbF32, PixelFormat::RgbF16);
    let nv12 = yuv(PixelFormat::Nv12, 33, 17);
    let p010 = yuv(PixelFormat::P010, 33, 17);
    let p016 = yuv(PixelFormat::P016 { sample_shift: 0 }, 33, 17);
    let out = rgb(f16_, 33, 17, 64);
    assert_eq!(
        yuv_to_rgb(&nv12, &out, enc(8)).unwrap(),
        "ss_nv12_to_rgb_f16"
    );
    assert_eq!(
        yuv_to_rgb(&p010, &rgb(f32_, 33, 17, 64), enc(10)).unwrap(),
        "ss_p016_to_rgb_f32"
    );
    assert_eq!(
        rgb_to_yuv(&out, &p016, enc(16)).unwrap(),
        "ss_rgb_f16_to_p016"
    );
    assert_eq!(
        rgb_to_yuv(&rgb(f32_, 33, 17, 1), &nv12, enc(8)).unwrap(),
        "ss_rgb_to_nv12"
    );
    // Codes that do not fill the samples, sizes that differ, formats with no kernel.
    assert!(yuv_to_rgb(&nv12, &out, enc(10)).is_err());
    assert!(yuv_to_rgb(&p010, &out, enc(16)).is_err());
    assert!(rgb_to_yuv(&out, &p016, enc(10)).is_err());
    assert!(yuv_to_rgb(&nv12, &rgb(f16_, 34, 17, 64), enc(8)).is_err());
    assert!(yuv_to_rgb(&nv12, &nv12, enc(8)).is_err());
    assert!(rgb_to_yuv(&out, &out, enc(8)).is_err());
}

#[test]
fn resize_half_output_size() {
    let src = rgb(PixelFormat::RgbF32, 33, 18, 64);
    let dst = rgb(PixelFormat::RgbF32, 17, 9, 1);
    assert_eq!(resize_half(&src, &dst).unwrap(), "ss_resize_half_f32");
    assert!(resize_half(&src, &rgb(PixelFormat::RgbF32, 17, 9, 8)).is_err());
    assert!(resize_half(&src, &rgb(PixelFormat::RgbF32, 16, 9, 1)).is_err());
    assert!(resize_half(&src, &rgb(PixelFormat::RgbF16, 17, 9, 1)).is_err());
}

#[test]
fn tiles_must_fit_frame_slot_and_output() {
    let plan = TilePlan::new(37, 23, 16, 4);
    let tiles: Vec<KernelTile> = plan.tiles.iter().map(KernelTile::from).collect();
    let (sw, sh, n) = (plan.slot_width, plan.slot_height, tiles.len());
    let f = PixelFormat::RgbF16;
    let src = rgb(f, 37, 23, 64);
    assert_eq!(
        tile_extract(&src, &tiles, (f, n, sw, sh)).unwrap(),
        "ss_tile_extract_f16"
    );
    assert!(tile_extract(&rgb(f, 36, 23, 1), &tiles, (f, n, sw, sh)).is_err());
    assert!(tile_extract(&src, &tiles, (f, n, sw - 1, sh)).is_err());
    assert!(tile_extract(&src, &tiles, (f, n + 1, sw, sh)).is_err());
    assert!(tile_extract(&src, &tiles, (PixelFormat::RgbF32, n, sw, sh)).is_err());

    let dst = rgb(f, 74, 46, 1);
    let up = (f, n, 2 * sw, 2 * sh);
    assert_eq!(
        tile_stitch(up, 2, &tiles, &dst).unwrap(),
        "ss_tile_stitch_f16"
    );
    assert!(tile_stitch(up, 2, &tiles, &rgb(f, 73, 46, 1)).is_err());
    assert!(tile_stitch((f, n, 2 * sw - 1, 2 * sh), 2, &tiles, &dst).is_err());
    assert!(tile_stitch(up, 0, &tiles, &dst).is_err());
    let mut outside = tiles.clone();
    outside[0].keep[0] = outside[0].context[0] - 1;
    assert!(tile_stitch(up, 2, &outside, &dst).is_err());
}

#[test]
fn scene_frames_must_match() {
    let a = yuv(PixelFormat::Nv12, 64, 36);
    assert_eq!(scene_cells(&a, &a, 8).unwrap(), "ss_scene_cells_u8");
    let p = yuv(PixelFormat::P010, 64, 36);
    assert_eq!(scene_cells(&p, &p, 8).unwrap(), "ss_scene_cells_u16");
    assert!(scene_cells(&a, &p, 8).is_err());
    assert!(scene_cells(&a, &yuv(PixelFormat::Nv12, 64, 35), 8).is_err());
    assert!(scene_cells(&a, &a, 0).is_err());
}

#[test]
fn grids_past_the_device_limits_are_refused() {
    assert!(check_dims("k", LaunchDims::per_pixel(1920, 1080, 1)).is_ok());
    assert!(check_dims("k", LaunchDims::per_pixel(16, 16 * 65536, 1)).is_err());
    assert!(check_dims("k", LaunchDims::per_pixel(16, 16, 65536)).is_err());
    assert!(check_dims("k", LaunchDims::per_pixel(16, 16, 0)).is_err());
}
