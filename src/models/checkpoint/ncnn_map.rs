//! Names the ordered ncnn weight blobs with the PyTorch state_dict keys of the network they
//! encode: SRVGGNetCompact when PReLU layers are present, else RRDBNet.

use super::error::NcnnError;
use super::keys::{rrdb_convs, RRDB_CONVS_PER_BLOCK, RRDB_FIXED_CONVS};
use super::ncnn::Weights;
use crate::models::weights::{StateDict, Tensor};

fn insert_conv(
    sd: &mut StateDict,
    name: &str,
    weight: Tensor,
    bias: Option<Tensor>,
) -> Result<(), NcnnError> {
    let bias =
        bias.ok_or_else(|| NcnnError::Layout(format!("convolution for {name} has no bias")))?;
    sd.insert(format!("{name}.weight"), weight);
    sd.insert(format!("{name}.bias"), bias);
    Ok(())
}

/// Maps the weighted layers, in file order, onto state_dict keys.
pub fn to_state_dict(layers: Vec<Weights>) -> Result<StateDict, NcnnError> {
    let mut sd = StateDict::new();
    if layers.iter().any(|l| matches!(l, Weights::PRelu(_))) {
        // SRVGGNetCompact: Conv, PReLU, (Conv, PReLU)*, Conv.
        let n = layers.len();
        for (i, l) in layers.into_iter().enumerate() {
            let name = format!("body.{i}");
            match (l, i % 2 == 1) {
                (Weights::Conv { weight, bias }, false) => insert_conv(&mut sd, &name, weight, bias)?,
                (Weights::PRelu(t), true) if i + 1 < n => {
                    sd.insert(format!("{name}.weight"), t);
                }
                _ => {
                    return Err(NcnnError::Layout(format!(
                        "weighted layer {i} of {n} breaks the Conv/PReLU alternation of SRVGGNetCompact"
                    )))
                }
            }
        }
        return Ok(sd);
    }
    let n = layers.len();
    if n < RRDB_FIXED_CONVS || !(n - RRDB_FIXED_CONVS).is_multiple_of(RRDB_CONVS_PER_BLOCK) {
        return Err(NcnnError::Layout(format!(
            "{n} convolutions is not 6 + 15·nb as in RRDBNet"
        )));
    }
    let names = rrdb_convs((n - RRDB_FIXED_CONVS) / RRDB_CONVS_PER_BLOCK);
    for (name, l) in names.iter().zip(layers) {
        match l {
            Weights::Conv { weight, bias } => insert_conv(&mut sd, name, weight, bias)?,
            Weights::PRelu(_) => return Err(NcnnError::Layout("unexpected PReLU".into())),
        }
    }
    Ok(sd)
}
