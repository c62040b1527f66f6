//! Finds TensorRT headers, compiles the shim (`shim/trt_shim.cpp`) against them with `cc`, and
//! generates Rust bindings to our own header (`shim/trt_shim.h`) with bindgen.
//!
//! Header search order: `TENSORRT_INCLUDE_DIR`; the system locations of the *target* (not the
//! host): its Debian multiarch folder (`/usr/include/aarch64-linux-gnu` for JetPack,
//! `/usr/include/x86_64-linux-gnu`) and CUDA's per-target folder
//! (`/usr/local/cuda/targets/sbsa-linux/include` on aarch64, `.../x86_64-linux/include`), then,
//! only when not cross-compiling, `/usr/local/cuda/include` and `/usr/include`; then
//! `.tools/tensorrt-headers/10.16` at the workspace root (written by
//! `scripts/fetch-tensorrt-headers`). `cuda_runtime_api.h` is looked for beside the TensorRT
//! headers, in `CUDA_INCLUDE_DIR`, and in the same system locations.
//!
//! Without headers the crate builds without the shim (`cfg(trt_shim)` off) and loading TensorRT
//! returns an error at run time. `SMOOTHSCALE_REQUIRE_TRT_SHIM=1` turns that into a build error.

use std::env;
use std::path::{Path, PathBuf};

/// The system include folders for the target being built: a cross build must never take the
/// host's headers (an x86-64 TensorRT in `/usr/include/x86_64-linux-gnu` for an aarch64 binary).
fn system_dirs() -> Vec<PathBuf> {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("CARGO_CFG_TARGET_ARCH");
    let mut dirs = vec![PathBuf::from(format!("/usr/include/{arch}-linux-gnu"))];
    // CUDA's name for the target: SBSA is the server-class aarch64 layout JetPack 7 uses.
    let cuda_target = match arch.as_str() {
        "aarch64" => "sbsa".to_string(),
        other => other.to_string(),
    };
    dirs.push(PathBuf::from(format!(
        "/usr/local/cuda/targets/{cuda_target}-linux/include"
    )));
    // The unqualified folders hold the host's installation.
    if env::var("HOST").ok() == env::var("TARGET").ok() {
        dirs.push(PathBuf::from("/usr/local/cuda/include"));
        dirs.push(PathBuf::from("/usr/include"));
    }
    dirs
}

fn main() {
    println!("cargo:rustc-check-cfg=cfg(trt_shim)");
    println!("cargo:rerun-if-changed=shim/trt_shim.h");
    println!("cargo:rerun-if-changed=shim/trt_shim.cpp");
    for var in [
        "TENSORRT_INCLUDE_DIR",
        "CUDA_INCLUDE_DIR",
        "SMOOTHSCALE_REQUIRE_TRT_SHIM",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let tools = manifest_dir.join("../../.tools/tensorrt-headers/10.16");
    // Watching a path that does not exist would rerun this script on every build.
    if tools.exists() {
        println!("cargo:rerun-if-changed={}", tools.display());
    }

    generate_bindings(&manifest_dir);

    let require = env::var("SMOOTHSCALE_REQUIRE_TRT_SHIM").is_ok_and(|v| v == "1");
    match find_headers(&tools) {
        Ok((trt, cuda)) => {
            compile_shim(&manifest_dir, &trt, &cuda);
            println!("cargo:rustc-cfg=trt_shim");
            println!(
                "cargo:rustc-env=SMOOTHSCALE_TRT_INCLUDE_DIR={}",
                trt.display()
            );
        }
        Err(why) if require => panic!("SMOOTHSCALE_REQUIRE_TRT_SHIM=1 but {why}"),
        Err(why) => {
            println!("cargo:warning=building without the TensorRT shim: {why}");
            println!("cargo:rustc-env=SMOOTHSCALE_TRT_INCLUDE_DIR=");
        }
    }
}

/// The directory holding `NvInfer.h`, and the one holding `cuda_runtime_api.h`.
fn find_headers(tools: &Path) -> Result<(PathBuf, PathBuf), String> {
    let trt = match env::var_os("TENSORRT_INCLUDE_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if !dir.join("NvInfer.h").is_file() {
                // An explicit request that cannot be honoured is always an error.
                panic!("TENSORRT_INCLUDE_DIR={} has no NvInfer.h", dir.display());
            }
            dir
        }
        None => system_dirs()
            .into_iter()
            .chain(std::iter::once(tools.to_path_buf()))
            .find(|d| d.join("NvInfer.h").is_file() && d.join("NvOnnxParser.h").is_file())
            .ok_or_else(|| {
                "TensorRT headers (NvInfer.h, NvOnnxParser.h) were not found: set TENSORRT_INCLUDE_DIR, \
                 install JetPack's libnvinfer-dev, or run scripts/fetch-tensorrt-headers"
                    .to_string()
            })?,
    };
    let cuda_env = env::var_os("CUDA_INCLUDE_DIR").map(PathBuf::from);
    let cuda = std::iter::once(trt.clone())
        .chain(cuda_env)
        .chain(system_dirs())
        .find(|d| d.join("cuda_runtime_api.h").is_file())
        .ok_or_else(|| {
            format!(
                "cuda_runtime_api.h (needed by the TensorRT headers in {}) was not found: set CUDA_INCLUDE_DIR",
                trt.display()
            )
        })?;
    Ok((trt, cuda))
}

fn compile_shim(manifest_dir: &Path, trt: &Path, cuda: &Path) {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .file(manifest_dir.join("shim/trt_shim.cpp"))
        .include(manifest_dir.join("shim"))
        // -isystem: warnings inside NVIDIA's headers (deprecated plugin enums) are not ours.
        .flag("-isystem")
        .flag(trt.to_str().expect("TensorRT include path is not UTF-8"))
        .flag("-isystem")
        .flag(cuda.to_str().expect("CUDA include path is not UTF-8"))
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true);
    build.compile("smoothscale_trt_shim");
}

fn generate_bindings(manifest_dir: &Path) {
    let header = manifest_dir.join("shim/trt_shim.h");
    let bindings = bindgen::Builder::default()
        .header(header.to_str().expect("header path is not UTF-8"))
        .allowlist_function("trt_.*")
        .allowlist_type("trt_.*")
        .allowlist_var("TRT_SHIM_.*")
        .opaque_type(
            "trt_(logger|runtime|engine|context|builder|network|config|parser|host_memory|timing_cache)",
        )
        .layout_tests(true)
        .generate()
        .expect("bindgen could not read shim/trt_shim.h");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("trt_shim.rs");
    bindings
        .write_to_file(out)
        .expect("writing the shim bindings");
}
