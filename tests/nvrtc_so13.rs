//! The kernels compile through CUDA 13's `libnvrtc.so.13` alone, as on a JetPack 7 machine
//! without the development link: `.tools` (scripts/install-nvcc) has exactly that file. It is
//! the host's build of NVRTC, so the aarch64 run under qemu (scripts/ci-aarch64) leaves this test
//! binary out, as it skips the sys crate's NVRTC tests; a failed open names the loader's reason.

use std::ffi::{CStr, CString};
use std::path::Path;

use smoothscale::cuda::device::nvrtc::compile_with;
use smoothscale::cuda::device::ComputeCapability;
use smoothscale_cuda_sys::Nvrtc;

#[test]
fn the_embedded_source_compiles_through_libnvrtc_so_13() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/cuda/site/nvidia/cu13/lib");
    let lib = dir.join("libnvrtc.so.13");
    if !lib.is_file() || dir.join("libnvrtc.so").exists() {
        eprintln!("skipped: no {} without a libnvrtc.so link", lib.display());
        return;
    }
    // libnvrtc opens its builtins by name, and this folder is not on the loader path.
    let builtins = dir.join("libnvrtc-builtins.so.13.0");
    let path = CString::new(builtins.to_string_lossy().as_bytes()).unwrap();
    // SAFETY: NVIDIA's NVRTC builtins (no initialiser preconditions); kept loaded for the test.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
    if handle.is_null() {
        // SAFETY: dlerror returns null or a C string valid until the next dl call on this thread.
        let reason = unsafe { libc::dlerror() };
        let reason = if reason.is_null() {
            "no reason given".to_string()
        } else {
            // SAFETY: non-null, NUL-terminated, read before any other dl call.
            unsafe { CStr::from_ptr(reason) }
                .to_string_lossy()
                .into_owned()
        };
        panic!("{} does not open: {reason}", builtins.display());
    }
    // SAFETY: NVIDIA's NVRTC from PyPI.
    let nvrtc = unsafe { Nvrtc::load_from(&lib) }.expect("libnvrtc.so.13 opens");
    let cc = ComputeCapability {
        major: 11,
        minor: 0,
    };
    let ptx = compile_with(&nvrtc, smoothscale::cuda::KERNEL_SOURCE, cc).expect("compiles");
    assert!(ptx.contains(".target sm_110"));
    for name in smoothscale::cuda::KERNEL_NAMES {
        assert!(ptx.contains(&format!(".entry {name}(")), "{name}");
    }
}
