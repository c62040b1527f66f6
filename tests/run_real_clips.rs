//! `smoothscale run` on the real clips of ../shared/media (skipped when absent).

mod common;

use common::*;

#[test]
fn passthrough_keeps_frames_rate_duration_audio_and_colour() {
    let Some(input) = shared_clip("dog_1920x1080_h264_cfr30_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dog.mp4");
    let report = dir.path().join("report.json");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--preset",
            "ultrafast",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let p = probe(&out);
    let v = streams(&p, "video")[0];
    assert_eq!(v["nb_read_frames"], "46");
    assert!((rate(v, "r_frame_rate") - 30.0).abs() < 1e-9);
    assert!(
        (field_f64(v, "duration") - 1.533).abs() < 1.0 / 30.0,
        "{}",
        v["duration"]
    );
    assert_eq!(v["color_space"], "bt709");
    assert_eq!(v["color_range"], "tv");
    assert_eq!(v["color_primaries"], "bt709");
    assert_eq!(v["color_transfer"], "bt709");
    let a = streams(&p, "audio");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["codec_name"], "aac");
    assert_eq!(
        packet_md5(&out, "a:0"),
        packet_md5(&input, "a:0"),
        "audio copied bit for bit"
    );
    // Faithful: the re-encode looks like the input.
    let db = psnr(&out, &input);
    assert!(db > 35.0, "PSNR {db} dB");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["output_frames"], 46);
    assert_eq!(r["source_frames"], 46);
    assert_eq!(r["output_fps"], "30");
}

#[test]
fn variable_rate_original_becomes_constant_rate_of_the_same_duration() {
    let Some(input) = shared_clip("dog_1920x1080_h264_vfr_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dog.mp4");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--preset",
            "ultrafast",
            "--crf",
            "28",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let p = probe(&out);
    let v = streams(&p, "video")[0];
    let fps = rate(v, "r_frame_rate");
    assert!(
        (fps - rate(v, "avg_frame_rate")).abs() < 1e-3,
        "constant rate: {v}"
    );
    let frames: f64 = v["nb_read_frames"].as_str().unwrap().parse().unwrap();
    // 41 source frames with a 0.18 s gap fill 1.517 s at the nominal ~30 fps.
    assert_eq!(frames, 46.0);
    assert!((frames / fps - 1.517).abs() < 1.0 / fps);
    assert_eq!(streams(&p, "audio").len(), 1);
}

#[test]
fn hevc_input_stays_hevc_and_preview_keeps_audio() {
    let Some(input) = shared_clip("plant_320x240_hevc_aac.mp4") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plant.mp4");
    let run = smoothscale()
        .args([
            "run",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            "--start",
            "0.5",
            "--duration",
            "0.4",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let p = probe(&out);
    let v = streams(&p, "video")[0];
    assert_eq!(v["codec_name"], "hevc");
    assert_eq!(v["codec_tag_string"], "hvc1");
    // 0.4 s at 29.97 fps: 12 frames; untagged SD is written as BT.601.
    assert_eq!(v["nb_read_frames"], "12");
    assert_eq!(v["color_space"], "smpte170m");
    let a = streams(&p, "audio");
    assert_eq!(a.len(), 1);
    let audio_len = field_f64(a[0], "duration");
    assert!(
        (audio_len - 0.4).abs() < 0.05,
        "audio trimmed to the preview: {audio_len}"
    );
}
