//! RIFE v4.25 as layers (`models/onnx/rife.rs`, docs/models.md), split as the engines are: the
//! feature encoder (once per source frame) and the rest (once per interpolated frame): five
//! IFBlocks at scales 16, 8, 4, 2, 1, each resizing its input by 1/scale, two stride-2
//! convolutions, eight residual convolutions, a transposed convolution and a pixel shuffle,
//! resized back; between blocks both frames and their features are warped by the flow (fp32).

use super::build::{conv, pass, planes, same3, up4};
use super::{Elem, Layer};

/// The width `c` of each IFBlock in the released v4.25 weights.
pub const RIFE_BLOCK_CHANNELS: [usize; 5] = [192, 128, 96, 64, 32];
/// The IFBlock scales at model scale 1.0.
pub const RIFE_SCALES: [usize; 5] = [16, 8, 4, 2, 1];
/// ResConvs per IFBlock.
const RES_CONVS: usize = 8;
/// Channels of a block's output before the pixel shuffle (4 flow, 1 mask, 8 features, × 4).
const LAST_CHANNELS: usize = 52;

/// The encoder: clamp, 3 → 16 stride 2, 16 → 16 twice, transposed 16 → 4 back to full size.
pub fn encoder(height: usize, width: usize) -> Vec<Layer> {
    let full = (height, width);
    let half = (height.div_ceil(2), width.div_ceil(2));
    vec![
        pass(
            "fp32 input, clamp",
            (planes(3, full), Elem::F32),
            (planes(3, full), Elem::Activation),
        ),
        conv("encode.cnn0", (3, 16), (3, 2), full),
        same3("encode.cnn1", (16, 16), half),
        same3("encode.cnn2", (16, 16), half),
        up4("encode.cnn3", (16, 4), half),
        pass(
            "fp32 features",
            (planes(4, full), Elem::Activation),
            (planes(4, full), Elem::F32),
        ),
    ]
}

/// The warps before block `i` > 0 (or the output's): the grid from the flow, then each of
/// `channels` (image, plus features before a block) sampled, for both frames, in fp32.
fn warps(full: (usize, usize), channels: usize) -> Vec<Layer> {
    let mut l = Vec::new();
    for _ in 0..2 {
        l.push(pass(
            "warp grid",
            (planes(2, full), Elem::Activation),
            (planes(2, full), Elem::F32),
        ));
        l.push(pass(
            "warp (grid sample)",
            (planes(channels + 2, full), Elem::F32),
            (planes(channels, full), Elem::Activation),
        ));
    }
    l
}

/// Everything after the encoder: `img0`, `img1`, `feat0`, `feat1`, `timestep` → the frame.
pub fn from_features(height: usize, width: usize) -> Vec<Layer> {
    let full = (height, width);
    let mut l = vec![pass(
        "fp32 inputs, block 0 input",
        (planes(14, full), Elem::F32),
        (planes(15, full), Elem::Activation),
    )];
    for (i, (&c, &s)) in RIFE_BLOCK_CHANNELS.iter().zip(&RIFE_SCALES).enumerate() {
        let in_ch = if i == 0 { 15 } else { 28 };
        if i > 0 {
            l.extend(warps(full, 3 + 4));
            // The timestep plane, mask and features copied into the 24-channel input.
            l.push(pass(
                "block input concat",
                (planes(10, full), Elem::Activation),
                (planes(10, full), Elem::Activation),
            ));
        }
        let scaled = (height / s, width / s);
        if s > 1 {
            l.push(pass(
                "bilinear resize down (input, flow)",
                (planes(in_ch, full), Elem::Activation),
                (planes(in_ch, scaled), Elem::Activation),
            ));
        }
        let p = format!("block{i}");
        let half = (scaled.0.div_ceil(2), scaled.1.div_ceil(2));
        let quarter = (half.0.div_ceil(2), half.1.div_ceil(2));
        l.push(conv(
            &format!("{p}.conv0.0.0"),
            (in_ch, c / 2),
            (3, 2),
            scaled,
        ));
        l.push(conv(&format!("{p}.conv0.1.0"), (c / 2, c), (3, 2), half));
        for k in 0..RES_CONVS {
            let prefix = format!("{p}.convblock.{k}");
            l.push(same3(&format!("{prefix}.conv"), (c, c), quarter));
            l.push(Layer::Param {
                key: format!("{prefix}.beta"),
                shape: vec![1, c, 1, 1],
            });
        }
        l.push(up4(&format!("{p}.lastconv.0"), (c, LAST_CHANNELS), quarter));
        let shuffled = (half.0 * 2, half.1 * 2);
        l.push(pass(
            "pixel shuffle",
            (planes(LAST_CHANNELS, half), Elem::Activation),
            (planes(LAST_CHANNELS / 4, shuffled), Elem::Activation),
        ));
        if s > 1 {
            l.push(pass(
                "bilinear resize up",
                (planes(LAST_CHANNELS / 4, shuffled), Elem::Activation),
                (planes(LAST_CHANNELS / 4, full), Elem::Activation),
            ));
        }
        if i > 0 {
            l.push(pass(
                "flow sum",
                (planes(8, full), Elem::Activation),
                (planes(4, full), Elem::Activation),
            ));
        }
    }
    l.extend(warps(full, 3));
    l.push(pass(
        "mask blend, fp32 output",
        (planes(7, full), Elem::Activation),
        (planes(3, full), Elem::F32),
    ));
    l
}
