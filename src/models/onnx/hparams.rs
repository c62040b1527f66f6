//! Hyper-parameters of each network, read from tensor shapes and key names in a state dict.

use super::error::GraphError;
use crate::models::weights::StateDict;

fn shape<'a>(sd: &'a StateDict, key: &str) -> Result<&'a [usize], GraphError> {
    sd.get(key)
        .map(|t| t.shape.as_slice())
        .ok_or_else(|| GraphError::MissingTensor(key.to_owned()))
}

fn bad_shape(key: &str, expected: &str, actual: &[usize]) -> GraphError {
    GraphError::BadShape {
        name: key.to_owned(),
        expected: expected.to_owned(),
        actual: actual.to_vec(),
    }
}

/// Number of consecutive indices `i = 0, 1, ...` for which `key(i)` is present.
fn count_consecutive(sd: &StateDict, key: impl Fn(usize) -> String) -> usize {
    (0..).take_while(|&i| sd.contains_key(&key(i))).count()
}

/// Real-ESRGAN RRDBNet hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrdbParams {
    /// Feature channels (`conv_first` out-channels).
    pub nf: usize,
    /// Number of RRDB blocks (`body.{i}`).
    pub nb: usize,
    /// Growth channels (`rdb1.conv1` out-channels).
    pub gc: usize,
    /// Upscaling factor: 4, 2 (2x pixel-unshuffle first) or 1 (4x unshuffle first).
    pub scale: usize,
}

impl RrdbParams {
    /// Reads nf, nb, gc and the scale from the weights.
    pub fn from_state_dict(sd: &StateDict) -> Result<Self, GraphError> {
        let first = shape(sd, "conv_first.weight")?;
        let [nf, in_ch, 3, 3] = *first else {
            return Err(bad_shape("conv_first.weight", "[nf, 3|12|48, 3, 3]", first));
        };
        let scale = match in_ch {
            3 => 4,
            12 => 2,
            48 => 1,
            _ => return Err(bad_shape("conv_first.weight", "[nf, 3|12|48, 3, 3]", first)),
        };
        let nb = count_consecutive(sd, |i| format!("body.{i}.rdb1.conv1.weight"));
        let gc = if nb == 0 {
            return Err(GraphError::MissingTensor(
                "body.0.rdb1.conv1.weight".to_owned(),
            ));
        } else {
            let key = "body.0.rdb1.conv1.weight";
            let s = shape(sd, key)?;
            match *s {
                [gc, n, 3, 3] if n == nf && gc > 0 => gc,
                _ => return Err(bad_shape(key, &format!("[gc, {nf}, 3, 3]"), s)),
            }
        };
        if nf == 0 {
            return Err(bad_shape("conv_first.weight", "nf > 0", first));
        }
        Ok(Self { nf, nb, gc, scale })
    }

    /// Input channels of `conv_first` (3 times the unshuffle factor squared).
    pub fn in_channels(&self) -> usize {
        3 * self.unshuffle() * self.unshuffle()
    }

    /// Pixel-unshuffle factor applied to the input (1 = none).
    pub fn unshuffle(&self) -> usize {
        4 / self.scale
    }
}

/// SRVGGNetCompact hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrvggParams {
    /// Feature channels.
    pub nf: usize,
    /// Number of body convolutions between the first and the last.
    pub num_conv: usize,
    /// Upscaling factor.
    pub scale: usize,
}

impl SrvggParams {
    /// Reads nf, num_conv and the scale from the weights (`body.{k}` layers).
    pub fn from_state_dict(sd: &StateDict) -> Result<Self, GraphError> {
        let first = shape(sd, "body.0.weight")?;
        let [nf, 3, 3, 3] = *first else {
            return Err(bad_shape("body.0.weight", "[nf, 3, 3, 3]", first));
        };
        let layers = count_consecutive(sd, |k| format!("body.{k}.weight"));
        // conv, prelu, (conv, prelu) * num_conv, conv
        if layers < 3 || layers % 2 == 0 {
            return Err(GraphError::Unsupported(format!(
                "SRVGGNetCompact with {layers} body layers (expected an odd number >= 3)"
            )));
        }
        let num_conv = (layers - 3) / 2;
        let last_key = format!("body.{}.weight", layers - 1);
        let last = shape(sd, &last_key)?;
        let scale = match *last {
            [out, n, 3, 3] if n == nf && out % 3 == 0 => {
                let s2 = out / 3;
                let s = (1..=8).find(|s| s * s == s2);
                s.ok_or_else(|| bad_shape(&last_key, "[3*s*s, nf, 3, 3]", last))?
            }
            _ => return Err(bad_shape(&last_key, &format!("[3*s*s, {nf}, 3, 3]"), last)),
        };
        if nf == 0 {
            return Err(bad_shape("body.0.weight", "nf > 0", first));
        }
        Ok(Self {
            nf,
            num_conv,
            scale,
        })
    }
}

/// RIFE IFNet v4.25 hyper-parameters: the width of each of the five IFBlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RifeParams {
    /// `c` of block0..block4 (192, 128, 96, 64, 32 in the released weights).
    pub block_channels: [usize; 5],
}

impl RifeParams {
    /// Reads each block's width from `blockN.conv0.1.0.weight`.
    pub fn from_state_dict(sd: &StateDict) -> Result<Self, GraphError> {
        let mut block_channels = [0; 5];
        for (i, c) in block_channels.iter_mut().enumerate() {
            let key = format!("block{i}.conv0.1.0.weight");
            let s = shape(sd, &key)?;
            *c = match *s {
                [c, half, 3, 3] if c > 0 && half > 0 => c,
                _ => return Err(bad_shape(&key, "[c, c/2, 3, 3]", s)),
            };
        }
        Ok(Self { block_channels })
    }
}
