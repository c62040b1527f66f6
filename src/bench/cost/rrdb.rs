//! Real-ESRGAN RRDBNet as layers (`models/onnx/rrdbnet.rs`, docs/models.md): the input
//! unshuffled by `4 / scale`, `conv_first`, `nb` blocks of three residual dense blocks of five
//! convolutions over the growing concatenation, `conv_body`, two nearest 2x upsamplings each
//! followed by a convolution, `conv_hr` and `conv_last`.

use super::build::{pass, planes, same3};
use super::{Elem, Layer};

/// The layers of RRDBNet x`scale` with `nf` features, `nb` blocks and `gc` growth channels on an
/// `height` x `width` input (divisible by the unshuffle factor).
pub fn layers(
    scale: usize,
    (nf, nb, gc): (usize, usize, usize),
    height: usize,
    width: usize,
) -> Vec<Layer> {
    let r = 4 / scale.clamp(1, 4);
    let body = (height / r, width / r);
    let input_channels = 3 * r * r;
    let mut l = vec![pass(
        "fp32 input, pixel unshuffle",
        (planes(3, (height, width)), Elem::F32),
        (planes(input_channels, body), Elem::Activation),
    )];
    l.push(same3("conv_first", (input_channels, nf), body));
    for i in 0..nb {
        for r in 1..=3 {
            for c in 1..=5 {
                let out = if c == 5 { nf } else { gc };
                let name = format!("body.{i}.rdb{r}.conv{c}");
                l.push(same3(&name, (nf + (c - 1) * gc, out), body));
            }
        }
    }
    l.push(same3("conv_body", (nf, nf), body));
    let mut size = body;
    for name in ["conv_up1", "conv_up2"] {
        let up = (size.0 * 2, size.1 * 2);
        l.push(pass(
            "nearest 2x upsampling",
            (planes(nf, size), Elem::Activation),
            (planes(nf, up), Elem::Activation),
        ));
        l.push(same3(name, (nf, nf), up));
        size = up;
    }
    l.push(same3("conv_hr", (nf, nf), size));
    l.push(same3("conv_last", (nf, 3), size));
    l.push(pass(
        "fp32 output",
        (planes(3, size), Elem::Activation),
        (planes(3, size), Elem::F32),
    ));
    l
}
