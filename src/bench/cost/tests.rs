//! The layer counts against numbers worked out by hand from docs/models.md (closed forms, not
//! the code's own sums), and the byte model on a case small enough to add up in a comment.

use super::*;

const X2: Architecture = Architecture::RrdbNet {
    scale: 2,
    nf: 64,
    nb: 23,
    gc: 32,
};
const X4: Architecture = Architecture::RrdbNet {
    scale: 4,
    nf: 64,
    nb: 23,
    gc: 32,
};
const FULL: (usize, usize) = (1088, 1920);

fn flops(arch: Architecture, part: RifePart, size: (usize, usize)) -> f64 {
    cost(&layers(arch, part, size), Precision::Fp16).flops()
}

/// Multiply-adds per pixel of one residual dense block: five 3x3 convolutions reading 64, 96,
/// 128, 160 and 192 channels, writing 32, 32, 32, 32 and 64.
const RDB_MACS_PER_PIXEL: f64 =
    9.0 * (64.0 * 32.0 + 96.0 * 32.0 + 128.0 * 32.0 + 160.0 * 32.0 + 192.0 * 64.0);

/// RRDBNet (nf 64, nb 23, gc 32) multiply-adds by hand: at the body's `p` pixels `conv_first`
/// (`in_ch` → 64), 69 dense blocks and `conv_body`; `conv_up1` at 4p; `conv_up2`, `conv_hr` at 16p
/// (64 → 64) and `conv_last` (64 → 3) at 16p.
fn rrdb_macs_by_hand(in_ch: f64, p: f64) -> f64 {
    let c = 64.0 * 64.0 * 9.0;
    p * (in_ch * 64.0 * 9.0 + 69.0 * RDB_MACS_PER_PIXEL + c)
        + 4.0 * p * c
        + 16.0 * p * (2.0 * c + 64.0 * 3.0 * 9.0)
}

#[test]
fn x2plus_at_1088p_is_18_7_tflop_per_frame() {
    // x2: 2x pixel unshuffle, so the body runs at 960x544 on 12 channels.
    let by_hand = 2.0 * rrdb_macs_by_hand(12.0, 960.0 * 544.0);
    let f = flops(X2, RifePart::Whole, FULL);
    assert_eq!(f, by_hand);
    assert!((f / 1e12 - 18.73).abs() < 0.005, "{f:e}");
}

#[test]
fn x4plus_at_1088p_is_74_9_tflop_per_frame() {
    let by_hand = 2.0 * rrdb_macs_by_hand(3.0, 1920.0 * 1088.0);
    let f = flops(X4, RifePart::Whole, FULL);
    assert_eq!(f, by_hand);
    assert!((f / 1e12 - 74.90).abs() < 0.005, "{f:e}");
    // docs/models.md: x2plus at 1080p costs what x4plus does at 960x544 (up to conv_first).
    let quarter = flops(X4, RifePart::Whole, (544, 960));
    assert!((quarter / flops(X2, RifePart::Whole, FULL) - 1.0).abs() < 1e-3);
}

/// One IFBlock by hand: input `in_ch` at 1/s, two stride-2 convolutions, eight c → c at 1/(4s)
/// and the transposed 4x4 (c → 52) on the 1/(4s) grid.
fn block_macs(in_ch: f64, c: f64, s: f64) -> f64 {
    let (h, w) = (1088.0 / s, 1920.0 / s);
    let (half, quarter) = (h * w / 4.0, h * w / 16.0);
    half * in_ch * (c / 2.0) * 9.0
        + quarter * (c / 2.0) * c * 9.0
        + 8.0 * quarter * c * c * 9.0
        + quarter * c * 52.0 * 16.0
}

#[test]
fn rife_flow_part_is_0_08_tflop_per_interpolated_frame() {
    let by_hand = 2.0
        * (block_macs(15.0, 192.0, 16.0)
            + block_macs(28.0, 128.0, 8.0)
            + block_macs(28.0, 96.0, 4.0)
            + block_macs(28.0, 64.0, 2.0)
            + block_macs(28.0, 32.0, 1.0));
    let f = flops(Architecture::Rife425, RifePart::FromFeatures, FULL);
    assert!(
        (f / by_hand - 1.0).abs() < 1e-12,
        "{f:e} against {by_hand:e}"
    );
    assert!((f / 1e9 - 80.16).abs() < 0.01, "{f:e}");
    // docs/models.md says about 0.12 TFLOP: that is what counting each transposed convolution
    // as a dense 4x4 convolution at its output's size (4x its multiply-adds) gives.
    let l = layers(Architecture::Rife425, RifePart::FromFeatures, FULL);
    let transposed: f64 = convs(&l).filter(|c| c.transposed).map(Conv::macs).sum();
    let overcounted = f + 2.0 * 3.0 * transposed;
    assert!(
        (overcounted / 1e12 - 0.117).abs() < 0.001,
        "{overcounted:e}"
    );
}

#[test]
fn rife_encoder_is_6_3_gflop_per_source_frame() {
    // 3 → 16 stride 2, two 16 → 16 at 960x544, transposed 16 → 4 from 960x544.
    let p = 960.0 * 544.0;
    let by_hand = 2.0 * p * (3.0 * 16.0 * 9.0 + 2.0 * 16.0 * 16.0 * 9.0 + 16.0 * 4.0 * 16.0);
    let f = flops(Architecture::Rife425, RifePart::Encoder, FULL);
    assert_eq!(f, by_hand);
    // docs/models.md's "about 3 GFLOP" is the multiply-adds (3.17 G).
    assert!((f / 2e9 - 3.167).abs() < 0.001, "{f:e}");
    let whole = flops(Architecture::Rife425, RifePart::Whole, FULL);
    let flow = flops(Architecture::Rife425, RifePart::FromFeatures, FULL);
    assert_eq!(whole, flow + 2.0 * f, "the whole graph encodes both frames");
}

#[test]
fn fp8_takes_the_convolutions_with_channels_in_sixteens() {
    let l = layers(X2, RifePart::Whole, FULL);
    let c = cost(&l, Precision::Fp8);
    let p = 960.0 * 544.0;
    // conv_first (12 inputs) and conv_last (3 outputs) stay fp16.
    let fp16_by_hand = 2.0 * (p * 12.0 * 64.0 * 9.0 + 16.0 * p * 64.0 * 3.0 * 9.0);
    assert_eq!(c.fp16_flops, fp16_by_hand);
    assert_eq!(c.flops(), cost(&l, Precision::Fp16).flops());
    assert!(c.bytes < cost(&l, Precision::Fp16).bytes);
    let rife = layers(Architecture::Rife425, RifePart::FromFeatures, FULL);
    assert!(convs(&rife).filter(|c| c.transposed).all(|c| !c.fp8()));
}

#[test]
fn bytes_of_a_small_srvgg_add_up() {
    // SRVGG x2, nf 16, one inner convolution, on 4x4 (16 pixels):
    //   fp32 input:   3·16 read at 4 B, 3·16 written at 2 B       =   192 +  96 =   288
    //   body.0:       3·16·2 in, 16·16·2 out, 16·3·9·2 weights     =    96 + 512 + 864 = 1472
    //   body.2:       16·16·2 in and out, 16·16·9·2 weights       =   512 + 512 + 4608 = 5632
    //   body.4:       16·16·2 in, 12·16·2 out, 12·16·9·2 weights  =   512 + 384 + 3456 = 4352
    //   repeat (1x1): 3·16·2 in, 12·16·2 out, 12·3·2 weights      =    96 + 384 +   72 =  552
    //   shuffle:      12·16 read at 2 B, written at 4 B           =   384 + 768 = 1152
    let l = layers(
        Architecture::SrVgg {
            scale: 2,
            nf: 16,
            num_conv: 1,
        },
        RifePart::Whole,
        (4, 4),
    );
    let c = cost(&l, Precision::Fp16);
    assert_eq!(c.bytes, 288.0 + 1472.0 + 5632.0 + 4352.0 + 552.0 + 1152.0);
    // 16 pixels × (3·16 + 16·16 + 16·12) · 9 multiply-adds, plus the 1x1: 16 · 3 · 12.
    assert_eq!(
        c.flops(),
        2.0 * (16.0 * 9.0 * (48.0 + 256.0 + 192.0) + 16.0 * 36.0)
    );
}

#[test]
fn rife_moves_gigabytes_and_x2plus_tens_of_them() {
    let rife = cost(
        &layers(Architecture::Rife425, RifePart::FromFeatures, FULL),
        Precision::Fp16,
    );
    let x2 = cost(&layers(X2, RifePart::Whole, FULL), Precision::Fp16);
    // RIFE: about 1 FLOP per byte (memory-bound on every GPU); x2plus: hundreds.
    assert!((1e9..1e10).contains(&rife.bytes), "{:e}", rife.bytes);
    assert!(rife.flops() / rife.bytes < 100.0);
    // Each of the 69 dense blocks reads 640 and writes 192 channels at 960x544: 832 · 2 B.
    let dense = 69.0 * 832.0 * 2.0 * 960.0 * 544.0;
    assert!(x2.bytes > dense && x2.bytes < 1.2 * dense, "{:e}", x2.bytes);
}
