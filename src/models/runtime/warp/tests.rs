use super::*;

/// A direct, unthreaded transcription of the exported graph: the grid `base + flow / half`
/// (as `Transpose`, `Div`, `Add`), then PyTorch's bilinear border sampler with
/// `align_corners`, tap by tap with its bounds test.
fn reference(x: &[f32], c: usize, flow: &[f32], d: WarpDims) -> Vec<f32> {
    let (bx, by) = (linspace_pm1(d.w), linspace_pm1(d.h));
    let (hx, hy) = ((d.w as f32 - 1.0) / 2.0, (d.h as f32 - 1.0) / 2.0);
    let plane = d.h * d.w;
    let mut out = vec![0.0; d.n * c * plane];
    for n in 0..d.n {
        for y in 0..d.h {
            for xo in 0..d.w {
                let gx = flow[(n * 2) * plane + y * d.w + xo] / hx + bx[xo];
                let gy = flow[(n * 2 + 1) * plane + y * d.w + xo] / hy + by[y];
                let clip = |g: f32, size: usize| {
                    let last = (size - 1) as f32;
                    (((g + 1.0) / 2.0) * last).clamp(0.0, last)
                };
                let (ix, iy) = (clip(gx, d.w), clip(gy, d.h));
                let (x0, y0) = (ix.floor(), iy.floor());
                let corners = [
                    (x0, y0, (x0 + 1.0 - ix) * (y0 + 1.0 - iy)),
                    (x0 + 1.0, y0, (ix - x0) * (y0 + 1.0 - iy)),
                    (x0, y0 + 1.0, (x0 + 1.0 - ix) * (iy - y0)),
                    (x0 + 1.0, y0 + 1.0, (ix - x0) * (iy - y0)),
                ];
                for ch in 0..c {
                    let src = &x[(n * c + ch) * plane..][..plane];
                    let mut acc = 0.0;
                    for (cx, cy, wgt) in corners {
                        if (cx as usize) < d.w && (cy as usize) < d.h {
                            acc += src[cy as usize * d.w + cx as usize] * wgt;
                        }
                    }
                    out[(n * c + ch) * plane + y * d.w + xo] = acc;
                }
            }
        }
    }
    out
}

fn lcg(seed: &mut u32) -> f32 {
    *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
    (*seed >> 8) as f32 / 16_777_216.0
}

/// Warps one input of `c` channels.
fn warp_one(x: &[f32], c: usize, flow: &[f32], d: WarpDims, threads: usize) -> Vec<f32> {
    let mut out = vec![f32::NAN; x.len()];
    let xs = [Planes {
        data: x,
        channels: c,
    }];
    warp(flow, &xs, d, vec![&mut out], threads);
    out
}

#[test]
fn matches_the_reference_for_any_thread_count() {
    let d = WarpDims { n: 2, h: 7, w: 9 };
    let c = 3;
    let mut seed = 7;
    let x: Vec<f32> = (0..d.n * c * d.h * d.w).map(|_| lcg(&mut seed)).collect();
    // Flows of up to 12 pixels: positions beyond every border, and inside.
    let flow: Vec<f32> = (0..d.n * 2 * d.h * d.w)
        .map(|_| lcg(&mut seed) * 24.0 - 12.0)
        .collect();
    let want = reference(&x, c, &flow, d);
    for threads in [1, 2, 3, 5, 8, 20] {
        assert_eq!(
            warp_one(&x, c, &flow, d, threads),
            want,
            "{threads} threads"
        );
    }
}

#[test]
fn several_inputs_are_each_warped_as_alone() {
    let d = WarpDims { n: 2, h: 5, w: 6 };
    let mut seed = 3;
    let a: Vec<f32> = (0..d.n * 3 * d.h * d.w).map(|_| lcg(&mut seed)).collect();
    let b: Vec<f32> = (0..d.n * 4 * d.h * d.w).map(|_| lcg(&mut seed)).collect();
    let flow: Vec<f32> = (0..d.n * 2 * d.h * d.w)
        .map(|_| lcg(&mut seed) * 8.0 - 4.0)
        .collect();
    let (mut ya, mut yb) = (vec![f32::NAN; a.len()], vec![f32::NAN; b.len()]);
    let xs = [
        Planes {
            data: &a,
            channels: 3,
        },
        Planes {
            data: &b,
            channels: 4,
        },
    ];
    warp(&flow, &xs, d, vec![&mut ya, &mut yb], 3);
    assert_eq!(ya, reference(&a, 3, &flow, d));
    assert_eq!(yb, reference(&b, 4, &flow, d));
}

/// Within rounding: the base grid's positions `((g + 1) / 2) * (size - 1)` are not always whole
/// numbers in fp32 (nor are they in PyTorch), so a sample can mix in 1e-6 of its neighbour.
fn assert_close(got: f32, want: f32, what: &str) {
    assert!(
        (got - want).abs() <= 1e-5 * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

#[test]
fn zero_flow_is_the_identity_and_integer_flow_a_shift() {
    let d = WarpDims { n: 1, h: 4, w: 5 };
    let x: Vec<f32> = (0..2 * d.h * d.w).map(|i| i as f32).collect();
    let out = warp_one(&x, 2, &vec![0.0; 2 * d.h * d.w], d, 2);
    for (i, (got, want)) in out.iter().zip(&x).enumerate() {
        assert_close(*got, *want, &format!("index {i}"));
    }
    // One pixel right: each output reads its right neighbour; the last column repeats.
    let mut flow = vec![0.0; 2 * d.h * d.w];
    flow[..d.h * d.w].fill(1.0);
    let out = warp_one(&x, 2, &flow, d, 2);
    for (i, v) in out.iter().enumerate() {
        let col = i % d.w;
        assert_close(
            *v,
            x[i - col + (col + 1).min(d.w - 1)],
            &format!("index {i}"),
        );
    }
}

#[test]
fn half_a_pixel_is_the_mean_and_nan_stays_in_bounds() {
    let d = WarpDims { n: 1, h: 2, w: 2 };
    let x = [0.0, 1.0, 2.0, 3.0];
    // Output (0,0) moved half a pixel right and down; the others by NaN.
    let nan = f32::NAN;
    let flow = [0.5, nan, nan, nan, 0.5, nan, nan, nan];
    let out = warp_one(&x, 1, &flow, d, 1);
    assert_eq!(out[0], 1.5);
    assert_eq!(
        &out[1..],
        &[0.0, 0.0, 0.0],
        "a NaN position reads the first sample"
    );
}

#[test]
fn shapes_are_checked() {
    let d = WarpDims { n: 2, h: 4, w: 5 };
    assert_eq!(
        dims(&[2, 2, 4, 5], &[&[2, 3, 4, 5], &[2, 4, 4, 5]]),
        Some((d, vec![3, 4]))
    );
    assert_eq!(dims(&[2, 2, 4, 5], &[&[1, 3, 4, 5]]), None, "batch");
    assert_eq!(dims(&[2, 3, 4, 5], &[&[2, 3, 4, 5]]), None, "flow channels");
    assert_eq!(dims(&[2, 2, 4, 5], &[&[2, 3, 4, 6]]), None, "size");
    assert_eq!(dims(&[2, 2, 0, 5], &[&[2, 3, 0, 5]]), None, "empty");
    assert_eq!(dims(&[2, 2, 4, 5], &[&[2, 3, 4]]), None, "rank");
    assert_eq!(dims(&[-1, 2, 4, 5], &[&[-1, 3, 4, 5]]), None, "negative");
}
