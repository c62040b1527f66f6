//! `--size WxH --fit crop|pad|scale`: exact output sizes, the same pixels as a crop of the
//! models' output, black borders, resampling with the sample aspect kept, and usage errors; and
//! the original script's `--interpolate 4x --target-fps 60`, an exact retime to 60 fps.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The decoded frames of `path` as raw planar 8-bit YUV 4:2:0, after the ffmpeg filter `vf`.
fn raw_frames(path: &Path, vf: Option<&str>) -> Vec<u8> {
    let mut args = vec!["-v", "error", "-i", path.to_str().unwrap()];
    if let Some(vf) = vf {
        args.extend(["-vf", vf]);
    }
    args.extend(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]);
    let out = Command::new("ffmpeg").args(&args).output().expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Asserts that two raw 4:2:0 frame sequences of `width` x `height` hold the same pictures: luma
/// exactly, chroma except its outermost samples, which the chroma siting filter computes from
/// neighbours that a crop or pad changes.
fn assert_same_pictures(a: &[u8], b: &[u8], (width, height): (usize, usize)) {
    let (cw, ch) = (width / 2, height / 2);
    let frame = width * height + 2 * cw * ch;
    assert_eq!(a.len(), b.len());
    assert!(!a.is_empty() && a.len().is_multiple_of(frame));
    for (n, (fa, fb)) in a.chunks(frame).zip(b.chunks(frame)).enumerate() {
        let luma = width * height;
        assert!(fa[..luma] == fb[..luma], "frame {n}: luma differs");
        for plane in 0..2 {
            let at = luma + plane * cw * ch;
            for y in 1..ch - 1 {
                for x in 1..cw - 1 {
                    let i = at + y * cw + x;
                    assert_eq!(fa[i], fb[i], "frame {n}, chroma {plane} at ({x}, {y})");
                }
            }
        }
    }
}

/// Width, height and sample aspect ratio of the video stream.
fn geometry(path: &Path) -> (u64, u64, String) {
    let p = probe(path);
    let v = streams(&p, "video")[0];
    (
        v["width"].as_u64().unwrap(),
        v["height"].as_u64().unwrap(),
        v["sample_aspect_ratio"].as_str().unwrap_or("").to_string(),
    )
}

/// Runs `smoothscale run IN OUT ARGS` losslessly (x264 at CRF 0) and asserts success.
fn run_lossless(input: &Path, out: &Path, args: &[&str]) {
    let output = smoothscale()
        .arg("run")
        .arg(input)
        .arg(out)
        .args(["--crf", "0", "--preset", "ultrafast", "--overwrite"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn light_upscaler() -> Option<PathBuf> {
    let model = shared_dir().join("models/realesrgan/realesr-animevideov3-x4.param");
    let lib = smoothscale::models::runtime::library_location().ok()?.path;
    if !model.is_file() || !lib.is_file() {
        eprintln!("skipping: the shared upscaler or the ONNX Runtime library is absent");
        return None;
    }
    Some(model)
}

#[test]
fn uhd_from_a_1088_tall_clip_is_the_centre_crop_of_the_2x_output() {
    let Some(model) = light_upscaler() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "ltx.mp4", "1920x1088", 1);
    let model = model.to_str().unwrap();
    let (full, uhd) = (dir.path().join("full.mp4"), dir.path().join("uhd.mp4"));
    let upscale = ["--upscale", "2x", "--upscale-model", model];
    run_lossless(&input, &full, &upscale);
    run_lossless(
        &input,
        &uhd,
        &[&upscale[..], &["--size", "3840x2160"]].concat(),
    );
    assert_eq!(geometry(&full).0, 3840);
    assert_eq!(geometry(&full).1, 2176);
    let (w, h, sar) = geometry(&uhd);
    assert_eq!((w, h), (3840, 2160));
    assert!(sar.is_empty() || sar == "1:1", "{sar}");
    // Lossless both ways: the UHD frame is rows 8..2168 of the 2176-row one.
    let cropped = raw_frames(&full, Some("crop=3840:2160:0:8"));
    let direct = raw_frames(&uhd, None);
    assert_eq!(cropped.len(), 3840 * 2160 * 3 / 2);
    assert_same_pictures(&cropped, &direct, (3840, 2160));
}

#[test]
fn pad_puts_the_frame_on_black_and_scale_resamples_keeping_the_shape() {
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "in.mp4", "64x48", 3);
    let padded = dir.path().join("pad.mp4");
    run_lossless(&input, &padded, &["--size", "96x64", "--fit", "pad"]);
    assert_eq!(geometry(&padded).0, 96);
    assert_eq!(geometry(&padded).1, 64);
    let plain = dir.path().join("plain.mp4");
    run_lossless(&input, &plain, &[]);
    // The middle of the padded frame is the plain frame; the borders are black (Y 16).
    assert_same_pictures(
        &raw_frames(&padded, Some("crop=64:48:16:8")),
        &raw_frames(&plain, None),
        (64, 48),
    );
    let frame = raw_frames(&padded, None);
    let luma = &frame[..96 * 64];
    for y in 0..64 {
        for x in (0..16).chain(80..96) {
            assert_eq!(luma[y * 96 + x], 16, "({x}, {y})");
        }
    }
    for x in 0..96 {
        assert_eq!(luma[x], 16, "top row");
        assert_eq!(luma[63 * 96 + x], 16, "bottom row");
    }

    let scaled = dir.path().join("scale.mp4");
    run_lossless(&input, &scaled, &["--size", "96x40", "--fit", "scale"]);
    let (w, h, sar) = geometry(&scaled);
    assert_eq!((w, h), (96, 40));
    // 64x48 (4:3) shown on 96x40 samples: each sample must be 5:9 as wide as it is tall.
    assert_eq!(sar, "5:9");
    // Our Lanczos resampling against FFmpeg's (`swscale`, whose taps and rounding differ a
    // little): the same picture.
    let ours = raw_frames(&scaled, None);
    let theirs = raw_frames(&plain, Some("scale=96:40:flags=lanczos"));
    let db = psnr_bytes(&ours, &theirs);
    assert!(db > 30.0, "{db} dB against FFmpeg's Lanczos");
}

/// PSNR in dB of two equally long 8-bit buffers.
fn psnr_bytes(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-12)).log10()
}

#[test]
fn sizes_the_fit_cannot_reach_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "in.mp4", "64x48", 2);
    let out = dir.path().join("out.mp4");
    for (args, needle) in [
        (&["--size", "96x48"][..], "cropping cannot make"),
        (
            &["--size", "32x32", "--fit", "pad"][..],
            "padding cannot make",
        ),
        (
            &["--size", "96x32", "--fit", "crop"][..],
            "cropping cannot make",
        ),
        (&["--size", "33x32", "--fit", "scale"][..], "even"),
        (&["--size", "3840"][..], "not a size"),
        (&["--fit", "pad"][..], "--size"),
    ] {
        let output = smoothscale()
            .arg("run")
            .arg(&input)
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists());
        assert_no_partials(dir.path());
    }
}

#[test]
fn interpolate_4x_with_target_fps_60_is_the_exact_retime() {
    let rife = shared_dir().join("models/rife-v4.25/flownet.pkl");
    let lib = smoothscale::models::runtime::library_location()
        .unwrap()
        .path;
    if !rife.is_file() || !lib.is_file() {
        eprintln!("skipping: the shared RIFE model or the ONNX Runtime library is absent");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = testsrc_clip(dir.path(), "in.mp4", "64x64", 5);
    let (both, fps) = (dir.path().join("both.mp4"), dir.path().join("fps.mp4"));
    let model = ["--rife-model", rife.to_str().unwrap()];
    let run = |out: &Path, args: &[&str]| {
        smoothscale()
            .args(["-v", "run"])
            .arg(&input)
            .arg(out)
            .args(["--preset", "ultrafast"])
            .args(model)
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&both, &["--interpolate", "4x", "--target-fps", "60"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("--interpolate 4x is not needed with --target-fps 60"),
        "{stderr}"
    );
    assert!(run(&fps, &["--target-fps", "60"]).status.success());
    let p = probe(&both);
    let v = streams(&p, "video")[0];
    assert_eq!(v["r_frame_rate"], "60/1");
    // The same frames as --target-fps 60 alone (5 frames at 24 fps: 12.5 at 60, so 13), not
    // 4x then dropped.
    assert_eq!(v["nb_frames"], "13");
    assert_eq!(packet_md5(&both, "v"), packet_md5(&fps, "v"));
}
