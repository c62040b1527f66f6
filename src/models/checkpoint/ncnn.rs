//! ncnn `.param` text parsing and `.bin` weight reading. Only the layer types of the supported
//! networks are accepted, so a layer with unknown weights can never desynchronise the `.bin`.

use std::collections::BTreeMap;

use super::dtype::{decode_all, f16_to_f32};
use super::error::{ErrorKind, NcnnError};
use super::Limits;
use crate::models::weights::Tensor;

/// The magic first line of a `.param` file.
pub const MAGIC: &str = "7767517";
const TAG_FP16: u32 = 0x0130_6B47;
const TAG_FP32: u32 = 0;
const MAX_LAYERS: usize = 100_000;
const MAX_BLOBS_PER_LAYER: usize = 4096;

/// Layer types that carry no weights in the `.bin`.
const WEIGHTLESS: &[&str] = &[
    "Input",
    "Split",
    "Concat",
    "Eltwise",
    "BinaryOp",
    "Interp",
    "PixelShuffle",
    "ReLU",
    "Sigmoid",
    "Noop",
    "Crop",
    "Padding",
];

/// What a weighted layer holds, from its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    /// A layer without weights.
    Weightless,
    /// Convolution with `out × inp × kh × kw` weights and an optional bias.
    Conv {
        /// Output channels.
        out: usize,
        /// Input channels.
        inp: usize,
        /// Kernel height.
        kh: usize,
        /// Kernel width.
        kw: usize,
        /// Whether a bias follows the weights.
        bias: bool,
    },
    /// PReLU with `slopes` raw fp32 values.
    PRelu {
        /// Number of slopes.
        slopes: usize,
    },
}

/// One parsed `.param` layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Layer name (second column).
    pub name: String,
    /// What it holds.
    pub kind: LayerKind,
}

/// A layer's weights as read from the `.bin`.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// Convolution weight `[out, in, kh, kw]` and bias `[out]`.
    Conv {
        /// Weight tensor.
        weight: Tensor,
        /// Bias tensor, if the layer has one.
        bias: Option<Tensor>,
    },
    /// PReLU slopes `[n]`.
    PRelu(Tensor),
}

fn perr(line: usize, message: impl Into<String>) -> NcnnError {
    NcnnError::Param {
        line,
        message: message.into(),
    }
}

fn int_param(
    params: &BTreeMap<i32, &str>,
    key: i32,
    default: Option<i64>,
    line: usize,
) -> Result<i64, NcnnError> {
    match params.get(&key) {
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| perr(line, format!("parameter {key}={v} is not an integer"))),
        None => default.ok_or_else(|| perr(line, format!("parameter {key} missing"))),
    }
}

fn positive(v: i64, what: &str, line: usize) -> Result<usize, NcnnError> {
    usize::try_from(v)
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| perr(line, format!("{what} must be positive, got {v}")))
}

fn layer_kind(ty: &str, params: &BTreeMap<i32, &str>, line: usize) -> Result<LayerKind, NcnnError> {
    match ty {
        "Convolution" => {
            let out = positive(int_param(params, 0, None, line)?, "num_output", line)?;
            let kw = positive(int_param(params, 1, None, line)?, "kernel_w", line)?;
            let kh = positive(
                int_param(params, 11, Some(kw as i64), line)?,
                "kernel_h",
                line,
            )?;
            let bias = int_param(params, 5, Some(0), line)? != 0;
            let size = positive(int_param(params, 6, None, line)?, "weight_data_size", line)?;
            if int_param(params, 8, Some(0), line)? != 0
                || int_param(params, 19, Some(0), line)? != 0
            {
                return Err(perr(
                    line,
                    "int8 or dynamic-weight convolutions are not supported",
                ));
            }
            let per_in = out
                .checked_mul(kh)
                .and_then(|v| v.checked_mul(kw))
                .ok_or_else(|| perr(line, "convolution size overflows"))?;
            if size % per_in != 0 {
                return Err(perr(
                    line,
                    format!("weight count {size} is not a multiple of {per_in}"),
                ));
            }
            Ok(LayerKind::Conv {
                out,
                inp: size / per_in,
                kh,
                kw,
                bias,
            })
        }
        "PReLU" => Ok(LayerKind::PRelu {
            slopes: positive(int_param(params, 0, Some(0), line)?, "num_slope", line)?,
        }),
        t if WEIGHTLESS.contains(&t) => Ok(LayerKind::Weightless),
        other => Err(perr(line, format!("unsupported layer type {other:?}"))),
    }
}

/// Parses a `.param` text into its layers.
pub fn parse_param(text: &str) -> Result<Vec<Layer>, NcnnError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    if lines.next().map(|(_, l)| l) != Some(MAGIC) {
        return Err(NcnnError::BadMagic);
    }
    let (hl, header) = lines
        .next()
        .ok_or_else(|| perr(2, "missing layer/blob counts"))?;
    let counts: Vec<usize> = header
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let &[layer_count, _blobs] = counts.as_slice() else {
        return Err(perr(hl, format!("bad counts line {header:?}")));
    };
    if layer_count > MAX_LAYERS {
        return Err(perr(
            hl,
            format!("{layer_count} layers exceed the limit of {MAX_LAYERS}"),
        ));
    }
    let mut layers = Vec::with_capacity(layer_count);
    for (ln, l) in lines {
        let tok: Vec<&str> = l.split_whitespace().collect();
        let [ty, name, n_in, n_out, rest @ ..] = tok.as_slice() else {
            return Err(perr(ln, "a layer line needs type, name and blob counts"));
        };
        let n_in: usize = n_in.parse().map_err(|_| perr(ln, "bad input count"))?;
        let n_out: usize = n_out.parse().map_err(|_| perr(ln, "bad output count"))?;
        if n_in > MAX_BLOBS_PER_LAYER || n_out > MAX_BLOBS_PER_LAYER || rest.len() < n_in + n_out {
            return Err(perr(ln, "blob counts disagree with the blob names"));
        }
        let mut params = BTreeMap::new();
        for kv in rest.get(n_in + n_out..).unwrap_or_default() {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| perr(ln, format!("{kv:?} is not key=value")))?;
            let k: i32 = k
                .parse()
                .map_err(|_| perr(ln, format!("bad parameter key {k:?}")))?;
            params.insert(k, v);
        }
        let kind = layer_kind(ty, &params, ln)?;
        layers.push(Layer {
            name: (*name).to_owned(),
            kind,
        });
    }
    if layers.len() != layer_count {
        return Err(perr(
            hl,
            format!(
                "header declares {layer_count} layers, file has {}",
                layers.len()
            ),
        ));
    }
    Ok(layers)
}

/// A bounds-checked cursor over the `.bin`.
struct Cursor<'a> {
    bin: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64, layer: &str) -> Result<&'a [u8], NcnnError> {
        let short = || NcnnError::BinTooShort {
            layer: layer.to_owned(),
            needed: n,
            offset: self.pos as u64,
            len: self.bin.len() as u64,
        };
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .ok_or_else(short)?;
        let s = self.bin.get(self.pos..end).ok_or_else(short)?;
        self.pos = end;
        Ok(s)
    }

    fn f32s(&mut self, n: usize, layer: &str) -> Result<Vec<f32>, NcnnError> {
        Ok(decode_all(
            super::value::DType::F32,
            self.take(n as u64 * 4, layer)?,
        ))
    }
}

/// Reads the weights of every weighted layer from `bin`, requiring it to be consumed exactly.
pub fn read_bin(layers: &[Layer], bin: &[u8], limits: &Limits) -> Result<Vec<Weights>, ErrorKind> {
    let mut total: u64 = 0;
    for l in layers {
        total = total.saturating_add(match l.kind {
            LayerKind::Conv {
                out, inp, kh, kw, ..
            } => ((out * inp * kh * kw) as u64)
                .saturating_add(out as u64)
                .saturating_mul(4),
            LayerKind::PRelu { slopes } => (slopes as u64).saturating_mul(4),
            LayerKind::Weightless => 0,
        });
    }
    if total > limits.max_total_bytes {
        return Err(ErrorKind::TooLarge {
            what: "ncnn weights".into(),
            size: total,
            limit: limits.max_total_bytes,
        });
    }
    let mut cur = Cursor { bin, pos: 0 };
    let mut out = Vec::new();
    for l in layers {
        match l.kind {
            LayerKind::Weightless => {}
            LayerKind::PRelu { slopes } => {
                out.push(Weights::PRelu(Tensor {
                    shape: vec![slopes],
                    data: cur.f32s(slopes, &l.name)?,
                }));
            }
            LayerKind::Conv {
                out: o,
                inp,
                kh,
                kw,
                bias,
            } => {
                let n = o * inp * kh * kw;
                let tag = cur.take(4, &l.name)?;
                let tag = u32::from_le_bytes([tag[0], tag[1], tag[2], tag[3]]);
                let data = match tag {
                    TAG_FP16 => {
                        let padded = (n as u64 * 2).div_ceil(4) * 4;
                        let raw = cur.take(padded, &l.name)?;
                        raw.chunks_exact(2)
                            .take(n)
                            .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                            .collect()
                    }
                    TAG_FP32 => cur.f32s(n, &l.name)?,
                    tag => {
                        return Err(NcnnError::BadTag {
                            layer: l.name.clone(),
                            tag,
                        }
                        .into())
                    }
                };
                let weight = Tensor {
                    shape: vec![o, inp, kh, kw],
                    data,
                };
                let bias = if bias {
                    Some(Tensor {
                        shape: vec![o],
                        data: cur.f32s(o, &l.name)?,
                    })
                } else {
                    None
                };
                out.push(Weights::Conv { weight, bias });
            }
        }
    }
    let extra = (bin.len() - cur.pos) as u64;
    if extra != 0 {
        return Err(NcnnError::BinTooLong { extra }.into());
    }
    Ok(out)
}

#[cfg(test)]
#[path = "ncnn_tests.rs"]
mod tests;
