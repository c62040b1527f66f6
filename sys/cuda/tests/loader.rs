//! Loading on a machine without the NVIDIA driver: typed errors naming the library, never a panic.

use std::path::Path;

use smoothscale_cuda_sys::{CudaError, Driver, Nvrtc, DRIVER_LIBRARY};

#[test]
fn a_path_that_does_not_exist_is_a_typed_error() {
    let path = "/nonexistent/smoothscale/libcuda.so.1";
    // SAFETY: the file does not exist, so no library code runs.
    let err = unsafe { Driver::load_from(path) }.expect_err("no such file");
    match &err {
        CudaError::LibraryNotFound { library, .. } => assert_eq!(library, path),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains(path), "{err}");
    // SAFETY: as above.
    let err = unsafe { Nvrtc::load_from(path) }.expect_err("no such file");
    assert!(matches!(err, CudaError::LibraryNotFound { .. }), "{err:?}");
}

#[test]
fn a_library_without_the_entry_points_is_a_typed_error() {
    // libc is in every process and exports none of the driver's symbols.
    // SAFETY: libc is already loaded; opening it again runs no initialiser.
    let err = unsafe { Driver::load_from("libc.so.6") }.expect_err("libc is not the driver");
    match err {
        CudaError::MissingSymbol {
            library, symbol, ..
        } => {
            assert_eq!(library, "libc.so.6");
            assert_eq!(symbol, "cuInit");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn the_driver_loads_or_says_which_library_is_missing() {
    match Driver::load() {
        Ok(driver) => {
            // A machine with the driver: the version must at least be readable.
            let version = driver.version().expect("cuDriverGetVersion");
            eprintln!("CUDA driver {version}, devices: {:?}", driver.devices());
        }
        Err(e) => {
            assert!(matches!(e, CudaError::LibraryNotFound { .. }), "{e:?}");
            assert!(e.to_string().contains(DRIVER_LIBRARY), "{e}");
        }
    }
}

#[test]
fn nvrtc_from_the_pypi_toolkit_reports_its_version() {
    // scripts/install-nvcc puts CUDA 13's NVRTC (from PyPI) under .tools; skip without it.
    let lib = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/cuda/site/nvidia/cu13/lib/libnvrtc.so.13");
    if !lib.is_file() {
        eprintln!("{} is absent; skipped", lib.display());
        return;
    }
    // SAFETY: NVIDIA's NVRTC, whose initialisers have no preconditions.
    let nvrtc = unsafe { Nvrtc::load_from(&lib) }.expect("load NVRTC");
    let (major, minor) = nvrtc.version().expect("nvrtcVersion");
    assert_eq!(major, 13, "{major}.{minor}");
}
