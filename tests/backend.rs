//! `--backend`: `auto` runs on the CPU where a CUDA piece is missing, and says which; `cuda`
//! exits 1 with one `error:` line naming the first missing piece (on a machine without the NVIDIA
//! driver, libcuda) and writes nothing. The decision itself is table-tested in
//! `cuda::backend`; a CUDA run that `auto` chose and that fails early falls back to the CPU
//! (`pipeline::run`, tested there).

mod common;

use common::*;

/// A 6-frame 64x48 H.264 clip.
fn clip(dir: &std::path::Path) -> std::path::PathBuf {
    make_clip(
        dir,
        "in.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=24:duration=0.25",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    )
}

fn libcuda_present() -> bool {
    // SAFETY: only tries to open the library.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

#[test]
fn run_backend_cuda_is_refused_with_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path());
    let out = dir.path().join("out.mp4");
    let output = smoothscale()
        .args(["run", "--backend", "cuda"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    if libcuda_present() {
        // With a driver, the job may run on the GPU (tests/gpu_pipeline.rs checks that).
        eprintln!("skipped: the NVIDIA driver is present, so --backend cuda may run here");
        return;
    }
    assert_clean_failure(
        &output,
        &out,
        "--backend cuda: the NVIDIA driver (libcuda.so.1) is missing",
    );
}

#[test]
fn batch_backend_cuda_is_refused_before_any_clip() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output_dir) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir(&input).unwrap();
    clip(&input);
    let output = smoothscale()
        .args(["batch", "--backend", "cuda"])
        .arg(&input)
        .arg(&output_dir)
        .output()
        .unwrap();
    if libcuda_present() {
        eprintln!("skipped: the NVIDIA driver is present, so --backend cuda may run here");
        return;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("--backend cuda: "), "{stderr}");
    assert!(!output_dir.join("in.mp4").exists());
}

#[test]
fn run_backend_auto_runs_on_the_cpu_and_says_why_not_cuda() {
    if libcuda_present() {
        eprintln!("skipped: the NVIDIA driver is present, so --backend auto may pick CUDA here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = clip(dir.path());
    let out = dir.path().join("out.mp4");
    let output = smoothscale()
        .args(["-v", "run", "--backend", "auto", "--preset", "ultrafast"])
        .arg(&input)
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(out.exists());
    let line = stderr
        .lines()
        .find(|l| l.contains("backend: cpu (no cuda: "))
        .unwrap_or_else(|| panic!("no backend line in {stderr}"));
    assert!(line.contains("(libcuda.so.1) is missing"), "{line}");
}
