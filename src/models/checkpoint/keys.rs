//! State-dict key names of the supported networks, in module definition order.

/// Removes a leading `module.` (left by DataParallel training).
pub fn strip_prefix(key: &str) -> &str {
    key.strip_prefix("module.").unwrap_or(key)
}

/// Training-only RIFE keys that are ignored.
pub fn is_rife_training_key(key: &str) -> bool {
    key.starts_with("teacher.") || key.starts_with("caltime.")
}

/// Number of ResConv blocks per RIFE IFBlock.
pub const RIFE_RESCONVS: usize = 8;
/// Number of RIFE IFBlocks.
pub const RIFE_BLOCKS: usize = 5;

/// Every key of a RIFE v4.25 IFNet state_dict (training-only keys excluded).
pub fn rife_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for i in 0..4 {
        keys.push(format!("encode.cnn{i}.weight"));
        keys.push(format!("encode.cnn{i}.bias"));
    }
    for b in 0..RIFE_BLOCKS {
        for c in 0..2 {
            keys.push(format!("block{b}.conv0.{c}.0.weight"));
            keys.push(format!("block{b}.conv0.{c}.0.bias"));
        }
        for r in 0..RIFE_RESCONVS {
            keys.push(format!("block{b}.convblock.{r}.beta"));
            keys.push(format!("block{b}.convblock.{r}.conv.weight"));
            keys.push(format!("block{b}.convblock.{r}.conv.bias"));
        }
        keys.push(format!("block{b}.lastconv.0.weight"));
        keys.push(format!("block{b}.lastconv.0.bias"));
    }
    keys
}

/// RRDBNet convolution module names in definition order (each has `.weight` and `.bias`).
pub fn rrdb_convs(nb: usize) -> Vec<String> {
    let mut names = vec!["conv_first".to_owned()];
    for i in 0..nb {
        for r in 1..=3 {
            for c in 1..=5 {
                names.push(format!("body.{i}.rdb{r}.conv{c}"));
            }
        }
    }
    for tail in ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"] {
        names.push(tail.to_owned());
    }
    names
}

/// Convolutions of an RRDBNet besides the 15 per block.
pub const RRDB_FIXED_CONVS: usize = 6;
/// Convolutions per RRDB block.
pub const RRDB_CONVS_PER_BLOCK: usize = 15;

/// SRVGGNetCompact modules in definition order: `(name, is_prelu)`. Convolutions carry
/// `.weight` and `.bias`, PReLUs only `.weight`.
pub fn srvgg_modules(num_conv: usize) -> Vec<(String, bool)> {
    let last = 2 + 2 * num_conv;
    (0..=last)
        .map(|i| (format!("body.{i}"), i % 2 == 1))
        .collect()
}

/// The parameter keys of a list of modules.
pub fn param_keys<'a>(modules: impl IntoIterator<Item = (&'a str, bool)>) -> Vec<String> {
    let mut keys = Vec::new();
    for (m, prelu_only) in modules {
        keys.push(format!("{m}.weight"));
        if !prelu_only {
            keys.push(format!("{m}.bias"));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(rife_keys().len(), 8 + 5 * (4 + 24 + 2));
        assert_eq!(rrdb_convs(23).len(), 351);
        assert_eq!(srvgg_modules(16).len(), 35);
        assert_eq!(
            strip_prefix("module.conv_first.weight"),
            "conv_first.weight"
        );
        assert_eq!(strip_prefix("conv_first.weight"), "conv_first.weight");
        assert!(is_rife_training_key("teacher.lastconv.0.bias"));
        assert!(!is_rife_training_key("block0.lastconv.0.bias"));
        let k = param_keys([("body.0", false), ("body.1", true)]);
        assert_eq!(k, ["body.0.weight", "body.0.bias", "body.1.weight"]);
    }
}
