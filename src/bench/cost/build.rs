//! Helpers for the network descriptions: convolutions and passes by their shapes.

use super::{Conv, Elem, Layer, Pass};

/// A state-dict convolution `name` of `k`×`k`, stride `stride`, pad `k / 2` (1 for the
/// transposed 4×4), on an `input`-sized tensor.
pub fn conv(
    name: &str,
    (in_ch, out_ch): (usize, usize),
    (kernel, stride): (usize, usize),
    input: (usize, usize),
) -> Layer {
    let out = |n: usize| (n + 2 * (kernel / 2) - kernel) / stride + 1;
    Layer::Conv(Conv {
        name: name.to_owned(),
        in_ch,
        out_ch,
        kernel,
        stride,
        transposed: false,
        state: true,
        input,
        output: (out(input.0), out(input.1)),
    })
}

/// 3×3, stride 1.
pub fn same3(name: &str, channels: (usize, usize), input: (usize, usize)) -> Layer {
    conv(name, channels, (3, 1), input)
}

/// The 4×4, stride 2, pad 1 transposed convolution: doubles the size.
pub fn up4(name: &str, (in_ch, out_ch): (usize, usize), input: (usize, usize)) -> Layer {
    Layer::Conv(Conv {
        name: name.to_owned(),
        in_ch,
        out_ch,
        kernel: 4,
        stride: 2,
        transposed: true,
        state: true,
        input,
        output: (input.0 * 2, input.1 * 2),
    })
}

/// A pass reading `read` elements and writing `write`.
pub fn pass(
    what: &'static str,
    (read, read_elem): (f64, Elem),
    (write, write_elem): (f64, Elem),
) -> Layer {
    Layer::Pass(Pass {
        what,
        read,
        read_elem,
        write,
        write_elem,
    })
}

/// `channels` planes of `(h, w)` as an element count.
pub fn planes(channels: usize, (h, w): (usize, usize)) -> f64 {
    channels as f64 * h as f64 * w as f64
}
