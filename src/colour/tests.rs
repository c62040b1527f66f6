use super::*;
use crate::frame::RgbFrame;
use proptest::prelude::*;

const ENCODINGS: [Encoding; 4] = [
    Encoding {
        matrix: Matrix::Bt709,
        range: Range::Limited,
        bits: 8,
    },
    Encoding {
        matrix: Matrix::Bt601,
        range: Range::Limited,
        bits: 8,
    },
    Encoding {
        matrix: Matrix::Bt709,
        range: Range::Full,
        bits: 8,
    },
    Encoding {
        matrix: Matrix::Bt2020,
        range: Range::Limited,
        bits: 10,
    },
];

#[test]
fn reference_points() {
    let e = ENCODINGS[0];
    assert_eq!(e.quantise(e.luma([1.0, 1.0, 1.0])), 235);
    assert_eq!(e.quantise(e.luma([0.0, 0.0, 0.0])), 16);
    let (cb, cr) = e.chroma([0.5, 0.5, 0.5]);
    assert_eq!((e.quantise(cb), e.quantise(cr)), (128, 128));
    // Pure red in BT.709 limited: Y 63, Cb 102, Cr 240.
    let red = [1.0, 0.0, 0.0];
    let (cb, cr) = e.chroma(red);
    assert_eq!(
        (e.quantise(e.luma(red)), e.quantise(cb), e.quantise(cr)),
        (63, 102, 240)
    );
    let full = ENCODINGS[2];
    assert_eq!(full.quantise(full.luma([1.0, 1.0, 1.0])), 255);
    let ten = ENCODINGS[3];
    assert_eq!(ten.quantise(ten.luma([1.0, 1.0, 1.0])), 940);
    assert_eq!(ten.quantise(ten.chroma([0.2, 0.2, 0.2]).0), 512);
}

#[test]
fn default_matrix_by_size() {
    assert_eq!(Matrix::default_for_size(1920, 1080), Matrix::Bt709);
    assert_eq!(Matrix::default_for_size(1280, 720), Matrix::Bt709);
    assert_eq!(Matrix::default_for_size(720, 576), Matrix::Bt601);
    assert_eq!(Matrix::default_for_size(320, 240), Matrix::Bt601);
}

proptest! {
    /// R'G'B' → 8-bit Y'CbCr → R'G'B': the quantisation error stays within one 8-bit step per
    /// channel on average and two at worst (limited range has fewer codes than 0–255).
    #[test]
    fn rgb_round_trip_through_8_bit(r in 0f32..=1.0, g in 0f32..=1.0, b in 0f32..=1.0, which in 0usize..3) {
        let e = ENCODINGS[which];
        let rgb = [r, g, b];
        let (cb, cr) = e.chroma(rgb);
        let back = e.to_rgb(
            e.quantise(e.luma(rgb)).into(),
            e.quantise(cb).into(),
            e.quantise(cr).into(),
        );
        for c in 0..3 {
            prop_assert!((back[c] - rgb[c]).abs() <= 2.0 / 255.0, "{:?} -> {:?}", rgb, back);
        }
    }

    /// 8-bit Y'CbCr → R'G'B' (unquantised) → Y'CbCr is exact: a passthrough re-encode adds no
    /// colour error of its own.
    #[test]
    fn yuv_round_trip_is_exact(y in 16u16..=235, cb in 16u16..=240, cr in 16u16..=240, which in 0usize..2) {
        let e = ENCODINGS[which];
        let rgb = e.to_rgb(y.into(), cb.into(), cr.into());
        let (cb2, cr2) = e.chroma(rgb);
        prop_assert_eq!(e.quantise(e.luma(rgb)), y);
        prop_assert_eq!((e.quantise(cb2), e.quantise(cr2)), (cb, cr));
    }
}

#[test]
fn rgb_round_trip_mean_error_within_one_step() {
    let mut total = 0.0f64;
    let mut n = 0;
    for e in ENCODINGS.iter().filter(|e| e.bits == 8) {
        for i in 0..4096u32 {
            let rgb = [
                (i % 16) as f32 / 15.0,
                ((i / 16) % 16) as f32 / 15.0,
                (i / 256) as f32 / 15.0,
            ];
            let (cb, cr) = e.chroma(rgb);
            let back = e.to_rgb(
                e.quantise(e.luma(rgb)).into(),
                e.quantise(cb).into(),
                e.quantise(cr).into(),
            );
            for c in 0..3 {
                total += f64::from((back[c] - rgb[c]).abs());
                n += 1;
            }
        }
    }
    assert!(
        total / f64::from(n) <= 1.0 / 255.0,
        "mean error {}",
        total / f64::from(n)
    );
}

fn plane<T>(data: &[T], stride: usize, width: usize, height: usize) -> PlaneRef<'_, T> {
    PlaneRef {
        data,
        stride,
        width,
        height,
    }
}

fn convert_round_trip(
    w: usize,
    h: usize,
    shift: (u32, u32),
    siting: Siting,
    e: Encoding,
    seed: u32,
) -> (Vec<u16>, Vec<u16>) {
    // A smooth Y'CbCr test image with flat chroma per region, stored with stride > width.
    let (cw, ch) = (
        (w + (1 << shift.0) - 1) >> shift.0,
        (h + (1 << shift.1) - 1) >> shift.1,
    );
    let (ys, cs) = (w + 3, cw + 5);
    let mut y = vec![0u16; ys * h];
    let mut cb = vec![0u16; cs * ch];
    let mut cr = vec![0u16; cs * ch];
    for row in 0..h {
        for col in 0..w {
            y[row * ys + col] =
                ((60 + (col * 7 + row * 3 + seed as usize) % 120) as u16) << (e.bits - 8);
        }
    }
    for row in 0..ch {
        for col in 0..cw {
            cb[row * cs + col] = 120 << (e.bits - 8);
            cr[row * cs + col] = 136 << (e.bits - 8);
        }
    }
    let mut rgb = RgbFrame::new(w, h);
    yuv_planes_to_rgb(
        [
            plane(&y, ys, w, h),
            plane(&cb, cs, cw, ch),
            plane(&cr, cs, cw, ch),
        ],
        shift,
        siting,
        e,
        &mut rgb,
    );
    let mut y2 = vec![0u16; ys * h];
    let mut cb2 = vec![0u16; cs * ch];
    let mut cr2 = vec![0u16; cs * ch];
    let dst = |d, stride, width, height| PlaneMut {
        data: d,
        stride,
        width,
        height,
    };
    rgb_to_yuv_planes(
        &rgb,
        [
            dst(&mut y2, ys, w, h),
            dst(&mut cb2, cs, cw, ch),
            dst(&mut cr2, cs, cw, ch),
        ],
        shift,
        siting,
        e,
    );
    let strip = |v: &[u16], stride, width, height| -> Vec<u16> {
        (0..height)
            .flat_map(|r| v[r * stride..r * stride + width].to_vec())
            .collect()
    };
    (
        [
            strip(&y, ys, w, h),
            strip(&cb, cs, cw, ch),
            strip(&cr, cs, cw, ch),
        ]
        .concat(),
        [
            strip(&y2, ys, w, h),
            strip(&cb2, cs, cw, ch),
            strip(&cr2, cs, cw, ch),
        ]
        .concat(),
    )
}

#[test]
fn planes_round_trip_for_every_subsampling_and_odd_sizes() {
    let e = ENCODINGS[0];
    for &(w, h) in &[(2, 2), (7, 5), (33, 17), (64, 36)] {
        for &shift in &[(0, 0), (1, 0), (1, 1)] {
            for siting in [Siting::Left, Siting::Center, Siting::TopLeft] {
                let (before, after) = convert_round_trip(w, h, shift, siting, e, (w * h) as u32);
                assert_eq!(before, after, "{w}x{h} {shift:?} {siting:?}");
            }
        }
    }
}

#[test]
fn sixteen_bit_samples_round_trip() {
    let e = ENCODINGS[3];
    let (before, after) = convert_round_trip(9, 6, (1, 1), Siting::Left, e, 3);
    assert_eq!(before, after);
}

#[test]
fn chroma_is_interpolated_between_samples() {
    // 4:2:0, left siting: luma column 1 lies halfway between chroma columns 0 and 1.
    let e = Encoding {
        matrix: Matrix::Bt709,
        range: Range::Full,
        bits: 8,
    };
    let y = [128u8; 4 * 2];
    let cb = [100u8, 200];
    let cr = [128u8, 128];
    let mut out = RgbFrame::new(4, 2);
    yuv_planes_to_rgb(
        [plane(&y, 4, 4, 2), plane(&cb, 2, 2, 1), plane(&cr, 2, 2, 1)],
        (1, 1),
        Siting::Left,
        e,
        &mut out,
    );
    let blue = out.plane(2);
    let expect = |cb: f32| e.to_rgb(128.0, cb, 128.0)[2];
    assert!((blue[0] - expect(100.0)).abs() < 1e-6);
    assert!((blue[1] - expect(150.0)).abs() < 1e-6);
    assert!((blue[2] - expect(200.0)).abs() < 1e-6);
    assert!((blue[3] - expect(200.0)).abs() < 1e-6);
}
