//! Failures while writing: a full disk (simulated with a file-size limit, which makes writes fail
//! with EFBIG exactly as a full disk makes them fail with ENOSPC) and termination by signal. In
//! every case the run exits with its code after cleaning up, and an earlier output survives.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{
    assert_clean_failure, assert_no_partials, make_clip, smoothscale, tool, wait_for_partial,
};

/// A 2 s 320x240 clip with audio; at `--crf 0` its output is far over 64 KiB.
fn clip(dir: &Path) -> std::path::PathBuf {
    make_clip(
        dir,
        "in.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=2",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
        ],
    )
}

/// `smoothscale run IN OUT --crf 0 [extra]` with files limited to `kib` KiB: the shell ignores
/// SIGXFSZ (inherited across exec), so an over-limit write fails with an error instead of
/// killing the process.
fn run_limited(input: &Path, out: &Path, kib: u32, extra: &[&str]) -> Output {
    let script = format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\"");
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_smoothscale"))
        .arg("run")
        .arg(input)
        .arg(out)
        .args(["--crf", "0"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_earlier_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path());
    let out = dir.path().join("new.mp4");
    let run = run_limited(&input, &out, 64, &[]);
    assert_clean_failure(&run, &out, "File too large");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !stderr.contains("File too large: File too large"),
        "the cause is said once: {stderr}"
    );

    let earlier = dir.path().join("earlier.mp4");
    std::fs::write(&earlier, b"an earlier, finished output").unwrap();
    let run = run_limited(&input, &earlier, 64, &["--overwrite"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        std::fs::read(&earlier).unwrap(),
        b"an earlier, finished output"
    );
    assert_no_partials(dir.path());

    // With room enough, the same command succeeds.
    let run = run_limited(&input, &out, 1 << 20, &[]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.is_file());
}

#[test]
fn sigterm_stops_within_a_second_with_143_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_clip(
        dir.path(),
        "long.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x480:rate=30:duration=30",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    );
    let earlier = dir.path().join("out.mp4");
    std::fs::write(&earlier, b"earlier").unwrap();
    let mut child = smoothscale()
        .arg("run")
        .arg(&input)
        .arg(&earlier)
        .args(["--overwrite", "--preset", "slow"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_partial(dir.path(), &mut child);
    std::thread::sleep(Duration::from_millis(300));
    tool("kill", &["-TERM", &child.id().to_string()]);
    let signalled = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(1),
        "stopped in {:?}",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(143));
    assert_eq!(std::fs::read(&earlier).unwrap(), b"earlier");
    assert_no_partials(dir.path());
}
