//! The run-time gate of the GPU tests. A GPU test is an ordinary test in a `tests/gpu_*.rs`
//! file: without what it needs it prints one `skipped: REASON` line to stderr and passes, so the
//! suite is green on machines without a GPU, and `scripts/gpu-check` reports it as skipped.

use std::sync::Arc;

use cudarc::driver::CudaContext;

/// Prints the line `scripts/gpu-check` counts as a skip.
pub fn skip(reason: &str) {
    eprintln!("skipped: {reason}");
}

/// The first CUDA device's primary context, or `None` after printing why there is none.
pub fn cuda_device() -> Option<Arc<CudaContext>> {
    // SAFETY: only probes whether libcuda can be opened; nothing is called through it.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        skip("no CUDA device (libcuda.so.1 is not installed)");
        return None;
    }
    match CudaContext::new(0) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            skip(&format!("no CUDA device ({e})"));
            None
        }
    }
}
