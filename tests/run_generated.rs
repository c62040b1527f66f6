//! `smoothscale run` on clips made in the test with the ffmpeg CLI: formats, containers, streams,
//! tags, bad inputs and interruption.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

fn run_ok(input: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--preset",
            "ultrafast",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    probe(out)
}

const TESTSRC: [&str; 2] = ["-f", "lavfi"];

#[test]
fn ten_bit_hevc_stays_ten_bit() {
    let dir = tempfile::tempdir().unwrap();
    let src = "testsrc2=size=256x144:rate=24:duration=0.5";
    let input = make_clip(
        dir.path(),
        "in.mkv",
        &[
            TESTSRC[0],
            TESTSRC[1],
            "-i",
            src,
            "-c:v",
            "libx265",
            "-pix_fmt",
            "yuv420p10le",
            "-x265-params",
            "log-level=error",
        ],
    );
    let p = run_ok(&input, &dir.path().join("out.mp4"), &[]);
    let v = streams(&p, "video")[0];
    assert_eq!(v["codec_name"], "hevc");
    assert_eq!(v["pix_fmt"], "yuv420p10le");
    assert_eq!(v["nb_read_frames"], "12");
    // As faithful as FFmpeg's own re-encode with the same encoder settings (this test pattern is
    // hard to compress, so the absolute PSNR is low for both).
    let reference = make_clip(
        dir.path(),
        "ref.mp4",
        &[
            "-i",
            input.to_str().unwrap(),
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            "-x265-params",
            "log-level=error",
        ],
    );
    let ours = psnr(&dir.path().join("out.mp4"), &input);
    let theirs = psnr(&reference, &input);
    assert!(ours > theirs - 1.5, "ours {ours} dB, FFmpeg's {theirs} dB");
}

#[test]
fn four_four_four_input_keeps_full_chroma() {
    let dir = tempfile::tempdir().unwrap();
    let src = "testsrc2=size=320x240:rate=25:duration=0.4";
    let input = make_clip(
        dir.path(),
        "in.mp4",
        &[
            TESTSRC[0], TESTSRC[1], "-i", src, "-c:v", "libx264", "-pix_fmt", "yuv444p",
        ],
    );
    let out = dir.path().join("out.mov");
    let p = run_ok(&input, &out, &[]);
    let v = streams(&p, "video")[0];
    assert_eq!(v["pix_fmt"], "yuv444p");
    assert_eq!(v["nb_read_frames"], "10");
    assert!(psnr(&out, &input) > 35.0);
}

#[test]
fn every_audio_stream_is_copied_bit_for_bit_and_metadata_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "in.mkv",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=30:duration=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=1",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660:sample_rate=44100:duration=1",
            "-map",
            "0",
            "-map",
            "1",
            "-map",
            "2",
            "-c:v",
            "libx264",
            "-c:a:0",
            "aac",
            "-c:a:1",
            "libopus",
            "-metadata",
            "title=generated clip",
            "-metadata:s:a:1",
            "language=fra",
        ],
    );
    let out = dir.path().join("out.mkv");
    let p = run_ok(&input, &out, &[]);
    let audio = streams(&p, "audio");
    assert_eq!(audio.len(), 2);
    assert_eq!(audio[1]["tags"]["language"], "fra");
    assert_eq!(p["format"]["tags"]["title"], "generated clip");
    for spec in ["a:0", "a:1"] {
        assert_eq!(
            packet_md5(&out, spec),
            packet_md5(&input, spec),
            "stream {spec}"
        );
    }
    assert_eq!(streams(&p, "video")[0]["nb_read_frames"], "30");
}

/// Writes a 90° rotation into the (first) track header of an MP4, as phones do. FFmpeg 5's CLI
/// cannot set one, so the test edits the `tkhd` matrix in place.
fn rotate_mp4(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"tkhd")
        .expect("a tkhd box");
    assert_eq!(bytes[at + 4], 0, "version 0 tkhd");
    let matrix = at + 4 + 40;
    let values: [i32; 9] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000];
    for (i, v) in values.iter().enumerate() {
        bytes[matrix + 4 * i..matrix + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

fn rotation(p: &serde_json::Value) -> Option<i64> {
    streams(p, "video")[0]["side_data_list"]
        .as_array()
        .and_then(|l| l.iter().find_map(|s| s["rotation"].as_i64()))
}

#[test]
fn rotation_and_colour_tags_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "in.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=0.4",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuvj420p",
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
            "-color_range",
            "pc",
        ],
    );
    rotate_mp4(&input);
    let before = rotation(&probe(&input));
    assert!(before.is_some_and(|r| r != 0), "the input is rotated");
    let out = dir.path().join("out.mp4");
    let p = run_ok(&input, &out, &[]);
    let v = streams(&p, "video")[0];
    assert_eq!(v["color_space"], "bt709", "tag wins over the SD default");
    assert_eq!(v["color_range"], "pc");
    assert_eq!(rotation(&p), before, "display matrix kept");
    // Luma only: the synthetic pattern's hard chroma edges are softened by the 4:2:0 → RGB → 4:2:0
    // round trip (bilinear up, tent down), which natural video barely shows.
    assert!(psnr_luma(&out, &input) > 35.0);
}

#[test]
fn bad_inputs_fail_with_one_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = make_clip(
        dir.path(),
        "good.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=1",
            "-c:v",
            "libx264",
        ],
    );
    let bytes = std::fs::read(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.mp4", Vec::new(), "cannot open"),
        (
            "text.mp4",
            b"this is not a video\n".repeat(20),
            "cannot open",
        ),
        (
            "truncated.mp4",
            bytes[..bytes.len() / 3].to_vec(),
            "empty.mp4",
        ),
    ];
    for (name, data, needle) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, data).unwrap();
        let out = dir.path().join(format!("{name}.out.mp4"));
        let run = smoothscale()
            .args(["run", input.to_str().unwrap(), out.to_str().unwrap()])
            .output()
            .unwrap();
        let needle = if needle == "empty.mp4" { name } else { needle };
        assert_clean_failure(&run, &out, needle);
    }
    // Audio only: no video stream.
    let audio = make_clip(
        dir.path(),
        "audio.m4a",
        &["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac"],
    );
    let out = dir.path().join("audio.out.mp4");
    let run = smoothscale()
        .args(["run", audio.to_str().unwrap(), out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_clean_failure(&run, &out, "no video stream");
}

#[test]
fn outputs_are_never_clobbered_or_misplaced() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "in.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x64:rate=10:duration=0.3",
            "-c:v",
            "libx264",
        ],
    );
    let existing = dir.path().join("existing.mp4");
    std::fs::write(&existing, b"keep me").unwrap();
    let run = smoothscale()
        .args(["run", input.to_str().unwrap(), existing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--overwrite"));
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            input.to_str().unwrap(),
            "--overwrite",
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("is the input file"));
    let missing = dir.path().join("no/such/folder/out.mp4");
    let run = smoothscale()
        .args(["run", input.to_str().unwrap(), missing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_clean_failure(&run, &missing, "does not exist");
    let p = run_ok(&input, &existing, &["--overwrite"]);
    assert_eq!(streams(&p, "video")[0]["nb_read_frames"], "3");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["run"],
        vec!["run", "a.mp4", "b.mp4", "--interpolate", "1x"],
        vec!["run", "a.mp4", "b.mp4", "--upscale", "3x"],
        vec!["run", "a.mp4", "b.mp4", "--crf", "99"],
        vec!["frobnicate"],
    ] {
        let run = smoothscale().args(&args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
    }
    let help = smoothscale().args(["run", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--duration"));
}

#[test]
fn interrupt_stops_quickly_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "long.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=20",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    );
    let out = dir.path().join("out.mp4");
    let mut child = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--preset",
            "slow",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the temporary output exists, then interrupt.
    wait_for_partial(dir.path(), &mut child);
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    tool("kill", &["-INT", &pid]);
    let signalled = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    assert!(!out.exists());
    assert_no_partials(dir.path());
}
