use std::collections::BTreeMap;

use super::samples::{crop_origin, crop_side, held_out};
use super::{Calibration, CalibrationError, Quality, Spread, CALIBRATION_FORMAT};

fn calibration() -> Calibration {
    let spread = Spread {
        min: 40.0,
        mean: 42.0,
    };
    Calibration {
        format: CALIBRATION_FORMAT,
        model_sha256: "ab".repeat(32),
        architecture: "SRVGGNetCompact".into(),
        clip: "clip.mp4".into(),
        samples: 8,
        crop: 128,
        headroom: 2.0,
        ranges: BTreeMap::from([("body.2.weight".to_string(), 3.5)]),
        quality: Quality {
            samples: 4,
            fp8_psnr_db: spread,
            fp8_max_abs: 0.1,
            fp16_psnr_db: spread,
            fp16_max_abs: 0.01,
        },
    }
}

#[test]
fn files_round_trip_and_bad_ones_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cal.json");
    let cal = calibration();
    cal.write(&path).unwrap();
    assert_eq!(Calibration::read(&path).unwrap(), cal);

    let mut bad = cal.clone();
    bad.format = 99;
    bad.write(&path).unwrap();
    let e = Calibration::read(&path).unwrap_err().to_string();
    assert!(e.contains("format 99"), "{e}");

    let text = serde_json::to_string(&cal).unwrap().replace("3.5", "-1.0");
    std::fs::write(&path, text).unwrap();
    let e = Calibration::read(&path).unwrap_err().to_string();
    assert!(e.contains("`body.2.weight` is -1"), "{e}");

    std::fs::write(&path, "{").unwrap();
    let e = Calibration::read(&path).unwrap_err();
    assert!(matches!(e, CalibrationError::Invalid { .. }), "{e}");
    let missing = Calibration::read(&dir.path().join("none.json")).unwrap_err();
    assert!(matches!(missing, CalibrationError::Io { what: "read", .. }));
}

#[test]
fn the_fingerprint_follows_the_ranges_and_model_but_not_the_report() {
    let cal = calibration();
    let mut reported = cal.clone();
    reported.quality.fp8_psnr_db.min = 10.0;
    reported.clip = "other.mp4".into();
    assert_eq!(cal.fingerprint(), reported.fingerprint());
    assert_eq!(cal.fingerprint().len(), 16);
    let mut ranged = cal.clone();
    ranged.ranges.insert("body.2.weight".into(), 3.5001);
    assert_ne!(cal.fingerprint(), ranged.fingerprint());
    let mut other = cal.clone();
    other.model_sha256 = "cd".repeat(32);
    assert_ne!(cal.fingerprint(), other.fingerprint());
}

#[test]
fn a_lossy_calibration_warns() {
    let mut q = calibration().quality;
    assert_eq!(q.warning(), None);
    q.fp8_psnr_db.min = 36.5;
    let w = q.warning().unwrap();
    assert!(w.contains("36.5 dB") && w.contains("fp16"), "{w}");
}

#[test]
fn another_models_calibration_is_refused_naming_both() {
    let cal = calibration();
    let path = std::path::Path::new("cal.json");
    let model = std::path::Path::new("x2.pth");
    cal.check_model(path, model, &"ab".repeat(32)).unwrap();
    let e = cal
        .check_model(path, model, &"ef".repeat(32))
        .unwrap_err()
        .to_string();
    assert!(e.contains("x2.pth") && e.contains(&"ef".repeat(32)), "{e}");
}

#[test]
fn crops_fit_the_frame_and_the_network_multiple() {
    assert_eq!(crop_side(128, (1920, 1080), 4), 128);
    assert_eq!(crop_side(128, (320, 90), 4), 88);
    assert_eq!(crop_side(130, (1920, 1080), 4), 128);
    for k in 0..20 {
        let (x, y) = crop_origin(k, 128, (320, 240));
        assert!(x + 128 <= 320 && y + 128 <= 240, "{k}: {x},{y}");
    }
    let corners: Vec<_> = (0..7).map(|k| crop_origin(k, 100, (700, 500))).collect();
    assert!(corners.contains(&(0, 0)) || corners.iter().any(|c| c.0 == 0));
    assert!(corners.iter().any(|c| c.0 == 600) && corners.iter().any(|c| c.1 == 400));
    let held: Vec<usize> = (0..9).filter(|&k| held_out(k)).collect();
    assert_eq!(held, vec![2, 5, 8]);
}
