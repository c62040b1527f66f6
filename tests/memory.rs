//! Streaming: the CPU path's peak memory does not grow with the clip's length. Each measurement is
//! the real binary in a fresh child process, its peak resident set taken from `wait4`. A run that
//! kept every frame would grow by 360 x 320x240 x 3 x 4 bytes (330 MB) on the long clip and fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// Runs `cmd` to its end and returns its exit code and peak resident set in bytes.
// The child is reaped by `wait4`, not by `Child::wait`, which does not give the rusage.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (i32, u64) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for (`child` is never waited on); `status`
    // and `usage` are live locals the call writes into.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status),
        "the child was killed: status {status}"
    );
    // ru_maxrss is in KiB on Linux.
    (libc::WEXITSTATUS(status), usage.ru_maxrss as u64 * 1024)
}

/// A 320x240 (or `size`) H.264 clip of `frames` frames at 30 fps.
fn clip(dir: &Path, size: &str, frames: u32) -> PathBuf {
    let src = format!("testsrc2=size={size}:rate=30");
    make_clip(
        dir,
        &format!("clip{frames}.mp4"),
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-frames:v",
            &frames.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
    )
}

/// Peak memory of `smoothscale run IN OUT EXTRA…`, after checking it wrote `frames` frames.
fn peak_of_run(dir: &Path, input: &Path, frames: u64, extra: &[&str]) -> u64 {
    let out = dir.join(format!("out{frames}.mp4"));
    let report = dir.join(format!("report{frames}.json"));
    let (code, peak) = run_measured(
        smoothscale()
            .args(["-q", "run"])
            .arg(input)
            .arg(&out)
            .args(["--preset", "ultrafast", "--overwrite", "--report"])
            .arg(&report)
            .args(extra),
    );
    assert_eq!(code, 0, "smoothscale run {extra:?} failed");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["output_frames"].as_u64(), Some(frames), "{r}");
    peak
}

fn assert_within_10_percent(short: u64, long: u64, what: &str) {
    let mib = |b: u64| b as f64 / 1048576.0;
    eprintln!(
        "{what}: peak {:.1} MiB on 36 frames, {:.1} MiB on 360",
        mib(short),
        mib(long)
    );
    let ratio = long.max(short) as f64 / long.min(short) as f64;
    assert!(
        ratio <= 1.10,
        "{what}: peak memory {:.1} MiB on 36 frames but {:.1} MiB on 360",
        mib(short),
        mib(long)
    );
}

#[test]
fn passthrough_peak_memory_does_not_grow_with_length() {
    let dir = tempfile::tempdir().unwrap();
    let (short, long) = (
        clip(dir.path(), "320x240", 36),
        clip(dir.path(), "320x240", 360),
    );
    let a = peak_of_run(dir.path(), &short, 36, &[]);
    let b = peak_of_run(dir.path(), &long, 360, &[]);
    assert_within_10_percent(a, b, "passthrough");
}

#[test]
fn upscale_peak_memory_does_not_grow_with_length() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models");
    let model = models.join("realesrgan/realesr-animevideov3-x4.param");
    if !model.is_file() {
        eprintln!("skipping: {} is absent", model.display());
        return;
    }
    match smoothscale::models::runtime::library_location() {
        Ok(lib) if lib.path.is_file() => {}
        _ => {
            eprintln!("skipping: the ONNX Runtime library is absent (scripts/fetch-onnxruntime)");
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (short, long) = (
        clip(dir.path(), "64x48", 36),
        clip(dir.path(), "64x48", 360),
    );
    let args = [
        "--upscale",
        "2x",
        "--threads",
        "2",
        "--upscale-model",
        model.to_str().unwrap(),
    ];
    let a = peak_of_run(dir.path(), &short, 36, &args);
    let b = peak_of_run(dir.path(), &long, 360, &args);
    assert_within_10_percent(a, b, "upscale 2x (SRVGG)");
}
