//! The CUDA colour kernels (`src/cuda/kernels/{nv12_to_rgb,rgb_to_nv12}.cu`), compiled for the host
//! by `sys/cuda-host-kernels`, against the Rust references on random and edge frames: odd sizes,
//! pitch wider than the row, every matrix, both ranges, every siting, 8, 10 and 16 bits.

mod common;

use common::kernel_cases::{encodings, rgb_frame, to_pitched, Rng, YuvCodes, SITINGS, SIZES};
use smoothscale::colour::{f16_to_f32, f32_to_f16, Encoding, Siting};
use smoothscale::cuda::{KernelColour, KernelTile, LaunchDims};
use smoothscale_cuda_host_kernels as host;
use std::ffi::c_void;

fn launch(d: LaunchDims) -> host::Launch {
    host::Launch {
        grid: d.grid,
        block: d.block,
    }
}

#[test]
fn parameter_structs_match_the_c_layout() {
    // SAFETY: both functions only return a constant.
    let (colour, tile) = unsafe { (host::sizeof_colour(), host::sizeof_tile()) };
    assert_eq!(colour, std::mem::size_of::<KernelColour>());
    assert_eq!(tile, std::mem::size_of::<KernelTile>());
}

#[test]
fn half_conversion_matches_the_rust_reference() {
    for h in 0..=u16::MAX {
        // SAFETY: a pure function of its argument.
        let c = unsafe { host::f16_bits_to_f32(h) };
        let r = f16_to_f32(h);
        assert!(
            c.to_bits() == r.to_bits() || (c.is_nan() && r.is_nan()),
            "{h:#06x}"
        );
    }
    let mut rng = Rng(7);
    for _ in 0..200_000 {
        let x = f32::from_bits(rng.next() as u32);
        // SAFETY: a pure function of its argument.
        assert_eq!(unsafe { host::f32_to_f16_bits(x) }, f32_to_f16(x), "{x:e}");
    }
}

#[test]
fn yuv420_to_rgb_matches_reference() {
    let mut rng = Rng(1);
    let (mut worst_f32, mut worst_f16) = (0.0f32, 0.0f32);
    let mut cases = 0;
    for (encoding, shift, wide) in encodings() {
        for siting in SITINGS {
            for (i, &(w, h)) in SIZES.iter().enumerate() {
                let kind = (i + cases) % 4;
                cases += 1;
                let (f32_err, f16_err) =
                    check_yuv_to_rgb(&mut rng, encoding, siting, shift, wide, w, h, kind);
                worst_f32 = worst_f32.max(f32_err);
                worst_f16 = worst_f16.max(f16_err);
            }
        }
    }
    eprintln!("yuv420 → rgb: {cases} cases, max |Δ| f32 {worst_f32:e}, f16 {worst_f16:e}");
    assert!(worst_f32 <= 1e-6, "f32 error {worst_f32}");
    assert!(worst_f16 <= 1e-3, "f16 error {worst_f16}");
}

#[allow(clippy::too_many_arguments)]
fn check_yuv_to_rgb(
    rng: &mut Rng,
    e: Encoding,
    siting: Siting,
    shift: u32,
    wide: bool,
    w: usize,
    h: usize,
    kind: usize,
) -> (f32, f32) {
    let cw = w.div_ceil(2);
    let codes = YuvCodes::generate(rng, e, kind, w, h);
    let bytes = if wide { 2 } else { 1 };
    let (lp, cp) = ((w + 5) * bytes, (2 * cw + 7) * bytes);
    let luma = to_pitched(&codes.y, w, lp, wide, shift);
    let chroma = to_pitched(&codes.interleaved_chroma(), 2 * cw, cp, wide, shift);
    let reference = codes.reference_rgb(e, siting, 64);
    let (ow, oh) = (reference.width, reference.height);

    let colour = KernelColour::new(e, siting, shift);
    let dims = launch(LaunchDims::per_pixel(ow, oh, 1));
    let mut out32 = vec![f32::NAN; 3 * ow * oh];
    let mut out16 = vec![0xffffu16; 3 * ow * oh];
    let (run32, run16) = if wide {
        (
            host::ss_host_ss_p016_to_rgb_f32 as host::YuvToRgb<f32>,
            host::ss_host_ss_p016_to_rgb_f16 as host::YuvToRgb<u16>,
        )
    } else {
        (
            host::ss_host_ss_nv12_to_rgb_f32 as host::YuvToRgb<f32>,
            host::ss_host_ss_nv12_to_rgb_f16 as host::YuvToRgb<u16>,
        )
    };
    let colour_ptr = &colour as *const KernelColour as *const c_void;
    let args = (
        luma.as_ptr(),
        lp as i32,
        chroma.as_ptr(),
        cp as i32,
        w as i32,
        h as i32,
    );
    // SAFETY: the planes hold `h` rows of `lp` and `ch` rows of `cp` bytes, the outputs three
    // `ow × oh` planes, which is all a grid of `ow × oh` threads touches; `colour` is an SsColour.
    unsafe {
        run32(
            &dims,
            args.0,
            args.1,
            args.2,
            args.3,
            args.4,
            args.5,
            colour_ptr,
            out32.as_mut_ptr(),
            ow as i32,
            oh as i32,
        );
        run16(
            &dims,
            args.0,
            args.1,
            args.2,
            args.3,
            args.4,
            args.5,
            colour_ptr,
            out16.as_mut_ptr(),
            ow as i32,
            oh as i32,
        );
    }
    let mut errors = (0.0f32, 0.0f32);
    for (k, &r) in reference.data.iter().enumerate() {
        errors.0 = errors.0.max((out32[k] - r).abs());
        errors.1 = errors.1.max((f16_to_f32(out16[k]) - r).abs());
        assert_eq!(
            out16[k],
            f32_to_f16(r),
            "f16 at {k} of {w}x{h} {e:?} {siting:?}"
        );
    }
    errors
}

#[test]
fn rgb_to_yuv420_matches_reference() {
    let mut rng = Rng(2);
    let mut worst = 0u16;
    let mut cases = 0;
    for (e, shift, wide) in encodings() {
        for siting in SITINGS {
            for (&(w, h), half) in SIZES.iter().flat_map(|s| [(s, false), (s, true)]) {
                worst = worst.max(check_rgb_to_yuv(
                    &mut rng,
                    e,
                    siting,
                    shift,
                    wide,
                    w,
                    h,
                    cases % 4,
                    half,
                ));
                cases += 1;
            }
        }
    }
    eprintln!("rgb (f32 and f16) → yuv420: {cases} cases, max |Δ| {worst} code values");
    assert!(worst <= 1, "{worst} code values");
}

#[allow(clippy::too_many_arguments)]
fn check_rgb_to_yuv(
    rng: &mut Rng,
    e: Encoding,
    siting: Siting,
    shift: u32,
    wide: bool,
    w: usize,
    h: usize,
    kind: usize,
    half: bool,
) -> u16 {
    let frame = rgb_frame(rng, kind, w, h, half);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let reference = YuvCodes::from_rgb(&frame, e, siting);

    // The kernel reads a padded layout, as it would a model's output.
    let padded = frame.pad_chw(16);
    let bytes = if wide { 2 } else { 1 };
    let (lp, cp) = ((w + 9) * bytes, (2 * cw + 4) * bytes);
    let (mut luma, mut chroma) = (vec![0u8; lp * h], vec![0u8; cp * ch]);
    let colour = KernelColour::new(e, siting, shift);
    let colour = &colour as *const KernelColour as *const c_void;
    let dims = launch(LaunchDims::per_pixel(w, h, 1));
    let (rs, ps) = (padded.width as i32, (padded.width * padded.height) as i64);
    let out = (luma.as_mut_ptr(), lp as i32, chroma.as_mut_ptr(), cp as i32);
    let halves: Vec<u16> = padded.data.iter().map(|&v| f32_to_f16(v)).collect();
    let (run32, run16): (host::RgbToYuv<f32>, host::RgbToYuv<u16>) = if wide {
        (
            host::ss_host_ss_rgb_to_p016,
            host::ss_host_ss_rgb_f16_to_p016,
        )
    } else {
        (
            host::ss_host_ss_rgb_to_nv12,
            host::ss_host_ss_rgb_f16_to_nv12,
        )
    };
    // SAFETY: the input holds three planes of `padded.width × padded.height`, the outputs `h` rows
    // of `lp` and `ch` rows of `cp` bytes, all a `w × h` grid touches; `colour` is an SsColour.
    unsafe {
        if half {
            let input = halves.as_ptr();
            run16(
                &dims, input, rs, ps, w as i32, h as i32, colour, out.0, out.1, out.2, out.3,
            );
        } else {
            let input = padded.data.as_ptr();
            run32(
                &dims, input, rs, ps, w as i32, h as i32, colour, out.0, out.1, out.2, out.3,
            );
        }
    }
    reference.max_code_error((&luma, lp), (&chroma, cp), wide, shift)
}
