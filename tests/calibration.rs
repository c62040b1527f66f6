//! fp8 calibration on the CPU: `smoothscale calibrate` on real upscalers and clips, and the fp8
//! graphs of the golden upscaler cases against the reference outputs. Needs ../shared (skips
//! with the reason when it is absent) and ONNX Runtime.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use prost::Message as _;

use smoothscale::models::calibration::Calibration;
use smoothscale::models::golden::{max_abs_err, psnr, CaseKind, GoldenSet};
use smoothscale::models::onnx::fp8::{sites, to_fp8};
use smoothscale::models::runtime::{CpuSession, TensorView};

fn model(rel: &str) -> Option<PathBuf> {
    let path = common::shared_dir().join("models").join(rel);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: {} is absent", path.display());
        None
    }
}

fn calibrate(args: &[&str]) -> Output {
    common::smoothscale()
        .arg("calibrate")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn calibrate_writes_every_range_and_a_quality_report_and_repeats_exactly() {
    let (Some(srvgg), Some(clip)) = (
        model("realesrgan/realesr-animevideov3.pth"),
        common::shared_clip("plant_320x240_h264_aac.mp4"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for name in ["a.json", "b.json"] {
        let out = dir.path().join(name);
        let o = calibrate(&[
            "--model",
            srvgg.to_str().unwrap(),
            "--clip",
            clip.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--frames",
            "6",
            "--crop",
            "64",
        ]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout.contains("fp8 PSNR"), "{stdout}");
        written.push(Calibration::read(&out).unwrap());
    }
    let cal = &written[0];
    let graph = common::fp8::fp32_graph(&srvgg);
    let weights: Vec<String> = sites(graph.graph.as_ref().unwrap())
        .into_iter()
        .map(|s| s.weight)
        .collect();
    assert_eq!(cal.ranges.keys().cloned().collect::<Vec<_>>(), {
        let mut w = weights.clone();
        w.sort();
        w
    });
    assert!(cal.ranges.values().all(|r| *r > 0.0 && r.is_finite()));
    assert_eq!((cal.samples, cal.quality.samples, cal.crop), (4, 2, 64));
    let q = cal.quality;
    eprintln!("SRVGG fp8 on the plant clip: {q:?}");
    // fp8 is coarser than fp16 (so the quantization is there) and still close to fp32.
    assert!(q.fp8_psnr_db.mean < q.fp16_psnr_db.mean, "{q:?}");
    assert!(q.fp8_psnr_db.min >= 40.0, "{q:?}");
    assert!(q.fp8_max_abs > q.fp16_max_abs, "{q:?}");
    // The same clip and settings give the same calibration.
    assert_eq!(written[0].fingerprint(), written[1].fingerprint());
    assert_eq!(written[0], written[1]);
}

#[test]
fn calibrate_refuses_rife_and_clips_too_short_in_one_line() {
    let Some(clip) = common::shared_clip("plant_320x240_h264_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cal.json");
    let run = |model: &Path, clip: &Path, extra: &[&str]| {
        let paths = [model, clip, &out].map(|p| p.to_str().unwrap().to_string());
        let args = [
            "--model", &paths[0], "--clip", &paths[1], "--out", &paths[2],
        ];
        calibrate(&[&args[..], extra].concat())
    };
    if let Some(rife) = model("rife-v4.25/flownet.pkl") {
        let o = run(&rife, &clip, &[]);
        common::assert_clean_failure(&o, &out, "for the Real-ESRGAN upscalers");
    }
    let Some(srvgg) = model("realesrgan/realesr-animevideov3.pth") else {
        return;
    };
    // Two frames: fewer than the three a calibration needs.
    let short = dir.path().join("short.mp4");
    common::tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=10",
            "-frames:v",
            "2",
            "-pix_fmt",
            "yuv420p",
            short.to_str().unwrap(),
        ],
    );
    let o = run(&srvgg, &short, &["--frames", "3"]);
    common::assert_clean_failure(&o, &out, "has 2 frames; calibration needs at least 3");
    // Not a video at all: FFmpeg's own complaints stay quiet, one line says why.
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "not a video").unwrap();
    let o = run(&srvgg, &text, &[]);
    common::assert_clean_failure(&o, &out, "notes.mp4: cannot open: Invalid data");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// The fp8 graphs of the golden upscaler cases, calibrated on the case's own input, against the
/// reference outputs: about the quality an fp8 engine can reach. How ONNX Runtime computes the
/// fp16 convolutions between the fp8 casts depends on the CPU: its x86-64 build has no fp16
/// convolution kernel and computes them in fp32, its aarch64 build computes in fp16 (`calibrate`
/// of animevideov3 on the plant clip, 6 frames, 64-pixel crops: fp16 92.6 dB against fp32 on
/// x86-64, 66.0 dB on aarch64 under qemu; fp8 48.7 and 48.8 dB), so this estimates TensorRT's fp8
/// engines, whose accumulation is TensorRT's own.
#[test]
fn golden_upscalers_in_fp8_stay_close_to_the_reference() {
    let golden = common::shared_dir().join("golden");
    let Ok(set) = GoldenSet::load(&golden) else {
        eprintln!("skipping: no golden set in {}", golden.display());
        return;
    };
    let mut checked = 0;
    for case in &set.cases {
        if case.kind != Ok(CaseKind::Upscale) {
            continue;
        }
        let weights = case.weights_path(&common::shared_dir()).unwrap();
        if !weights.is_file() {
            eprintln!("skipping {}: {} is absent", case.name, weights.display());
            continue;
        }
        let input = set.tensor(case, "input").unwrap();
        let want = set.tensor(case, "out").unwrap();
        let ranges = common::fp8::calibration_on(&weights, &input).ranges;
        let fp8 = to_fp8(common::fp8::fp32_graph(&weights), &ranges).unwrap();
        let mut session = CpuSession::reduced_precision(&fp8.encode_to_vec(), 0).unwrap();
        let got = session
            .run(&[("input", TensorView::from(&input))])
            .unwrap()
            .remove(0);
        assert_eq!(got.shape, want.shape, "{}", case.name);
        let db = psnr(&got.data, &want.data);
        let err = max_abs_err(&got.data, &want.data);
        eprintln!(
            "golden {}: fp8 graph PSNR {db:.1} dB, max abs {err:.4} ({} fp8 convolutions)",
            case.name,
            ranges.len()
        );
        assert!(db >= 40.0, "{}: fp8 PSNR {db:.1} dB", case.name);
        checked += 1;
    }
    if checked == 0 {
        eprintln!("skipping: no golden upscaler case has its weights here");
    }
}
