//! Checkpoint readers on the real model files from `../shared` (skipped when absent) and on
//! hostile inputs built here with a tiny zip + pickle writer.

mod common;

use std::path::{Path, PathBuf};

use common::model_files::{f32s, good_archive, pickle, tiny_bin, unicode, zip, T, TINY_PARAM};

use smoothscale::models::checkpoint::{
    load, read_state_dict, Architecture, ErrorKind, Limits, NcnnError, PickleError, SourceFormat,
    TorchError, ZipError,
};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} absent", p.display());
        None
    }
}

#[test]
fn rife_flownet_is_detected_with_exact_keys() {
    let Some(p) = shared("models/rife-v4.25/flownet.pkl") else {
        return;
    };
    let m = load(&p).unwrap();
    assert_eq!(m.architecture, Architecture::Rife425);
    assert_eq!(m.format, SourceFormat::TorchZip);
    assert_eq!(m.state_dict.len(), 158);
    assert!(m
        .state_dict
        .keys()
        .all(|k| !k.starts_with("teacher.") && !k.starts_with("caltime.")));
    assert_eq!(
        m.state_dict["block0.conv0.0.0.weight"].shape,
        [96, 15, 3, 3]
    );
    assert_eq!(
        m.state_dict["block4.lastconv.0.weight"].shape,
        [32, 52, 4, 4]
    );
    assert_eq!(m.state_dict["block2.convblock.5.beta"].shape, [1, 96, 1, 1]);
    assert_eq!(m.state_dict["encode.cnn3.weight"].shape, [16, 4, 4, 4]);
    // Values read independently (Python struct on archive/data/0).
    let w = &m.state_dict["block0.conv0.0.0.weight"].data;
    assert_eq!(w[..3], [0.000_349_084_7, 0.009_711_778, -0.030_925_527]);
    assert_eq!(w[12959], 0.003_418_609_5);
    for (k, t) in &m.state_dict {
        assert_eq!(t.data.len(), t.numel(), "{k}");
        assert!(t.data.iter().all(|v| v.is_finite()), "{k}");
    }
}

#[test]
fn x4plus_ncnn_is_rrdbnet_23_blocks() {
    let Some(p) = shared("models/realesrgan/realesrgan-x4plus.param") else {
        return;
    };
    let m = load(&p).unwrap();
    assert_eq!(m.format, SourceFormat::Ncnn);
    assert_eq!(
        m.architecture,
        Architecture::RrdbNet {
            scale: 4,
            nf: 64,
            nb: 23,
            gc: 32
        }
    );
    assert_eq!(m.state_dict.len(), 351 * 2);
    assert_eq!(m.state_dict["conv_first.weight"].shape, [64, 3, 3, 3]);
    assert_eq!(
        m.state_dict["body.22.rdb3.conv5.weight"].shape,
        [64, 192, 3, 3]
    );
    assert_eq!(m.state_dict["conv_last.bias"].shape, [3]);
    // Values read independently (numpy on the .bin: fp16 weights, fp32 biases).
    let w = &m.state_dict["conv_first.weight"].data;
    assert_eq!(w[..3], [0.051_605_225, 0.144_897_46, -0.156_616_21]);
    assert_eq!(
        m.state_dict["conv_first.bias"].data[..2],
        [0.012_372_156, -0.168_597_19]
    );
    let last = &m.state_dict["conv_last.bias"].data;
    assert_eq!(last[..], [0.038_132_273, 0.035_016_59, 0.025_707_187]);
}

#[test]
fn anime_6b_pth_is_rrdbnet_6_blocks() {
    let Some(p) = shared("models/realesrgan/RealESRGAN_x4plus_anime_6B.pth") else {
        return;
    };
    let m = load(&p).unwrap();
    assert_eq!(
        m.architecture,
        Architecture::RrdbNet {
            scale: 4,
            nf: 64,
            nb: 6,
            gc: 32
        }
    );
    assert_eq!(m.state_dict.len(), (6 + 15 * 6) * 2);
}

#[test]
fn x2_random_golden_is_scale_2() {
    let Some(p) = shared("golden/rrdbnet_x2_random_nf32_nb2_gc16.pth") else {
        return;
    };
    let m = load(&p).unwrap();
    assert_eq!(
        m.architecture,
        Architecture::RrdbNet {
            scale: 2,
            nf: 32,
            nb: 2,
            gc: 16
        }
    );
    assert_eq!(m.state_dict["conv_first.weight"].shape, [32, 12, 3, 3]);
    assert_eq!(m.state_dict.len(), 72);
}

#[test]
fn animevideov3_ncnn_equals_its_pth_conversion() {
    let Some(param) = shared("models/realesrgan/realesr-animevideov3-x4.param") else {
        return;
    };
    let Some(pth) = shared("models/realesrgan/realesr-animevideov3.pth") else {
        return;
    };
    let a = load(&param).unwrap();
    let b = load(&pth).unwrap();
    let arch = Architecture::SrVgg {
        scale: 4,
        nf: 64,
        num_conv: 16,
    };
    assert_eq!((a.architecture, b.architecture), (arch, arch));
    assert_eq!(a.state_dict.len(), 18 * 2 + 17);
    assert_eq!(
        a.state_dict.keys().collect::<Vec<_>>(),
        b.state_dict.keys().collect::<Vec<_>>()
    );
    for (k, t) in &a.state_dict {
        assert_eq!(t, &b.state_dict[k], "{k} differs");
    }
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn kind_of(
    r: Result<impl std::fmt::Debug, smoothscale::models::checkpoint::CheckpointError>,
) -> ErrorKind {
    r.unwrap_err().kind
}

#[test]
fn synthetic_archive_reads_all_dtypes_and_strips_module() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "good.pth", &good_archive());
    let (sd, fmt) = read_state_dict(&p, &Limits::default()).unwrap();
    assert_eq!(fmt, SourceFormat::TorchZip);
    assert_eq!(sd["a"].shape, [2, 3]);
    assert_eq!(sd["a"].data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(sd["b"].data, [1.0, -2.0]);
    assert_eq!(sd["c"].data, [3.0]);
    let err = load(&p).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Arch(_)), "{err}");
}

#[test]
fn truncated_archive_is_an_error_at_every_length() {
    let dir = tempfile::tempdir().unwrap();
    let full = good_archive();
    for cut in (0..full.len()).step_by(5) {
        let p = write(&dir, "cut.pth", &full[..cut]);
        assert!(
            read_state_dict(&p, &Limits::default()).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn os_system_global_is_refused_and_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let mut pkl = b"\x80\x02cos\nsystem\n".to_vec();
    unicode(&mut pkl, &format!("touch {}", marker.display()));
    pkl.extend_from_slice(b"\x85R.");
    let p = write(&dir, "evil.pth", &zip(&[("m/data.pkl", &pkl, 0, 0)]));
    let err = load(&p).unwrap_err();
    assert_eq!(err.path, p);
    assert!(
        matches!(&err.kind, ErrorKind::Pickle(PickleError::ForbiddenGlobal { module, name }) if module == "os" && name == "system")
    );
    assert!(err.to_string().contains("os.system"), "{err}");
    assert!(!marker.exists());
}

#[test]
fn lying_storage_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = pickle(None, &[T("w", "FloatStorage", "0", 1000, &[10, 100])]);
    let p = write(
        &dir,
        "lie.pth",
        &zip(&[
            ("m/data.pkl", &pkl, 0, 0),
            ("m/data/0", &f32s(&[0.0; 6]), 0, 0),
        ]),
    );
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Torch(TorchError::StorageSize {
            declared: 4000,
            actual: 24,
            ..
        })
    ));
    // A view larger than its (honest) storage.
    let pkl = pickle(None, &[T("w", "FloatStorage", "0", 6, &[10])]);
    let p = write(
        &dir,
        "view.pth",
        &zip(&[
            ("m/data.pkl", &pkl, 0, 0),
            ("m/data/0", &f32s(&[0.0; 6]), 0, 0),
        ]),
    );
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Torch(TorchError::ViewOutOfBounds {
            needed: 10,
            numel: 6,
            ..
        })
    ));
    // A storage entry that does not exist.
    let pkl = pickle(None, &[T("w", "FloatStorage", "9", 6, &[6])]);
    let p = write(&dir, "missing.pth", &zip(&[("m/data.pkl", &pkl, 0, 0)]));
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Torch(TorchError::MissingStorage(_))
    ));
}

#[test]
fn oversized_zip_entry_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = good_archive();
    // The first central-directory record: patch its sizes to 2 GiB.
    let cd = z.windows(4).position(|w| w == [0x50, 0x4b, 1, 2]).unwrap();
    z[cd + 20..cd + 28].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f]);
    let p = write(&dir, "big.pth", &z);
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Zip(ZipError::OutOfBounds { .. })
    ));
    // An entry count no central directory could hold.
    let mut z = good_archive();
    let n = z.len();
    z[n - 12..n - 10].copy_from_slice(&[0xfe, 0xff]);
    z[n - 14..n - 12].copy_from_slice(&[0xfe, 0xff]);
    let p = write(&dir, "count.pth", &z);
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Zip(ZipError::TooManyEntries { .. })
    ));
}

#[test]
fn compressed_and_encrypted_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = pickle(None, &[]);
    let p = write(&dir, "deflate.pth", &zip(&[("m/data.pkl", &pkl, 8, 0)]));
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Zip(ZipError::Compressed { method: 8, .. })
    ));
    let p = write(&dir, "crypt.pth", &zip(&[("m/data.pkl", &pkl, 0, 1)]));
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Zip(ZipError::Encrypted { .. })
    ));
}

#[test]
fn corrupted_data_fails_the_crc() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = good_archive();
    let at = z
        .windows(4)
        .position(|w| w == 3.0f32.to_le_bytes())
        .unwrap();
    z[at] ^= 1;
    let p = write(&dir, "crc.pth", &z);
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Zip(ZipError::Crc { .. })
    ));
}

#[test]
fn size_limit_is_enforced_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "good.pth", &good_archive());
    let tiny = Limits {
        max_total_bytes: 8,
        ..Limits::default()
    };
    assert!(matches!(
        kind_of(read_state_dict(&p, &tiny)),
        ErrorKind::TooLarge { .. }
    ));
}

#[test]
fn unknown_and_legacy_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty", &b""[..]),
        ("text", b"hello world"),
        ("legacy", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."),
    ] {
        let p = write(&dir, name, bytes);
        assert!(
            matches!(kind_of(load(&p)), ErrorKind::UnknownFormat(_)),
            "{name}"
        );
    }
    assert!(matches!(
        kind_of(load(&dir.path().join("nope"))),
        ErrorKind::Io(_)
    ));
}

/// A tiny SRVGGNetCompact (nf 1, no inner convs, x1) as ncnn files.
fn tiny_ncnn(dir: &tempfile::TempDir, param: &str, bin: &[u8]) -> PathBuf {
    write(dir, "tiny.bin", bin);
    write(dir, "tiny.param", param.as_bytes())
}

#[test]
fn tiny_ncnn_model_loads() {
    let dir = tempfile::tempdir().unwrap();
    let m = load(&tiny_ncnn(&dir, TINY_PARAM, &tiny_bin())).unwrap();
    assert_eq!(
        m.architecture,
        Architecture::SrVgg {
            scale: 1,
            nf: 1,
            num_conv: 0
        }
    );
    assert_eq!(m.state_dict["body.1.weight"].data, [0.25]);
    assert_eq!(m.state_dict["body.0.bias"].data, [0.1]);
}

#[test]
fn ncnn_bin_too_short_or_too_long_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bin = tiny_bin();
    bin.extend_from_slice(&[0; 4]);
    let err = load(&tiny_ncnn(&dir, TINY_PARAM, &bin)).unwrap_err();
    assert_eq!(err.path, dir.path().join("tiny.bin"));
    assert!(matches!(
        err.kind,
        ErrorKind::Ncnn(NcnnError::BinTooLong { extra: 4 })
    ));
    let bin = tiny_bin();
    let err = load(&tiny_ncnn(&dir, TINY_PARAM, &bin[..bin.len() - 1])).unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Ncnn(NcnnError::BinTooShort { .. })),
        "{err}"
    );
}

#[test]
fn malformed_ncnn_param_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = TINY_PARAM.replace("6=27\nPReLU", "6=26\nPReLU");
    let p = tiny_ncnn(&dir, &bad, &tiny_bin());
    let err = load(&p).unwrap_err();
    assert_eq!(err.path, p);
    assert!(
        matches!(err.kind, ErrorKind::Ncnn(NcnnError::Param { line: 4, .. })),
        "{err}"
    );
    let p = tiny_ncnn(&dir, "7767517\n1 1\nSoftmax s 1 1 a b\n", &[]);
    assert!(matches!(
        kind_of(load(&p)),
        ErrorKind::Ncnn(NcnnError::Param { .. })
    ));
    // A missing .bin is an I/O error on the .bin path.
    let p = tiny_ncnn(&dir, TINY_PARAM, &[]);
    std::fs::remove_file(dir.path().join("tiny.bin")).unwrap();
    let err = load(&p).unwrap_err();
    assert_eq!(err.path, dir.path().join("tiny.bin"));
    assert!(matches!(err.kind, ErrorKind::Io(_)), "{err}");
}
