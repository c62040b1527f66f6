//! The work of each network, counted from its architecture: every convolution (input and output
//! channels, kernel, stride, the sizes it reads and writes) and every pass over memory that is
//! not a convolution (resampling, pixel (un)shuffles, RIFE's warps, the engine's fp32 input and
//! output), for a given input size. From these: FLOPs, bytes moved, and the weights' shapes
//! (which `bench::synthetic` fills with made-up values for timing).
//!
//! Conventions, stated once:
//! - **FLOPs** are the convolutions' multiply-adds counted as 2 FLOPs each. A transposed
//!   convolution of stride 2 does `in_ch × out_ch × k²` multiply-adds per *input* pixel (each
//!   input pixel scatters one k×k kernel), a quarter of what a convolution of the same kernel at
//!   the output's size would. Element-wise work (biases, activations, residual adds, RIFE's
//!   `beta` scaling) is not counted: it is a rounding error next to the convolutions.
//! - **Bytes** are the DRAM traffic of an engine that runs each convolution as one kernel: it
//!   reads its whole input once (a concatenation is read whole by every convolution that reads
//!   it), writes its output once and reads its weights once; element-wise work after a
//!   convolution is fused into it. Activations are fp16 (2 bytes); an fp8 convolution reads its
//!   input and weights as 1 byte each and writes fp16. Passes that are not convolutions read and
//!   write their tensors once; RIFE's warps and the engines' inputs and outputs are fp32. No
//!   reuse through the L2 cache is assumed, so for tensors that fit in L2 (small tiles, RIFE's
//!   coarse blocks) the true traffic can be lower.

mod build;
mod rife;
mod rrdb;
mod srvgg;

use std::iter::Sum;
use std::ops::{Add, Mul};

use crate::models::checkpoint::Architecture;
use crate::models::onnx::fp8::CHANNEL_MULTIPLE;
use crate::models::onnx::RifePart;

pub use rife::{RIFE_BLOCK_CHANNELS, RIFE_SCALES};

/// Engine precision of a model's convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Everything fp16.
    Fp16,
    /// The convolutions our fp8 graph quantizes (channels multiples of 16) in fp8, the rest fp16.
    Fp8,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
        }
    }
}

/// One convolution (or transposed convolution) with square kernel, from the state dict's
/// `{name}.weight` and `{name}.bias`, or from a constant of the graph (`state: false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv {
    pub name: String,
    pub in_ch: usize,
    pub out_ch: usize,
    pub kernel: usize,
    pub stride: usize,
    pub transposed: bool,
    /// Whether its weights are in the state dict (else a constant the graph makes).
    pub state: bool,
    /// Input and output `(height, width)`.
    pub input: (usize, usize),
    pub output: (usize, usize),
}

/// What a pass's elements are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// An activation: fp16.
    Activation,
    /// fp32 (RIFE's warps, the engines' inputs and outputs).
    F32,
}

/// A pass over memory that is not a convolution: `read` elements of `read_elem` in, `write`
/// elements of `write_elem` out.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub what: &'static str,
    pub read: f64,
    pub read_elem: Elem,
    pub write: f64,
    pub write_elem: Elem,
}

/// A layer of a network's description.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    Conv(Conv),
    Pass(Pass),
    /// A state-dict tensor that is not a convolution's (RIFE's `beta`, SRVGG's PReLU slopes).
    Param {
        key: String,
        shape: Vec<usize>,
    },
}

/// FLOPs (by the precision they run in) and bytes moved.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub fp16_flops: f64,
    pub fp8_flops: f64,
    pub bytes: f64,
}

impl Cost {
    pub fn flops(&self) -> f64 {
        self.fp16_flops + self.fp8_flops
    }

    /// Bytes only (a kernel or a fixed-function unit's share of memory traffic).
    pub fn bytes(bytes: f64) -> Cost {
        Cost {
            bytes,
            ..Cost::default()
        }
    }
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            fp16_flops: self.fp16_flops + o.fp16_flops,
            fp8_flops: self.fp8_flops + o.fp8_flops,
            bytes: self.bytes + o.bytes,
        }
    }
}

impl Mul<f64> for Cost {
    type Output = Cost;
    fn mul(self, k: f64) -> Cost {
        Cost {
            fp16_flops: self.fp16_flops * k,
            fp8_flops: self.fp8_flops * k,
            bytes: self.bytes * k,
        }
    }
}

impl Sum for Cost {
    fn sum<I: Iterator<Item = Cost>>(iter: I) -> Cost {
        iter.fold(Cost::default(), Add::add)
    }
}

fn pixels((h, w): (usize, usize)) -> f64 {
    h as f64 * w as f64
}

impl Conv {
    /// Multiply-adds: per output pixel for a convolution, per input pixel for a transposed one.
    pub fn macs(&self) -> f64 {
        let per_pixel = (self.in_ch * self.out_ch * self.kernel * self.kernel) as f64;
        per_pixel
            * pixels(if self.transposed {
                self.input
            } else {
                self.output
            })
    }

    /// The weight's shape: `out, in, k, k` (transposed: `in, out, k, k`).
    pub fn weight_shape(&self) -> [usize; 4] {
        let k = self.kernel;
        if self.transposed {
            [self.in_ch, self.out_ch, k, k]
        } else {
            [self.out_ch, self.in_ch, k, k]
        }
    }

    /// Whether our fp8 graph quantizes it (`models::onnx::fp8::sites`): a state-dict
    /// convolution, not transposed, with channel counts that are multiples of 16.
    pub fn fp8(&self) -> bool {
        let fits = |c: usize| (c as i64) % CHANNEL_MULTIPLE == 0;
        self.state && !self.transposed && fits(self.in_ch) && fits(self.out_ch)
    }

    fn cost(&self, precision: Precision) -> Cost {
        let fp8 = precision == Precision::Fp8 && self.fp8();
        let (input_bytes, weight_bytes) = if fp8 { (1.0, 1.0) } else { (2.0, 2.0) };
        let weights = self.weight_shape().iter().product::<usize>() as f64;
        let bytes = self.in_ch as f64 * pixels(self.input) * input_bytes
            + self.out_ch as f64 * pixels(self.output) * 2.0
            + weights * weight_bytes;
        let flops = 2.0 * self.macs();
        Cost {
            fp16_flops: if fp8 { 0.0 } else { flops },
            fp8_flops: if fp8 { flops } else { 0.0 },
            bytes,
        }
    }
}

impl Elem {
    fn bytes(self) -> f64 {
        match self {
            Elem::Activation => 2.0,
            Elem::F32 => 4.0,
        }
    }
}

impl Pass {
    fn bytes(&self) -> f64 {
        self.read * self.read_elem.bytes() + self.write * self.write_elem.bytes()
    }
}

/// The layers of `part` of `arch` (RIFE: the encoder or the rest; anything else whole) for one
/// `height` x `width` input (already padded to what the network needs).
pub fn layers(arch: Architecture, part: RifePart, (height, width): (usize, usize)) -> Vec<Layer> {
    match (arch, part) {
        (Architecture::Rife425, RifePart::Encoder) => rife::encoder(height, width),
        (Architecture::Rife425, RifePart::FromFeatures) => rife::from_features(height, width),
        (Architecture::Rife425, RifePart::Whole) => {
            let mut l = rife::encoder(height, width);
            l.extend(rife::encoder(height, width));
            l.extend(rife::from_features(height, width));
            l
        }
        (Architecture::RrdbNet { scale, nf, nb, gc }, _) => {
            rrdb::layers(scale as usize, (nf, nb, gc), height, width)
        }
        (
            Architecture::SrVgg {
                scale,
                nf,
                num_conv,
            },
            _,
        ) => srvgg::layers(scale as usize, nf, num_conv, height, width),
    }
}

/// The cost of `layers` at `precision`.
pub fn cost(layers: &[Layer], precision: Precision) -> Cost {
    layers
        .iter()
        .map(|l| match l {
            Layer::Conv(c) => c.cost(precision),
            Layer::Pass(p) => Cost::bytes(p.bytes()),
            Layer::Param { .. } => Cost::default(),
        })
        .sum()
}

/// The convolutions of `layers`, in order.
pub fn convs(layers: &[Layer]) -> impl Iterator<Item = &Conv> {
    layers.iter().filter_map(|l| match l {
        Layer::Conv(c) => Some(c),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
