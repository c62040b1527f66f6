//! Helpers for the integration tests: the binary, the shared clips, ffmpeg/ffprobe, outcomes.

#![allow(dead_code)]

pub mod fp8;
pub mod gpu;
pub mod kernel_cases;
pub mod model_files;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `smoothscale` binary: `$SMOOTHSCALE_TEST_BIN` when set (a test bundle run on another
/// machine, where the compiled-in path does not exist), else the one cargo built.
pub fn smoothscale() -> Command {
    Command::new(
        env_path("SMOOTHSCALE_TEST_BIN")
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_smoothscale"))),
    )
}

/// The shared data folder: `$SMOOTHSCALE_SHARED_DIR` when set, else `../shared` beside the
/// repository.
pub fn shared_dir() -> PathBuf {
    env_path("SMOOTHSCALE_SHARED_DIR")
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// A path from a non-empty environment variable.
fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A clip of the shared `media` folder (see [`shared_dir`]), or `None` (with the reason
/// printed) when it is absent.
pub fn shared_clip(name: &str) -> Option<PathBuf> {
    let path = shared_dir().join("media").join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} is absent (../shared is not on this machine)",
            path.display()
        );
        None
    }
}

/// Runs a tool (ffmpeg, ffprobe) and returns its stdout; fails the test with its stderr.
pub fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed by the tests (scripts/setup installs it): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes a clip with the ffmpeg CLI: `args` go between the inputs and the output path.
pub fn make_clip(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut all = vec!["-v", "error", "-y"];
    all.extend_from_slice(args);
    all.push(path.to_str().unwrap());
    tool("ffmpeg", &all);
    path
}

/// A `size` (`WxH`) H.264 test pattern clip (`testsrc2`) of `frames` frames at 24 fps.
pub fn testsrc_clip(dir: &Path, name: &str, size: &str, frames: u32) -> PathBuf {
    let src = format!("testsrc2=size={size}:rate=24");
    let count = frames.to_string();
    make_clip(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-frames:v",
            &count,
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    )
}

/// ffprobe's JSON description of streams and format.
pub fn probe(path: &Path) -> Value {
    let text = tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-count_frames",
            "-of",
            "json",
            path.to_str().unwrap(),
        ],
    );
    serde_json::from_str(&text).expect("ffprobe JSON")
}

/// The streams of `kind` ("video", "audio") in a probe.
pub fn streams<'a>(probe: &'a Value, kind: &str) -> Vec<&'a Value> {
    probe["streams"]
        .as_array()
        .map(|a| a.iter().filter(|s| s["codec_type"] == kind).collect())
        .unwrap_or_default()
}

pub fn field_f64(v: &Value, key: &str) -> f64 {
    v[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v[key].as_f64())
        .unwrap_or(f64::NAN)
}

/// `"30000/1001"` → 29.97.
pub fn rate(v: &Value, key: &str) -> f64 {
    let s = v[key].as_str().unwrap_or("0/0");
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    n.parse::<f64>().unwrap_or(f64::NAN) / d.parse::<f64>().unwrap_or(f64::NAN)
}

/// MD5 of the packets of stream `spec` (e.g. `a:0`), copied without decoding.
pub fn packet_md5(path: &Path, spec: &str) -> String {
    let map = format!("0:{spec}");
    tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-map",
            &map,
            "-c",
            "copy",
            "-f",
            "md5",
            "-",
        ],
    )
}

/// Average PSNR (dB) of `a` against `b`, over their common frames and all planes.
pub fn psnr(a: &Path, b: &Path) -> f64 {
    psnr_of(a, b, "average:")
}

/// Average luma PSNR (dB) of `a` against `b`.
pub fn psnr_luma(a: &Path, b: &Path) -> f64 {
    psnr_of(a, b, " y:")
}

fn psnr_of(a: &Path, b: &Path, key: &str) -> f64 {
    let out = Command::new("ffmpeg")
        .args([
            "-v",
            "info",
            "-i",
            a.to_str().unwrap(),
            "-i",
            b.to_str().unwrap(),
            "-lavfi",
            "psnr",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find(|l| l.contains("PSNR") && l.contains("average:"))
        .unwrap_or("");
    line.split(key)
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0)
}

/// Asserts a failed run: exit 1, one `error:` line naming `needle`, no panic, nothing at `out`
/// and no temporary file left beside it.
pub fn assert_clean_failure(output: &Output, out: &Path, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line: {stderr}");
    assert!(errors[0].contains(needle), "{needle:?} not in {stderr}");
    assert!(!out.exists(), "no output file after a failure");
    if let Some(dir) = out.parent().filter(|d| d.is_dir()) {
        assert_no_partials(dir);
    }
}

/// No `*.partial` file is left in `dir`.
pub fn assert_no_partials(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// Waits until a `*.partial` file appears in `dir`, failing if `child` ends first or after 60 s.
pub fn wait_for_partial(dir: &Path, child: &mut std::process::Child) {
    let started = std::time::Instant::now();
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().ends_with(".partial"));
        if found {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process ended before writing"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "nothing was written within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
