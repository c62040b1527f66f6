//! SRVGGNetCompact as layers (`models/onnx/srvgg.rs`): `body.0` 3 → nf, then `num_conv`
//! nf → nf, the last nf → 3·s², each but the last followed by a PReLU (fused: element-wise);
//! the input's channels repeated s² times by a 1×1 constant convolution and added (fused), and
//! the pixel shuffle into the output.

use super::build::{pass, planes, same3};
use super::{Conv, Elem, Layer};

/// The layers of SRVGGNetCompact x`scale` with `nf` features and `num_conv` inner convolutions
/// on an `height` x `width` input.
pub fn layers(scale: usize, nf: usize, num_conv: usize, height: usize, width: usize) -> Vec<Layer> {
    let size = (height, width);
    let shuffled = 3 * scale * scale;
    let prelu = |k: usize| Layer::Param {
        key: format!("body.{k}.weight"),
        shape: vec![nf],
    };
    let mut l = vec![pass(
        "fp32 input",
        (planes(3, size), Elem::F32),
        (planes(3, size), Elem::Activation),
    )];
    l.push(same3("body.0", (3, nf), size));
    l.push(prelu(1));
    for k in 0..num_conv {
        let c = 2 + 2 * k;
        l.push(same3(&format!("body.{c}"), (nf, nf), size));
        l.push(prelu(c + 1));
    }
    l.push(same3(
        &format!("body.{}", 2 + 2 * num_conv),
        (nf, shuffled),
        size,
    ));
    l.push(Layer::Conv(Conv {
        name: "repeat".into(),
        in_ch: 3,
        out_ch: shuffled,
        kernel: 1,
        stride: 1,
        transposed: false,
        state: false,
        input: size,
        output: size,
    }));
    l.push(pass(
        "pixel shuffle, fp32 output",
        (planes(shuffled, size), Elem::Activation),
        (planes(shuffled, size), Elem::F32),
    ));
    l
}
