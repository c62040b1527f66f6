//! Test support only: the CUDA frame kernels of `src/cuda/kernels`, compiled as C++ for the host
//! with `src/cuda/host/cuda_host.h`, behind raw launchers that run a grid as loops.
//!
//! Every launcher takes the launch geometry first (the same geometry the device path uses), then
//! the kernel's own parameters; parameter structs (`SsColour`, `SsTile`) are passed by pointer and
//! must have the layout of `smoothscale::cuda::{KernelColour, KernelTile}` (see [`sizeof_colour`]).
//! Nothing here is safe: callers guarantee that every buffer covers what the grid touches.

use std::ffi::c_void;

/// Grid and block dimensions of one launch, as `dim3` `(x, y, z)`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Launch {
    pub grid: [u32; 3],
    pub block: [u32; 3],
}

extern "C" {
    #[link_name = "ss_host_sizeof_colour"]
    pub fn sizeof_colour() -> usize;
    #[link_name = "ss_host_sizeof_tile"]
    pub fn sizeof_tile() -> usize;
    #[link_name = "ss_host_f32_to_f16_bits"]
    pub fn f32_to_f16_bits(x: f32) -> u16;
    #[link_name = "ss_host_f16_bits_to_f32"]
    pub fn f16_bits_to_f32(h: u16) -> f32;
}

macro_rules! yuv_to_rgb {
    ($($name:ident: $out:ty),*) => {
        extern "C" {
            $(
                /// Host run of the kernel of the same name in `nv12_to_rgb.cu`.
                pub fn $name(
                    launch: *const Launch, luma: *const u8, luma_pitch: i32, chroma: *const u8,
                    chroma_pitch: i32, width: i32, height: i32, colour: *const c_void,
                    out: *mut $out, out_w: i32, out_h: i32,
                );
            )*
        }
    };
}
yuv_to_rgb!(
    ss_host_ss_nv12_to_rgb_f32: f32,
    ss_host_ss_nv12_to_rgb_f16: u16,
    ss_host_ss_p016_to_rgb_f32: f32,
    ss_host_ss_p016_to_rgb_f16: u16
);

macro_rules! rgb_to_yuv {
    ($($name:ident: $in:ty),*) => {
        extern "C" {
            $(
                /// Host run of the kernel of the same name in `rgb_to_nv12.cu`.
                pub fn $name(
                    launch: *const Launch, rgb: *const $in, row_stride: i32, plane_stride: i64,
                    width: i32, height: i32, colour: *const c_void, luma: *mut u8,
                    luma_pitch: i32, chroma: *mut u8, chroma_pitch: i32,
                );
            )*
        }
    };
}
rgb_to_yuv!(
    ss_host_ss_rgb_to_nv12: f32,
    ss_host_ss_rgb_to_p016: f32,
    ss_host_ss_rgb_f16_to_nv12: u16,
    ss_host_ss_rgb_f16_to_p016: u16
);

extern "C" {
    /// Host run of `ss_scene_row_sums` (`scene_diff.cu`).
    pub fn ss_host_ss_scene_row_sums(
        launch: *const Launch,
        values: *const f32,
        cols: i32,
        rows: i32,
        sums: *mut f32,
    );
}

macro_rules! tiles {
    ($($extract:ident, $stitch:ident: $t:ty);*) => {
        extern "C" {
            $(
                /// Host run of the kernel of the same name in `tiles.cu`.
                pub fn $extract(
                    launch: *const Launch, src: *const $t, row_stride: i32, plane_stride: i64,
                    channels: i32, tiles: *const c_void, batch: *mut $t, slot_w: i32, slot_h: i32,
                );
                /// Host run of the kernel of the same name in `tiles.cu`.
                pub fn $stitch(
                    launch: *const Launch, batch: *const $t, slot_w: i32, slot_h: i32, scale: i32,
                    channels: i32, tiles: *const c_void, dst: *mut $t, row_stride: i32,
                    plane_stride: i64,
                );
            )*
        }
    };
}
tiles!(
    ss_host_ss_tile_extract_f32, ss_host_ss_tile_stitch_f32: f32;
    ss_host_ss_tile_extract_f16, ss_host_ss_tile_stitch_f16: u16
);

macro_rules! resize {
    ($($name:ident: $t:ty),*) => {
        extern "C" {
            $(
                /// Host run of the kernel of the same name in `resize_half.cu`.
                pub fn $name(
                    launch: *const Launch, src: *const $t, width: i32, height: i32,
                    row_stride: i32, plane_stride: i64, channels: i32, dst: *mut $t,
                );
            )*
        }
    };
}
resize!(ss_host_ss_resize_half_f32: f32, ss_host_ss_resize_half_f16: u16);

macro_rules! scene {
    ($($name:ident),*) => {
        extern "C" {
            $(
                /// Host run of the kernel of the same name in `scene_diff.cu`.
                pub fn $name(
                    launch: *const Launch, a: *const u8, a_pitch: i32, b: *const u8, b_pitch: i32,
                    width: i32, height: i32, cell: i32, diffs: *mut f32,
                );
            )*
        }
    };
}
scene!(ss_host_ss_scene_cells_u8, ss_host_ss_scene_cells_u16);

/// The signature of the `ss_host_ss_*_to_rgb_*` launchers.
pub type YuvToRgb<T> = unsafe extern "C" fn(
    *const Launch,
    *const u8,
    i32,
    *const u8,
    i32,
    i32,
    i32,
    *const c_void,
    *mut T,
    i32,
    i32,
);
/// The signature of the `ss_host_ss_tile_extract_*` launchers.
pub type TileExtract<T> =
    unsafe extern "C" fn(*const Launch, *const T, i32, i64, i32, *const c_void, *mut T, i32, i32);
/// The signature of the `ss_host_ss_tile_stitch_*` launchers.
pub type TileStitch<T> = unsafe extern "C" fn(
    *const Launch,
    *const T,
    i32,
    i32,
    i32,
    i32,
    *const c_void,
    *mut T,
    i32,
    i64,
);
/// The signature of the `ss_host_ss_scene_cells_*` launchers.
pub type SceneCells =
    unsafe extern "C" fn(*const Launch, *const u8, i32, *const u8, i32, i32, i32, i32, *mut f32);
/// The signature of the `ss_host_ss_rgb*_to_*` launchers.
pub type RgbToYuv<T> = unsafe extern "C" fn(
    *const Launch,
    *const T,
    i32,
    i64,
    i32,
    i32,
    *const c_void,
    *mut u8,
    i32,
    *mut u8,
    i32,
);
