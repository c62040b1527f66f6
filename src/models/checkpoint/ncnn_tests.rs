use super::*;

const PARAM: &str = "7767517\n4 4\nInput in 0 1 data\n\
Convolution c0 1 1 data a 0=2 1=1 5=1 6=6\n\
PReLU p1 1 1 a b 0=2\n\
Convolution c2 1 1 b out 0=1 1=1 5=0 6=2\n";

fn bin(fp16: bool) -> Vec<u8> {
    let mut b = Vec::new();
    if fp16 {
        b.extend_from_slice(&0x0130_6B47u32.to_le_bytes());
        for i in 0..6u16 {
            b.extend_from_slice(&(0x3c00u16 + (i << 10)).to_le_bytes()); // 1, 2, 4, ...
        }
    } else {
        b.extend_from_slice(&0u32.to_le_bytes());
        for i in 0..6 {
            b.extend_from_slice(&(2f32.powi(i)).to_le_bytes());
        }
    }
    for v in [0.5f32, -0.5, 0.1, 0.2] {
        b.extend_from_slice(&v.to_le_bytes()); // bias then slopes
    }
    b.extend_from_slice(&0x0130_6B47u32.to_le_bytes());
    b.extend_from_slice(&[0x00, 0x3c, 0x00, 0xbc]); // 1, -1 (4 bytes: no padding)
    b
}

#[test]
fn parses_layers_and_derives_input_channels() {
    let layers = parse_param(PARAM).unwrap();
    assert_eq!(layers.len(), 4);
    assert_eq!(
        layers[1].kind,
        LayerKind::Conv {
            out: 2,
            inp: 3,
            kh: 1,
            kw: 1,
            bias: true
        }
    );
    assert_eq!(layers[2].kind, LayerKind::PRelu { slopes: 2 });
}

#[test]
fn reads_fp16_and_fp32_weights_identically() {
    let layers = parse_param(PARAM).unwrap();
    let a = read_bin(&layers, &bin(true), &Limits::default()).unwrap();
    let b = read_bin(&layers, &bin(false), &Limits::default()).unwrap();
    assert_eq!(a, b);
    let Weights::Conv {
        weight,
        bias: Some(bias),
    } = &a[0]
    else {
        panic!("{a:?}")
    };
    assert_eq!(weight.shape, [2, 3, 1, 1]);
    assert_eq!(weight.data, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
    assert_eq!(bias.data, [0.5, -0.5]);
    assert_eq!(
        a[1],
        Weights::PRelu(Tensor {
            shape: vec![2],
            data: vec![0.1, 0.2]
        })
    );
}

#[test]
fn bin_must_be_consumed_exactly() {
    let layers = parse_param(PARAM).unwrap();
    let mut long = bin(true);
    long.push(0);
    assert!(matches!(
        read_bin(&layers, &long, &Limits::default()),
        Err(ErrorKind::Ncnn(NcnnError::BinTooLong { extra: 1 }))
    ));
    let full = bin(true);
    for cut in 0..full.len() {
        assert!(
            matches!(
                read_bin(&layers, &full[..cut], &Limits::default()),
                Err(ErrorKind::Ncnn(NcnnError::BinTooShort { .. }))
            ),
            "cut at {cut}"
        );
    }
}

#[test]
fn unknown_tag_is_refused() {
    let layers = parse_param(PARAM).unwrap();
    let mut b = bin(true);
    b[0] = 0x38;
    assert!(matches!(
        read_bin(&layers, &b, &Limits::default()),
        Err(ErrorKind::Ncnn(NcnnError::BadTag { .. }))
    ));
}

#[test]
fn malformed_params_are_refused() {
    assert_eq!(parse_param("7767518\n0 0\n"), Err(NcnnError::BadMagic));
    assert_eq!(parse_param(""), Err(NcnnError::BadMagic));
    let bad = [
        "7767517\n",
        "7767517\nx y\n",
        "7767517\n2 2\nInput in 0 1 data\n",
        "7767517\n1 1\nInput in 0 5 data\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=2 1=3 6=7\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=2 1=3\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=-2 1=3 6=18\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=2 1=1 6=2 8=1\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=x 1=1 6=2\n",
        "7767517\n1 1\nConvolution c 1 1 a b 0=2 garbage\n",
        "7767517\n1 1\nInnerProduct fc 1 1 a b 0=2\n",
        "7767517\n1 1\nPReLU p 1 1 a b\n",
        "7767517\n1 1\nInput\n",
    ];
    for p in bad {
        assert!(
            matches!(parse_param(p), Err(NcnnError::Param { .. })),
            "accepted {p:?}"
        );
    }
}

#[test]
fn declared_sizes_are_bounded_before_reading() {
    let p = "7767517\n1 1\nConvolution c 1 1 a b 0=1024 1=3 5=1 6=4831838208\n";
    let layers = parse_param(p).unwrap();
    let small = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        read_bin(&layers, &[], &small),
        Err(ErrorKind::TooLarge { .. })
    ));
    assert!(matches!(
        read_bin(
            &layers,
            &[0; 8],
            &Limits {
                max_total_bytes: u64::MAX,
                ..Limits::default()
            }
        ),
        Err(ErrorKind::Ncnn(NcnnError::BinTooShort { .. }))
    ));
}
