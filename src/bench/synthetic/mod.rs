//! Made-up weights for timing: the networks of the workload with the exact shapes of the real
//! checkpoints (taken from the layer descriptions of `bench::cost`) and deterministic values, so
//! that the GPU bench needs no model files. TensorRT's speed does not depend on the weights'
//! values; their outputs are noise, which the bench never looks at. Each network is written as a
//! `torch.save` archive and read back through `models::checkpoint`, the path every real model
//! takes (which also checks the shapes against the architecture).

mod torch_zip;

use std::path::{Path, PathBuf};

use super::cost::{self, Layer};
use crate::models::checkpoint::Architecture;
use crate::models::onnx::RifePart;
use crate::models::weights::{StateDict, Tensor};

pub use torch_zip::archive;

/// A network the workload times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// Its name in the workload (`x2plus`).
    pub key: &'static str,
    pub arch: Architecture,
    /// The synthetic checkpoint's file name (its stem names the engines in the cache).
    pub file: &'static str,
}

/// RIFE v4.25.
pub const RIFE: Network = Network {
    key: "rife-v4.25",
    arch: Architecture::Rife425,
    file: "bench-rife-v4.25.pkl",
};
/// Real-ESRGAN x2plus: RRDBNet nf 64, nb 23, gc 32, scale 2 (the job's upscaler).
pub const X2PLUS: Network = Network {
    key: "x2plus",
    arch: Architecture::RrdbNet {
        scale: 2,
        nf: 64,
        nb: 23,
        gc: 32,
    },
    file: "bench-x2plus.pth",
};
/// Real-ESRGAN x4plus: the same body at scale 4.
pub const X4PLUS: Network = Network {
    key: "x4plus",
    arch: Architecture::RrdbNet {
        scale: 4,
        nf: 64,
        nb: 23,
        gc: 32,
    },
    file: "bench-x4plus.pth",
};
/// realesr-animevideov3: SRVGGNetCompact nf 64, 16 convolutions, scale 4.
pub const SRVGG: Network = Network {
    key: "animevideov3",
    arch: Architecture::SrVgg {
        scale: 4,
        nf: 64,
        num_conv: 16,
    },
    file: "bench-animevideov3.pth",
};

/// Every network of the workload.
pub const NETWORKS: [Network; 4] = [RIFE, X2PLUS, X4PLUS, SRVGG];

/// The network called `key`.
pub fn network(key: &str) -> Option<Network> {
    NETWORKS.into_iter().find(|n| n.key == key)
}

/// A deterministic stream of values (SplitMix64).
struct Values(u64);

impl Values {
    /// Uniform in `[-bound, bound]`.
    fn next(&mut self, bound: f32) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let unit = (z >> 40) as f32 / (1u64 << 24) as f32;
        (2.0 * unit - 1.0) * bound
    }
}

fn tensor(shape: Vec<usize>, data: Vec<f32>) -> Tensor {
    Tensor { shape, data }
}

/// The state dict of `arch` with made-up values: convolution weights uniform in
/// `±1/sqrt(fan_in)` (activations stay bounded through the deep networks), biases 0, RIFE's
/// `beta` 1, PReLU slopes 0.25.
pub fn state_dict(arch: Architecture) -> StateDict {
    // Any size the networks accept gives the same parameters.
    let layers = cost::layers(arch, RifePart::Whole, (64, 64));
    let mut values = Values(0x5EED);
    let mut sd = StateDict::new();
    for layer in &layers {
        match layer {
            Layer::Conv(c) if c.state && !sd.contains_key(&format!("{}.weight", c.name)) => {
                let shape = c.weight_shape();
                let fan_in = (c.in_ch * c.kernel * c.kernel) as f32;
                let bound = fan_in.sqrt().recip();
                let n: usize = shape.iter().product();
                let w = (0..n).map(|_| values.next(bound)).collect();
                sd.insert(format!("{}.weight", c.name), tensor(shape.to_vec(), w));
                sd.insert(
                    format!("{}.bias", c.name),
                    tensor(vec![c.out_ch], vec![0.0; c.out_ch]),
                );
            }
            Layer::Param { key, shape } => {
                let fill = if key.ends_with(".beta") { 1.0 } else { 0.25 };
                let n = shape.iter().product();
                sd.insert(key.clone(), tensor(shape.clone(), vec![fill; n]));
            }
            _ => {}
        }
    }
    sd
}

/// Writes `net`'s synthetic checkpoint into `dir` (same bytes every time, so its engines are
/// found in the cache on later runs); returns its path.
pub fn write(dir: &Path, net: Network) -> std::io::Result<PathBuf> {
    let path = dir.join(net.file);
    std::fs::write(&path, archive(&state_dict(net.arch)))?;
    Ok(path)
}

#[cfg(test)]
mod tests;
