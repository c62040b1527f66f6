//! A slow, plain-Rust reference of the upscaling networks and their pieces (NCHW fp32), used to
//! check the ONNX graphs' channel orders (pixel-unshuffle, PixelShuffle) and layer wiring on
//! small inputs. Not meant for real frames.

use super::error::GraphError;
use super::hparams::{RrdbParams, SrvggParams};
use crate::models::weights::{StateDict, Tensor};

fn dims4(t: &Tensor) -> [usize; 4] {
    let mut d = [1; 4];
    for (o, s) in d.iter_mut().zip(&t.shape) {
        *o = *s;
    }
    d
}

fn get<'a>(sd: &'a StateDict, key: &str) -> Result<&'a Tensor, GraphError> {
    sd.get(key)
        .ok_or_else(|| GraphError::MissingTensor(key.to_owned()))
}

/// 2-D convolution with bias; `w` is `O,I,K,K`, `b` is `O`. Shapes must agree.
pub fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor, stride: usize, pad: usize) -> Tensor {
    let [n, ci, h, wd] = dims4(x);
    let [co, _, k, _] = dims4(w);
    let ho = (h + 2 * pad - k) / stride + 1;
    let wo = (wd + 2 * pad - k) / stride + 1;
    let mut out = vec![0.0f32; n * co * ho * wo];
    for b_i in 0..n {
        for o in 0..co {
            for y in 0..ho {
                for xo in 0..wo {
                    let mut acc = b.data[o];
                    for i in 0..ci {
                        for ky in 0..k {
                            let iy = (y * stride + ky) as isize - pad as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for kx in 0..k {
                                let ix = (xo * stride + kx) as isize - pad as isize;
                                if ix < 0 || ix >= wd as isize {
                                    continue;
                                }
                                let xv =
                                    x.data[((b_i * ci + i) * h + iy as usize) * wd + ix as usize];
                                acc += xv * w.data[((o * ci + i) * k + ky) * k + kx];
                            }
                        }
                    }
                    out[((b_i * co + o) * ho + y) * wo + xo] = acc;
                }
            }
        }
    }
    Tensor {
        shape: vec![n, co, ho, wo],
        data: out,
    }
}

/// Applies `f(channel, value)` to every element.
pub fn map_channels(x: &Tensor, f: impl Fn(usize, f32) -> f32) -> Tensor {
    let [_, c, h, w] = dims4(x);
    let data = x
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| f((i / (h * w)) % c, v))
        .collect();
    Tensor {
        shape: x.shape.clone(),
        data,
    }
}

/// Leaky ReLU with slope `a`.
pub fn leaky_relu(x: &Tensor, a: f32) -> Tensor {
    map_channels(x, |_, v| if v < 0.0 { v * a } else { v })
}

/// `a * ka + b` element-wise (same shapes).
pub fn axpy(a: &Tensor, ka: f32, b: &Tensor) -> Tensor {
    let data = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| x * ka + y)
        .collect();
    Tensor {
        shape: a.shape.clone(),
        data,
    }
}

/// Concatenation along channels.
pub fn concat_channels(xs: &[&Tensor]) -> Tensor {
    let [n, _, h, w] = dims4(xs[0]);
    let c: usize = xs.iter().map(|t| dims4(t)[1]).sum();
    let mut data = Vec::with_capacity(n * c * h * w);
    for b in 0..n {
        for t in xs {
            let per = dims4(t)[1] * h * w;
            data.extend_from_slice(&t.data[b * per..(b + 1) * per]);
        }
    }
    Tensor {
        shape: vec![n, c, h, w],
        data,
    }
}

/// Rearranges pixels: `unshuffle = true` is basicsr `pixel_unshuffle(r)` (output channel
/// `c*r*r + dy*r + dx`), `false` is `PixelShuffle(r)`, its inverse.
pub fn pixel_shuffle(x: &Tensor, r: usize, unshuffle: bool) -> Tensor {
    let [n, c, h, w] = dims4(x);
    // Low-resolution channel c*r*r + dy*r + dx at (y, x) <-> high-resolution (c, y*r+dy, x*r+dx).
    let (lo_c, lo_h, lo_w, hi_c) = if unshuffle {
        (c * r * r, h / r, w / r, c)
    } else {
        (c, h, w, c / (r * r))
    };
    let (hi_h, hi_w) = (lo_h * r, lo_w * r);
    let mut data = vec![0.0; n * lo_c * lo_h * lo_w];
    for b in 0..n {
        for cc in 0..hi_c {
            for dy in 0..r {
                for dx in 0..r {
                    let lc = cc * r * r + dy * r + dx;
                    for y in 0..lo_h {
                        for xx in 0..lo_w {
                            let lo = ((b * lo_c + lc) * lo_h + y) * lo_w + xx;
                            let hi = ((b * hi_c + cc) * hi_h + y * r + dy) * hi_w + xx * r + dx;
                            if unshuffle {
                                data[lo] = x.data[hi];
                            } else {
                                data[hi] = x.data[lo];
                            }
                        }
                    }
                }
            }
        }
    }
    let shape = if unshuffle {
        vec![n, lo_c, lo_h, lo_w]
    } else {
        vec![n, hi_c, hi_h, hi_w]
    };
    Tensor { shape, data }
}

/// Nearest-neighbour upsampling by an integer factor.
pub fn nearest_up(x: &Tensor, r: usize) -> Tensor {
    let [n, c, h, w] = dims4(x);
    let mut data = Vec::with_capacity(x.data.len() * r * r);
    for plane in 0..n * c {
        for y in 0..h * r {
            for xx in 0..w * r {
                data.push(x.data[(plane * h + y / r) * w + xx / r]);
            }
        }
    }
    Tensor {
        shape: vec![n, c, h * r, w * r],
        data,
    }
}

fn conv_key(sd: &StateDict, key: &str, x: &Tensor) -> Result<Tensor, GraphError> {
    let w = get(sd, &format!("{key}.weight"))?;
    let b = get(sd, &format!("{key}.bias"))?;
    Ok(conv2d(x, w, b, 1, 1))
}

/// SRVGGNetCompact forward pass on an NCHW input.
pub fn srvgg_forward(sd: &StateDict, x: &Tensor) -> Result<Tensor, GraphError> {
    let p = SrvggParams::from_state_dict(sd)?;
    let mut f = x.clone();
    for k in 0..=p.num_conv {
        f = conv_key(sd, &format!("body.{}", 2 * k), &f)?;
        let slope = get(sd, &format!("body.{}.weight", 2 * k + 1))?;
        f = map_channels(&f, |c, v| if v < 0.0 { v * slope.data[c] } else { v });
    }
    f = conv_key(sd, &format!("body.{}", 2 * p.num_conv + 2), &f)?;
    let up = pixel_shuffle(&f, p.scale, false);
    Ok(axpy(&up, 1.0, &nearest_up(x, p.scale)))
}

/// RRDBNet forward pass on an NCHW input (H, W divisible by the unshuffle factor).
pub fn rrdbnet_forward(sd: &StateDict, x: &Tensor) -> Result<Tensor, GraphError> {
    let p = RrdbParams::from_state_dict(sd)?;
    let r = p.unshuffle();
    let input = if r > 1 {
        pixel_shuffle(x, r, true)
    } else {
        x.clone()
    };
    let feat = conv_key(sd, "conv_first", &input)?;
    let mut body = feat.clone();
    for i in 0..p.nb {
        let block_in = body.clone();
        for j in 1..=3 {
            let mut parts = vec![body.clone()];
            for k in 1..=5 {
                let refs: Vec<&Tensor> = parts.iter().collect();
                let y = conv_key(
                    sd,
                    &format!("body.{i}.rdb{j}.conv{k}"),
                    &concat_channels(&refs),
                )?;
                if k < 5 {
                    parts.push(leaky_relu(&y, 0.2));
                } else {
                    body = axpy(&y, 0.2, &parts[0]);
                }
            }
        }
        body = axpy(&body, 0.2, &block_in);
    }
    let mut f = axpy(&conv_key(sd, "conv_body", &body)?, 1.0, &feat);
    for key in ["conv_up1", "conv_up2"] {
        f = leaky_relu(&conv_key(sd, key, &nearest_up(&f, 2))?, 0.2);
    }
    let hr = leaky_relu(&conv_key(sd, "conv_hr", &f)?, 0.2);
    conv_key(sd, "conv_last", &hr)
}
