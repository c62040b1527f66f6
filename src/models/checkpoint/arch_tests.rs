use super::*;
use crate::models::checkpoint::keys;
use crate::models::weights::Tensor;

fn t(shape: &[usize]) -> Tensor {
    Tensor {
        shape: shape.to_vec(),
        data: vec![0.0; shape.iter().product()],
    }
}

fn conv(sd: &mut StateDict, m: &str, out: usize, inp: usize) {
    sd.insert(format!("{m}.weight"), t(&[out, inp, 3, 3]));
    sd.insert(format!("{m}.bias"), t(&[out]));
}

fn rrdb(nf: usize, nb: usize, gc: usize, in_ch: usize) -> StateDict {
    let mut sd = StateDict::new();
    conv(&mut sd, "conv_first", nf, in_ch);
    for i in 0..nb {
        for r in 1..=3 {
            for c in 1..=5usize {
                let out = if c == 5 { nf } else { gc };
                conv(
                    &mut sd,
                    &format!("body.{i}.rdb{r}.conv{c}"),
                    out,
                    nf + (c - 1) * gc,
                );
            }
        }
    }
    for m in ["conv_body", "conv_up1", "conv_up2", "conv_hr"] {
        conv(&mut sd, m, nf, nf);
    }
    conv(&mut sd, "conv_last", 3, nf);
    sd
}

fn srvgg(nf: usize, num_conv: usize, scale: usize) -> StateDict {
    let mut sd = StateDict::new();
    conv(&mut sd, "body.0", nf, 3);
    sd.insert("body.1.weight".into(), t(&[nf]));
    for j in 0..num_conv {
        conv(&mut sd, &format!("body.{}", 2 + 2 * j), nf, nf);
        sd.insert(format!("body.{}.weight", 3 + 2 * j), t(&[nf]));
    }
    conv(
        &mut sd,
        &format!("body.{}", 2 + 2 * num_conv),
        3 * scale * scale,
        nf,
    );
    sd
}

#[test]
fn rrdb_parameters_come_from_shapes() {
    let arch = detect(&rrdb(8, 2, 4, 12)).unwrap();
    assert_eq!(
        arch,
        Architecture::RrdbNet {
            scale: 2,
            nf: 8,
            nb: 2,
            gc: 4
        }
    );
    let arch = detect(&rrdb(4, 1, 2, 48)).unwrap();
    assert_eq!(
        arch,
        Architecture::RrdbNet {
            scale: 1,
            nf: 4,
            nb: 1,
            gc: 2
        }
    );
    assert!(matches!(
        detect(&rrdb(4, 1, 2, 5)),
        Err(ArchError::Unrecognised(_))
    ));
}

#[test]
fn rrdb_missing_and_unexpected_keys_are_named() {
    let mut sd = rrdb(4, 2, 2, 3);
    sd.remove("body.1.rdb2.conv3.bias");
    sd.insert("conv_extra.weight".into(), t(&[1]));
    let Err(ArchError::Keys {
        missing,
        unexpected,
        ..
    }) = detect(&sd)
    else {
        panic!("keys accepted");
    };
    assert_eq!(missing, ["body.1.rdb2.conv3.bias"]);
    assert_eq!(unexpected, ["conv_extra.weight"]);
}

#[test]
fn rrdb_wrong_shape_is_reported() {
    let mut sd = rrdb(4, 1, 2, 3);
    sd.insert("conv_hr.weight".into(), t(&[4, 5, 3, 3]));
    assert_eq!(
        detect(&sd).unwrap_err(),
        ArchError::Shape {
            key: "conv_hr.weight".into(),
            found: vec![4, 5, 3, 3],
            expected: vec![4, 4, 3, 3]
        }
    );
}

#[test]
fn srvgg_parameters_come_from_shapes() {
    let arch = detect(&srvgg(8, 3, 4)).unwrap();
    assert_eq!(
        arch,
        Architecture::SrVgg {
            scale: 4,
            nf: 8,
            num_conv: 3
        }
    );
    let arch = detect(&srvgg(8, 0, 2)).unwrap();
    assert_eq!(
        arch,
        Architecture::SrVgg {
            scale: 2,
            nf: 8,
            num_conv: 0
        }
    );
    let mut sd = srvgg(8, 2, 4);
    sd.insert("body.3.weight".into(), t(&[7]));
    assert!(matches!(detect(&sd), Err(ArchError::Shape { .. })));
    let mut sd = srvgg(8, 2, 4);
    sd.remove("body.4.bias");
    assert!(
        matches!(detect(&sd), Err(ArchError::Keys { missing, .. }) if missing == ["body.4.bias"])
    );
}

#[test]
fn rife_ignores_training_keys_and_names_the_rest() {
    let mut sd: StateDict = keys::rife_keys()
        .into_iter()
        .map(|k| (k, t(&[1])))
        .collect();
    sd.insert("teacher.lastconv.0.bias".into(), t(&[52]));
    sd.insert("caltime.0.weight".into(), t(&[1]));
    assert_eq!(detect(&sd).unwrap(), Architecture::Rife425);
    prune(Architecture::Rife425, &mut sd);
    assert_eq!(sd.len(), 158);
    sd.remove("block3.convblock.7.beta");
    sd.insert("block5.lastconv.0.bias".into(), t(&[1]));
    let Err(ArchError::Keys {
        missing,
        unexpected,
        ..
    }) = detect(&sd)
    else {
        panic!("keys accepted");
    };
    assert_eq!(missing, ["block3.convblock.7.beta"]);
    assert_eq!(unexpected, ["block5.lastconv.0.bias"]);
}

#[test]
fn unknown_networks_are_refused() {
    let mut sd = StateDict::new();
    sd.insert("fc.weight".into(), t(&[2, 2]));
    assert!(matches!(detect(&sd), Err(ArchError::Unrecognised(_))));
}
