use super::*;

/// A direct, unthreaded transcription of the exported graph: the grid `base + flow / half`
/// (as `Transpose`, `Div`, `Add`), then PyTorch's bilinear border sampler with
/// `align_corners`, tap by tap with its bounds test.
fn reference(x: &[f32], flow: &[f32], d: WarpDims) -> Vec<f32> {
    let (bx, by) = (linspace_pm1(d.w), linspace_pm1(d.h));
    let (hx, hy) = ((d.w as f32 - 1.0) / 2.0, (d.h as f32 - 1.0) / 2.0);
    let plane = d.h * d.w;
    let mut out = vec![0.0; d.n * d.c * plane];
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
                for ch in 0..d.c {
                    let src = &x[(n * d.c + ch) * plane..][..plane];
                    let mut acc = 0.0;
                    for (cx, cy, wgt) in corners {
                        if (cx as usize) < d.w && (cy as usize) < d.h {
                            acc += src[cy as usize * d.w + cx as usize] * wgt;
                        }
                    }
                    out[(n * d.c + ch) * plane + y * d.w + xo] = acc;
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

#[test]
fn matches_the_reference_for_any_thread_count() {
    let d = WarpDims {
        n: 2,
        c: 3,
        h: 7,
        w: 9,
    };
    let mut seed = 7;
    let x: Vec<f32> = (0..d.n * d.c * d.h * d.w).map(|_| lcg(&mut seed)).collect();
    // Flows of up to 12 pixels: positions beyond every border, and inside.
    let flow: Vec<f32> = (0..d.n * 2 * d.h * d.w)
        .map(|_| lcg(&mut seed) * 24.0 - 12.0)
        .collect();
    let want = reference(&x, &flow, d);
    for threads in [1, 2, 3, 5, 8, 20] {
        let mut out = vec![f32::NAN; want.len()];
        warp(&x, &flow, d, &mut out, threads);
        assert_eq!(out, want, "{threads} threads");
    }
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
    let d = WarpDims {
        n: 1,
        c: 2,
        h: 4,
        w: 5,
    };
    let x: Vec<f32> = (0..d.c * d.h * d.w).map(|i| i as f32).collect();
    let mut out = vec![0.0; x.len()];
    warp(&x, &vec![0.0; 2 * d.h * d.w], d, &mut out, 2);
    for (i, (got, want)) in out.iter().zip(&x).enumerate() {
        assert_close(*got, *want, &format!("index {i}"));
    }
    // One pixel right: each output reads its right neighbour; the last column repeats.
    let mut flow = vec![0.0; 2 * d.h * d.w];
    flow[..d.h * d.w].fill(1.0);
    warp(&x, &flow, d, &mut out, 2);
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
    let d = WarpDims {
        n: 1,
        c: 1,
        h: 2,
        w: 2,
    };
    let x = [0.0, 1.0, 2.0, 3.0];
    let mut out = [0.0; 4];
    // Output (0,0) moved half a pixel right and down; the others by NaN.
    let flow = [
        0.5,
        f32::NAN,
        f32::NAN,
        f32::NAN,
        0.5,
        f32::NAN,
        f32::NAN,
        f32::NAN,
    ];
    warp(&x, &flow, d, &mut out, 1);
    assert_eq!(out[0], 1.5);
    assert_eq!(
        &out[1..],
        &[0.0, 0.0, 0.0],
        "a NaN position reads the first sample"
    );
}

#[test]
fn shapes_are_checked() {
    assert_eq!(
        dims(&[2, 3, 4, 5], &[2, 2, 4, 5]),
        Some(WarpDims {
            n: 2,
            c: 3,
            h: 4,
            w: 5
        })
    );
    assert_eq!(dims(&[2, 3, 4, 5], &[1, 2, 4, 5]), None, "batch");
    assert_eq!(dims(&[2, 3, 4, 5], &[2, 3, 4, 5]), None, "flow channels");
    assert_eq!(dims(&[2, 3, 4, 5], &[2, 2, 4, 6]), None, "size");
    assert_eq!(dims(&[2, 3, 0, 5], &[2, 2, 0, 5]), None, "empty");
    assert_eq!(dims(&[2, 3, 4], &[2, 2, 4, 5]), None, "rank");
    assert_eq!(dims(&[-1, 3, 4, 5], &[-1, 2, 4, 5]), None, "negative");
}
