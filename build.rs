//! Compiles the CUDA kernels of `src/cuda/kernels` into a fat binary when nvcc is found, and
//! embeds it (`src/cuda/mod.rs`, `embedded_kernels`); otherwise embeds only the source, which the
//! CUDA backend compiles with NVRTC at run time. Both are built from one translation unit, the
//! kernel files concatenated (`kernels.cu` in OUT_DIR), so nvcc and NVRTC see the same text.
//!
//! nvcc is looked for in `$NVCC`, `$CUDA_HOME/bin`, `$CUDA_PATH/bin`, the `PATH`, the PyPI install
//! of `scripts/install-nvcc` (`.tools/cuda/site/nvidia/cu13/bin`) and `/usr/local/cuda/bin`.
//! `SMOOTHSCALE_KERNELS=source` skips nvcc. The host compiler is nvcc's default unless
//! `NVCC_CCBIN` names one. The arguments (targets sm_87, sm_90, sm_110 and compute_110 PTX;
//! `--fmad=false`, so the device runs the IEEE operations of the Rust references, as the NVRTC
//! path does) come from `src/cuda/compile_options.rs`, which the crate's tests check; the command
//! run is recorded as `NVCC_COMMAND`. `SMOOTHSCALE_REQUIRE_FATBIN=1` makes a missing nvcc an
//! error (jetson/setup.sh). ptxas's register and spill counts are printed as warnings; a spill
//! fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

#[allow(dead_code)]
#[path = "src/cuda/compile_options.rs"]
mod compile_options;

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let kernels = root.join("src/cuda/kernels");
    println!("cargo:rerun-if-changed={}", kernels.display());
    println!("cargo:rerun-if-changed=src/cuda/compile_options.rs");
    for var in [
        "NVCC",
        "CUDA_HOME",
        "CUDA_PATH",
        "NVCC_CCBIN",
        "SMOOTHSCALE_KERNELS",
        "SMOOTHSCALE_REQUIRE_FATBIN",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let source = concatenated_source(&kernels);
    let source_path = out.join("kernels.cu");
    fs::write(&source_path, &source).expect("write kernels.cu");

    let nvcc = match env::var("SMOOTHSCALE_KERNELS").as_deref() {
        Ok("source") => None,
        _ => find_nvcc(&root),
    };
    let (embedded, command) = match nvcc {
        Some(nvcc) => {
            let fatbin = out.join("kernels.fatbin");
            let command = compile_fatbin(&nvcc, &source_path, &fatbin);
            (
                format!(
                    "EmbeddedKernels::Fatbin(include_bytes!({:?}))",
                    fatbin.display().to_string()
                ),
                format!("Some({command:?})"),
            )
        }
        None => {
            if env::var("SMOOTHSCALE_REQUIRE_FATBIN").as_deref() == Ok("1") {
                panic!(
                    "SMOOTHSCALE_REQUIRE_FATBIN=1 but nvcc was not found (set NVCC or CUDA_HOME, \
                     or add the CUDA toolkit's bin to PATH)"
                );
            }
            println!("cargo:warning=nvcc not found: embedding CUDA kernel source for NVRTC");
            (
                "EmbeddedKernels::Source(KERNEL_SOURCE)".to_string(),
                "None".to_string(),
            )
        }
    };
    let generated = format!(
        "/// The concatenated kernel source (always embedded: the NVRTC fallback).\n\
         pub const KERNEL_SOURCE: &str = include_str!({:?});\n\
         const EMBEDDED: EmbeddedKernels = {embedded};\n\
         /// The nvcc command that built the embedded fat binary (`None`: source embedded).\n\
         pub const NVCC_COMMAND: Option<&str> = {command};\n",
        source_path.display().to_string()
    );
    fs::write(out.join("embedded_kernels.rs"), generated).expect("write embedded_kernels.rs");
}

/// `colour.cuh`, then every `.cu` file in name order, without their `#include "colour.cuh"`.
fn concatenated_source(kernels: &Path) -> String {
    let mut files: Vec<PathBuf> = fs::read_dir(kernels)
        .expect("src/cuda/kernels")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cu"))
        .collect();
    files.sort();
    let mut source = String::new();
    for file in std::iter::once(kernels.join("colour.cuh")).chain(files) {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = fs::read_to_string(&file).expect("read kernel source");
        source.push_str(&format!(
            "// ---- {}\n",
            file.file_name().unwrap().to_string_lossy()
        ));
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed != "#pragma once" && trimmed != "#include \"colour.cuh\"" {
                source.push_str(line);
                source.push('\n');
            }
        }
    }
    source
}

fn find_nvcc(root: &Path) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(nvcc) = env::var_os("NVCC") {
        candidates.push(nvcc.into());
    }
    for var in ["CUDA_HOME", "CUDA_PATH"] {
        if let Some(home) = env::var_os(var) {
            candidates.push(Path::new(&home).join("bin/nvcc"));
        }
    }
    if let Some(path) = env::var_os("PATH") {
        candidates.extend(env::split_paths(&path).map(|dir| dir.join("nvcc")));
    }
    candidates.push(root.join(".tools/cuda/site/nvidia/cu13/bin/nvcc"));
    candidates.push("/usr/local/cuda/bin/nvcc".into());
    candidates.into_iter().find(|p| p.is_file())
}

/// Compiles the fat binary; returns the command line it ran.
fn compile_fatbin(nvcc: &Path, source: &Path, fatbin: &Path) -> String {
    let ccbin = env::var("NVCC_CCBIN").ok();
    let args = compile_options::nvcc_args(
        &fatbin.display().to_string(),
        &source.display().to_string(),
        ccbin.as_deref(),
    );
    let command = std::iter::once(nvcc.display().to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(nvcc)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", nvcc.display()));
    let log = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!(
            "nvcc ({}) failed to compile the CUDA kernels:\n{log}",
            nvcc.display()
        );
    }
    let mut spills = Vec::new();
    for (kernel, arch, registers, spill) in ptxas_report(&log) {
        println!("cargo:warning=ptxas {arch} {kernel}: {registers} registers, {spill}");
        if !spill.ends_with(", 0 bytes spill stores, 0 bytes spill loads") {
            spills.push(format!("{kernel} ({arch}): {spill}"));
        }
    }
    if !spills.is_empty() {
        panic!("CUDA kernels spill registers:\n{}", spills.join("\n"));
    }
    command
}

/// `(kernel, arch, registers, spill line)` of each entry function in ptxas `-v` output.
fn ptxas_report(log: &str) -> Vec<(String, String, String, String)> {
    let mut report = Vec::new();
    let (mut kernel, mut arch, mut spill) = (String::new(), String::new(), String::new());
    for line in log.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let mut parts = rest.split('\'');
            kernel = parts.next().unwrap_or_default().to_string();
            arch = parts.nth(1).unwrap_or_default().to_string();
        } else if line.contains("spill stores") {
            spill = line.trim().to_string();
        } else if let Some(rest) = line.split("Used ").nth(1) {
            let registers = rest.split(' ').next().unwrap_or_default().to_string();
            report.push((kernel.clone(), arch.clone(), registers, spill.clone()));
        }
    }
    report
}
