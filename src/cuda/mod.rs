//! The CUDA path's kernels as the program carries them, and the host-side parameter structs and
//! launch geometry of each. No CUDA call happens here: the device layer loads
//! [`embedded_kernels`] (a fat binary, or source for NVRTC) and launches by [`KERNEL_NAMES`].
//!
//! Every kernel has a plain Rust reference the CPU backend uses, and the same kernel source is
//! compiled for the host in tests (`sys/cuda-host-kernels`, `tests/cuda_kernels_host.rs`):
//!
//! | kernel | reference |
//! |---|---|
//! | `ss_{nv12,p016}_to_rgb_{f32,f16}` | [`crate::colour::yuv_planes_to_rgb`], [`crate::frame::RgbFrame::pad_chw`], [`crate::colour::f32_to_f16`] |
//! | `ss_rgb{,_f16}_to_{nv12,p016}` | [`crate::colour::rgb_to_yuv_planes`] (f16 input widened) |
//! | `ss_tile_{extract,stitch}_{f32,f16}` | [`crate::tiling::extract_tiles`], [`crate::tiling::stitch_tiles`] |
//! | `ss_resize_half_{f32,f16}` | [`crate::frame::RgbFrame::resize_half`] |
//! | `ss_scene_cells_{u8,u16}`, `ss_scene_row_sums` | [`crate::scene::luma_difference`] |
//!
//! f16 planes are raw binary16 bits (`u16`). The padded output of the colour conversion is zero
//! (black) outside the frame, as the models' reference procedure pads RIFE input.

use crate::colour::{Encoding, Siting};
use crate::tiling::Tile;

pub mod backend;
pub mod compile_options;
pub mod device;

/// What the build embedded: a fat binary from nvcc, or the source for NVRTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedKernels {
    /// SASS for sm_87, sm_90, sm_110 and compute_110 PTX.
    Fatbin(&'static [u8]),
    /// The concatenated `.cu` source (also [`KERNEL_SOURCE`]), self-contained: no include path.
    Source(&'static str),
}

include!(concat!(env!("OUT_DIR"), "/embedded_kernels.rs"));

/// The kernels the build embedded.
pub fn embedded_kernels() -> EmbeddedKernels {
    EMBEDDED
}

/// Options for compiling [`KERNEL_SOURCE`] with NVRTC (add `--gpu-architecture=compute_XY`): the
/// same language level and no FMA contraction, as build.rs gives nvcc
/// ([`compile_options::KERNEL_COMPILE_OPTIONS`]).
pub const NVRTC_OPTIONS: &[&str] = compile_options::KERNEL_COMPILE_OPTIONS;

/// Every kernel entry point (`extern "C"`, so these are also the symbol names).
pub const KERNEL_NAMES: &[&str] = &[
    "ss_nv12_to_rgb_f32",
    "ss_nv12_to_rgb_f16",
    "ss_p016_to_rgb_f32",
    "ss_p016_to_rgb_f16",
    "ss_rgb_to_nv12",
    "ss_rgb_to_p016",
    "ss_rgb_f16_to_nv12",
    "ss_rgb_f16_to_p016",
    "ss_tile_extract_f32",
    "ss_tile_extract_f16",
    "ss_tile_stitch_f32",
    "ss_tile_stitch_f16",
    "ss_resize_half_f32",
    "ss_resize_half_f16",
    "ss_scene_cells_u8",
    "ss_scene_cells_u16",
    "ss_scene_row_sums",
];

/// The colour parameters of the conversion kernels (`SsColour` in `colour.cuh`), computed from an
/// [`Encoding`] exactly as the Rust reference uses it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelColour {
    pub y_offset: f32,
    pub y_scale: f32,
    pub c_offset: f32,
    pub c_scale: f32,
    pub kr: f32,
    pub kb: f32,
    pub max_code: f32,
    /// Left shift of the code in each 16-bit sample: 6 for P010, 0 for NV12 and P016.
    pub sample_shift: i32,
    /// Position of 4:2:0 chroma sample 0 in luma samples.
    pub chroma_x: f32,
    pub chroma_y: f32,
}

impl KernelColour {
    /// Parameters for 4:2:0 frames of `encoding`, chroma sited at `siting`, codes stored
    /// `sample_shift` bits up in their samples (P010: `16 - bits`).
    pub fn new(encoding: Encoding, siting: Siting, sample_shift: u32) -> Self {
        let ((y_offset, y_scale), (c_offset, c_scale)) = encoding.quantisation();
        let (kr, kb) = encoding.matrix.weights();
        let (chroma_x, chroma_y) = siting.offset(1, 1);
        KernelColour {
            y_offset,
            y_scale,
            c_offset,
            c_scale,
            kr,
            kb,
            max_code: encoding.max_code(),
            sample_shift: sample_shift as i32,
            chroma_x,
            chroma_y,
        }
    }
}

/// One tile of a plan (`SsTile` in `colour.cuh`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelTile {
    pub keep: [i32; 4],
    pub context: [i32; 4],
}

impl From<&Tile> for KernelTile {
    fn from(t: &Tile) -> Self {
        let r = |r: crate::tiling::Rect| [r.x, r.y, r.width, r.height].map(|v| v as i32);
        KernelTile {
            keep: r(t.keep),
            context: r(t.context),
        }
    }
}

/// Grid and block dimensions (`dim3` `x, y, z`) of one launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchDims {
    pub grid: [u32; 3],
    pub block: [u32; 3],
}

/// Threads per block of the 2-D kernels.
pub const BLOCK_2D: [u32; 3] = [16, 16, 1];

impl LaunchDims {
    /// One thread per element of a `width × height` grid, `depth` layers along z (tiles).
    pub fn per_pixel(width: usize, height: usize, depth: usize) -> Self {
        LaunchDims {
            grid: [
                width.div_ceil(BLOCK_2D[0] as usize) as u32,
                height.div_ceil(BLOCK_2D[1] as usize) as u32,
                depth as u32,
            ],
            block: BLOCK_2D,
        }
    }

    /// One thread per row of `rows` (`ss_scene_row_sums`).
    pub fn per_row(rows: usize) -> Self {
        LaunchDims {
            grid: [rows.div_ceil(128) as u32, 1, 1],
            block: [128, 1, 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name is defined in the source: literally, or by the tile macro
    /// (`ss_tile_extract_##suffix` with `SS_TILE_KERNELS(f32, ...)`).
    #[test]
    fn every_kernel_name_is_an_entry_point() {
        for name in KERNEL_NAMES {
            let (prefix, suffix) = name.rsplit_once('_').unwrap();
            let literal = KERNEL_SOURCE.contains(&format!("void {name}("))
                || KERNEL_SOURCE.contains(&format!("({name},"));
            let by_macro = KERNEL_SOURCE.contains(&format!("{prefix}_##suffix("))
                && KERNEL_SOURCE.contains(&format!("SS_TILE_KERNELS({suffix},"));
            assert!(literal || by_macro, "{name} not in the kernel source");
        }
        match embedded_kernels() {
            EmbeddedKernels::Fatbin(bytes) => assert!(bytes.len() > 1000),
            EmbeddedKernels::Source(source) => assert_eq!(source, KERNEL_SOURCE),
        }
    }
}
