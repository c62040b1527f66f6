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

/// A stand-in for `libcuda.so.1` with two devices, compiled with the system C compiler, so the
/// success paths run on machines without the driver. `no_device` makes `cuInit` fail as the
/// driver does without a GPU.
const FAKE_DRIVER: &str = r#"
#include <stddef.h>
#include <string.h>
int cuInit(unsigned int flags) { return NO_DEVICE ? 100 : (flags == 0 ? 0 : 1); }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
int cuDeviceGetCount(int *c) { *c = 2; return 0; }
int cuDeviceGet(int *d, int ordinal) { if (ordinal < 0 || ordinal > 1) return 101; *d = 10 + ordinal; return 0; }
int cuDeviceGetName(char *name, int len, int d) {
    strncpy(name, d == 10 ? "Fake Thor" : "Fake H200", (size_t)len);
    return 0;
}
int cuDeviceGetAttribute(int *v, int attribute, int d) {
    if (attribute == 75) { *v = d == 10 ? 11 : 9; return 0; }
    if (attribute == 76) { *v = 0; return 0; }
    return 1;
}
int cuDeviceTotalMem_v2(size_t *bytes, int d) { *bytes = (size_t)(d == 10 ? 128 : 141) << 30; return 0; }
int cuGetErrorName(int e, const char **s) { *s = e == 100 ? "CUDA_ERROR_NO_DEVICE" : "OTHER"; return 0; }
"#;

/// Compiles [`FAKE_DRIVER`] into `dir`; `None` (test skipped) without a C compiler.
fn fake_driver(dir: &Path, no_device: bool) -> Option<std::path::PathBuf> {
    let source = dir.join("fake_cuda.c");
    std::fs::write(&source, FAKE_DRIVER).unwrap();
    let lib = dir.join(if no_device {
        "libcuda-nodev.so"
    } else {
        "libcuda-fake.so"
    });
    let status = std::process::Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(format!("-DNO_DEVICE={}", u8::from(no_device)))
        .arg(&source)
        .status();
    match status {
        Ok(s) if s.success() => Some(lib),
        other => {
            eprintln!("no C compiler ({other:?}); skipped");
            None
        }
    }
}

#[test]
fn a_driver_with_devices_is_described() {
    let dir = tempfile::tempdir().unwrap();
    let Some(lib) = fake_driver(dir.path(), false) else {
        return;
    };
    // SAFETY: our own stand-in, with no initialisers and the signatures of cuda.h.
    let driver = unsafe { Driver::load_from(&lib) }.expect("load the stand-in");
    assert_eq!(driver.version().unwrap().to_string(), "13.0");
    let devices = driver.devices().expect("devices");
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].ordinal, 0);
    assert_eq!(devices[0].name, "Fake Thor");
    assert_eq!(
        (devices[0].compute_major, devices[0].compute_minor),
        (11, 0)
    );
    assert_eq!(devices[0].total_memory, 128 << 30);
    assert_eq!(devices[1].name, "Fake H200");
    assert_eq!((devices[1].compute_major, devices[1].compute_minor), (9, 0));
}

#[test]
fn a_failing_cuinit_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let Some(lib) = fake_driver(dir.path(), true) else {
        return;
    };
    // SAFETY: as above.
    let driver = unsafe { Driver::load_from(&lib) }.expect("load the stand-in");
    let err = driver.devices().expect_err("cuInit fails");
    match &err {
        CudaError::Driver {
            function,
            code,
            name,
        } => {
            assert_eq!((*function, *code), ("cuInit", 100));
            assert_eq!(name, "CUDA_ERROR_NO_DEVICE");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.to_string(), "cuInit failed: CUDA_ERROR_NO_DEVICE (100)");
}
