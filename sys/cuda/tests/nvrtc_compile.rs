//! NVRTC found and used under CUDA 13's name, `libnvrtc.so.13`, the only one a JetPack 7 / CUDA
//! 13 machine without the development package has (cudarc 0.19 looks for `libnvrtc.so` and
//! `libnvrtc.so.12` only). Uses the NVRTC that `scripts/install-nvcc` puts in `.tools` (PyPI's
//! `nvidia-cuda-nvrtc`, which ships `libnvrtc.so.13` and no unversioned link); skips without it.

use std::path::PathBuf;

use smoothscale_cuda_sys::{CompileError, Nvrtc, NVRTC_LIBRARIES};

fn tools_nvrtc() -> Option<PathBuf> {
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/cuda/site/nvidia/cu13/lib/libnvrtc.so.13");
    if lib.is_file() {
        Some(lib)
    } else {
        eprintln!(
            "skipped: {} is not installed (scripts/install-nvcc)",
            lib.display()
        );
        None
    }
}

#[test]
fn cuda_13s_library_name_is_looked_for_first() {
    assert_eq!(NVRTC_LIBRARIES[0], "libnvrtc.so.13");
    assert!(NVRTC_LIBRARIES.contains(&"libnvrtc.so.12"));
}

#[test]
fn a_source_compiles_to_ptx_through_libnvrtc_so_13() {
    let Some(lib) = tools_nvrtc() else { return };
    assert!(
        !lib.with_file_name("libnvrtc.so").exists(),
        "the test means a folder without the development link"
    );
    // libnvrtc opens its builtins by name; this folder is not on the loader path, so they are
    // opened first (the loader then finds them by their soname).
    let builtins = lib.with_file_name("libnvrtc-builtins.so.13.0");
    // SAFETY: NVIDIA's NVRTC builtins from PyPI, whose initialisers have no preconditions.
    let _builtins = unsafe { libloading::Library::new(&builtins) }.expect("the builtins open");
    // SAFETY: NVIDIA's NVRTC from PyPI.
    let nvrtc = unsafe { Nvrtc::load_from(&lib) }.expect("libnvrtc.so.13 opens");
    assert_eq!(nvrtc.version().unwrap().0, 13);
    let source = "extern \"C\" __global__ void axpy(float a, const float *x, float *y) {\n\
                  int i = threadIdx.x; y[i] = a * x[i] + y[i]; }\n";
    let options = [
        "--fmad=false".to_string(),
        "--gpu-architecture=compute_110".to_string(),
    ];
    let ptx = nvrtc
        .compile_ptx(source, "axpy.cu", &options)
        .expect("compiles");
    assert!(ptx.contains(".entry axpy("), "{ptx}");
    assert!(ptx.contains(".target sm_110"), "{ptx}");
    // --fmad=false: a separate multiply and add, no fused multiply-add.
    assert!(
        ptx.contains("mul.rn.f32") && !ptx.contains("fma.rn.f32"),
        "{ptx}"
    );

    match nvrtc.compile_ptx("this is not C++", "bad.cu", &options) {
        Err(CompileError::Failed { name, log, .. }) => {
            assert_eq!(name, "bad.cu");
            assert!(log.contains("error"), "{log}");
        }
        other => panic!("a bad source compiled: {other:?}"),
    }
}
