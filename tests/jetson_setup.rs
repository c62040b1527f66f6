//! `jetson/setup.sh` checked on a machine that is not a Jetson: the dry run with the board's
//! detection faked (`SMOOTHSCALE_JETSON_FAKE`) prints the whole plan and runs none of it, the
//! refusals say why, and the script is shellcheck-clean where shellcheck is installed.
//!
//! Every program the plan names (apt-get, sudo, cargo, curl, …) is shadowed by a stub on `PATH`
//! that records its call, so "changes nothing" is checked, not assumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/jetson/setup.sh");
const THOR: &str = "38.4 NVIDIA Jetson AGX Thor Developer Kit";
/// Programs the setup would run to change the machine.
const STUBBED: [&str; 9] = [
    "apt-get",
    "apt-cache",
    "sudo",
    "cargo",
    "curl",
    "rustup",
    "dpkg",
    "ldconfig",
    "nvcc",
];

/// A folder of stubs that append their name to `calls` and fail.
fn stubs(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.join("calls");
    for name in STUBBED {
        let stub = bin.join(name);
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\necho {name} \"$@\" >> '{}'\nexit 97\n",
                calls.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, calls)
}

/// Runs the setup with `args`, the fake detection `fake` (if any) and the stubs first on PATH;
/// returns its output and the stubs' calls.
fn setup(args: &[&str], fake: Option<&str>) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let (bin, calls) = stubs(dir.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = Command::new("bash");
    cmd.arg(SCRIPT).args(args).env("PATH", path);
    match fake {
        Some(f) => cmd.env("SMOOTHSCALE_JETSON_FAKE", f),
        None => cmd.env_remove("SMOOTHSCALE_JETSON_FAKE"),
    };
    let out = cmd.output().unwrap();
    let calls = std::fs::read_to_string(calls).unwrap_or_default();
    (out, calls)
}

/// The plan's command lines (`+ ...`), without a leading `sudo`.
fn commands(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("+ "))
        .map(|l| l.strip_prefix("sudo ").unwrap_or(l).to_string())
        .collect()
}

#[test]
fn the_dry_run_prints_the_whole_plan_and_runs_none_of_it() {
    let (out, calls) = setup(&["--dry-run"], Some(THOR));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(calls, "", "the dry run ran programs:\n{calls}");
    assert!(
        stdout.contains("Jetson Linux R38.4 on 'NVIDIA Jetson AGX Thor Developer Kit': OK"),
        "{stdout}"
    );
    let plan = commands(&stdout);
    assert_eq!(plan[0], "apt-get update -qq", "{plan:#?}");
    let install = plan
        .iter()
        .find(|c| c.contains("apt-get install"))
        .unwrap_or_else(|| panic!("no apt-get install in {plan:#?}"));
    assert!(install.starts_with("env DEBIAN_FRONTEND=noninteractive apt-get install -y"));
    let packages: Vec<&str> = install.split(' ').skip(5).collect();
    for p in [
        "nvidia-cuda-dev",
        "libnvinfer-dev",
        "libnvonnxparsers-dev",
        "libffmpeg-nvenc-dev",
        "libavcodec-dev",
        "libavformat-dev",
        "libavutil-dev",
        "libswscale-dev",
        "libswresample-dev",
        "clang",
        "libclang-dev",
        "pkg-config",
        "nvidia-l4t-multimedia",
    ] {
        assert!(packages.contains(&p), "{p} missing from {packages:?}");
    }
    // Ubuntu's CUDA is not the Jetson one (NVIDIA's Thor user guide).
    assert!(!packages.contains(&"nvidia-cuda-toolkit"), "{packages:?}");
    assert_eq!(
        &plan[plan.len() - 2..],
        [
            "bash scripts/fetch-onnxruntime",
            "env NVCC=/usr/local/cuda/bin/nvcc SMOOTHSCALE_REQUIRE_FATBIN=1 \
             SMOOTHSCALE_REQUIRE_TRT_SHIM=1 cargo build --release"
        ],
        "{plan:#?}"
    );
    assert!(!stdout.contains("built target/release"), "{stdout}");

    // --no-build: the same plan without the build.
    let (out, calls) = setup(&["--dry-run", "--no-build"], Some(THOR));
    assert!(out.status.success());
    assert_eq!(calls, "");
    let plan = commands(&String::from_utf8_lossy(&out.stdout));
    assert!(plan.iter().all(|c| !c.contains("cargo build")), "{plan:#?}");
    assert_eq!(plan.last().unwrap(), "bash scripts/fetch-onnxruntime");
}

#[test]
fn refusals_name_the_reason_and_run_nothing() {
    let cases: [(&[&str], Option<&str>, &str); 5] = [
        // The fake never reaches a real install.
        (&[], Some(THOR), "honoured only with --dry-run"),
        (
            &["--dry-run"],
            Some("38.2 NVIDIA Jetson AGX Thor"),
            "R38.2 is JetPack 7.0",
        ),
        (
            &["--dry-run"],
            Some("36.4 NVIDIA Jetson AGX Orin"),
            "older than R38.4",
        ),
        (
            &["--dry-run"],
            Some("Thor"),
            "cannot read the Jetson Linux release",
        ),
        (&["--frobnicate"], None, "usage: bash jetson/setup.sh"),
    ];
    for (args, fake, needle) in cases {
        let (out, calls) = setup(args, fake);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {fake:?}");
        assert!(stderr.contains(needle), "{args:?} {fake:?}: {stderr}");
        assert_eq!(calls, "", "{args:?} {fake:?} ran programs:\n{calls}");
    }
    // On this machine without the fake: refused as not a Jetson (an aarch64 host without Jetson
    // Linux is refused for that instead).
    let (out, calls) = setup(&["--dry-run"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not a Jetson") || stderr.contains("no Jetson Linux found"),
        "{stderr}"
    );
    assert_eq!(calls, "");
    // --check with a fake board: checks pass, nothing is planned.
    let (out, _) = setup(&["--check", "--dry-run"], Some(THOR));
    assert!(out.status.success());
    assert!(commands(&String::from_utf8_lossy(&out.stdout)).is_empty());
}

#[test]
fn the_script_is_shellcheck_clean() {
    let out = match Command::new("shellcheck").arg(SCRIPT).output() {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipping: shellcheck is not installed (apt install shellcheck)");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
