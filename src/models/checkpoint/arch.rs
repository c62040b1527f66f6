//! Architecture detection from tensor names and shapes (never from file names), with a full
//! check of the key set and of every tensor's shape.

use std::collections::BTreeSet;

use super::error::ArchError;
use super::keys::{is_rife_training_key, param_keys, rife_keys, rrdb_convs, srvgg_modules};
use crate::models::weights::StateDict;

/// A supported network with the hyper-parameters read from its tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// RIFE v4.25 IFNet (also v4.26, which is architecture-identical).
    Rife425,
    /// Real-ESRGAN RRDBNet.
    RrdbNet {
        /// Upscaling factor: 4 (3 input channels), 2 (12) or 1 (48).
        scale: u32,
        /// Feature channels (`conv_first` outputs).
        nf: usize,
        /// Number of RRDB blocks.
        nb: usize,
        /// Growth channels (`rdb1.conv1` outputs).
        gc: usize,
    },
    /// Real-ESRGAN SRVGGNetCompact.
    SrVgg {
        /// Upscaling factor (last conv outputs 3·scale² channels).
        scale: u32,
        /// Feature channels.
        nf: usize,
        /// Number of inner Conv+PReLU pairs.
        num_conv: usize,
    },
}

impl Architecture {
    /// How many times larger the output is than the input (1 for RIFE).
    pub fn scale(&self) -> usize {
        match *self {
            Architecture::Rife425 => 1,
            Architecture::RrdbNet { scale, .. } | Architecture::SrVgg { scale, .. } => {
                scale as usize
            }
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Architecture::Rife425 => write!(f, "RIFE v4.25"),
            Architecture::RrdbNet { scale, nf, nb, gc } => {
                write!(f, "RRDBNet x{scale} (nf {nf}, nb {nb}, gc {gc})")
            }
            Architecture::SrVgg {
                scale,
                nf,
                num_conv,
            } => write!(f, "SRVGGNetCompact x{scale} (nf {nf}, {num_conv} convs)"),
        }
    }
}

/// Detects the network a state_dict belongs to and checks its keys and shapes. RIFE's
/// training-only `teacher.*`/`caltime.*` keys are ignored (see [`prune`]).
pub fn detect(sd: &StateDict) -> Result<Architecture, ArchError> {
    if sd.contains_key("conv_first.weight") {
        detect_rrdb(sd)
    } else if sd.contains_key("body.0.weight") {
        detect_srvgg(sd)
    } else if sd
        .keys()
        .any(|k| k.starts_with("encode.") || k.starts_with("block0."))
    {
        check_keys(sd, "RIFE v4.25", rife_keys(), true)?;
        Ok(Architecture::Rife425)
    } else {
        let some: Vec<&String> = sd.keys().take(5).collect();
        Err(ArchError::Unrecognised(format!(
            "{} tensors, first keys {some:?}",
            sd.len()
        )))
    }
}

/// Removes keys the detected network does not use (RIFE's training-only keys).
pub fn prune(arch: Architecture, sd: &mut StateDict) {
    if arch == Architecture::Rife425 {
        sd.retain(|k, _| !is_rife_training_key(k));
    }
}

fn check_keys(
    sd: &StateDict,
    arch: &str,
    expected: Vec<String>,
    rife: bool,
) -> Result<(), ArchError> {
    let expected: BTreeSet<String> = expected.into_iter().collect();
    let present: BTreeSet<&String> = sd
        .keys()
        .filter(|k| !(rife && is_rife_training_key(k)))
        .collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|k| !present.contains(k))
        .cloned()
        .collect();
    let unexpected: Vec<String> = present
        .iter()
        .filter(|k| !expected.contains(k.as_str()))
        .map(|k| (*k).clone())
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(ArchError::Keys {
            arch: arch.to_owned(),
            missing,
            unexpected,
        })
    }
}

fn shape_of<'a>(sd: &'a StateDict, key: &str) -> Result<&'a [usize], ArchError> {
    sd.get(key)
        .map(|t| t.shape.as_slice())
        .ok_or_else(|| ArchError::Keys {
            arch: "network".into(),
            missing: vec![key.to_owned()],
            unexpected: Vec::new(),
        })
}

fn expect_shape(sd: &StateDict, key: &str, expected: &[usize]) -> Result<(), ArchError> {
    let found = shape_of(sd, key)?;
    if found == expected {
        Ok(())
    } else {
        Err(ArchError::Shape {
            key: key.to_owned(),
            found: found.to_vec(),
            expected: expected.to_vec(),
        })
    }
}

/// Checks `<m>.weight` is `[out, inp, 3, 3]` and `<m>.bias` is `[out]`.
fn expect_conv(sd: &StateDict, m: &str, out: usize, inp: usize) -> Result<(), ArchError> {
    expect_shape(sd, &format!("{m}.weight"), &[out, inp, 3, 3])?;
    expect_shape(sd, &format!("{m}.bias"), &[out])
}

/// Distinct `N` in keys `body.N.*`.
fn body_indices(sd: &StateDict) -> BTreeSet<usize> {
    sd.keys()
        .filter_map(|k| k.strip_prefix("body.")?.split('.').next()?.parse().ok())
        .collect()
}

fn dim(shape: &[usize], i: usize, key: &str) -> Result<usize, ArchError> {
    shape.get(i).copied().ok_or_else(|| ArchError::Shape {
        key: key.to_owned(),
        found: shape.to_vec(),
        expected: vec![0; 4],
    })
}

fn detect_rrdb(sd: &StateDict) -> Result<Architecture, ArchError> {
    let first = shape_of(sd, "conv_first.weight")?;
    let nf = dim(first, 0, "conv_first.weight")?;
    let in_ch = dim(first, 1, "conv_first.weight")?;
    let scale = match in_ch {
        3 => 4,
        12 => 2,
        48 => 1,
        other => {
            return Err(ArchError::Unrecognised(format!(
                "RRDBNet conv_first takes {other} channels (expected 3, 12 or 48)"
            )))
        }
    };
    let nb = body_indices(sd).len();
    let convs = rrdb_convs(nb);
    let keys = param_keys(convs.iter().map(|c| (c.as_str(), false)));
    check_keys(sd, "RRDBNet", keys, false)?;
    let gc = dim(
        shape_of(sd, "body.0.rdb1.conv1.weight")?,
        0,
        "body.0.rdb1.conv1.weight",
    )?;
    expect_conv(sd, "conv_first", nf, in_ch)?;
    for i in 0..nb {
        for r in 1..=3 {
            for c in 1..=5usize {
                let out = if c == 5 { nf } else { gc };
                expect_conv(
                    sd,
                    &format!("body.{i}.rdb{r}.conv{c}"),
                    out,
                    nf + (c - 1) * gc,
                )?;
            }
        }
    }
    for m in ["conv_body", "conv_up1", "conv_up2", "conv_hr"] {
        expect_conv(sd, m, nf, nf)?;
    }
    expect_conv(sd, "conv_last", 3, nf)?;
    Ok(Architecture::RrdbNet { scale, nf, nb, gc })
}

fn detect_srvgg(sd: &StateDict) -> Result<Architecture, ArchError> {
    let nf = dim(shape_of(sd, "body.0.weight")?, 0, "body.0.weight")?;
    let count = body_indices(sd).len();
    if count < 3 || count.is_multiple_of(2) {
        return Err(ArchError::Unrecognised(format!(
            "SRVGGNetCompact needs an odd number (>= 3) of body modules, found {count}"
        )));
    }
    let num_conv = (count - 3) / 2;
    let modules = srvgg_modules(num_conv);
    let keys = param_keys(modules.iter().map(|(m, p)| (m.as_str(), *p)));
    check_keys(sd, "SRVGGNetCompact", keys, false)?;
    let last = format!("body.{}.weight", count - 1);
    let out = dim(shape_of(sd, &last)?, 0, &last)?;
    let scale = (1..=8u32)
        .find(|s| 3 * (s * s) as usize == out)
        .ok_or_else(|| ArchError::Unrecognised(format!("{last} has {out} outputs, not 3·s²")))?;
    for (i, (m, prelu)) in modules.iter().enumerate() {
        if *prelu {
            expect_shape(sd, &format!("{m}.weight"), &[nf])?;
        } else if i == 0 {
            expect_conv(sd, m, nf, 3)?;
        } else if i + 1 == modules.len() {
            expect_conv(sd, m, out, nf)?;
        } else {
            expect_conv(sd, m, nf, nf)?;
        }
    }
    Ok(Architecture::SrVgg {
        scale,
        nf,
        num_conv,
    })
}

#[cfg(test)]
#[path = "arch_tests.rs"]
mod tests;
