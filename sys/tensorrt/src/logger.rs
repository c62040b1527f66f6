//! The logger TensorRT writes to, routed to the `log` crate (target `tensorrt`).

use std::ffi::{c_char, c_void, CStr};
use std::ptr::NonNull;

#[cfg(trt_shim)]
use crate::error::TrtError;

/// Maps a TensorRT severity (0 internal error, 1 error, 2 warning, 3 info, 4 verbose) to a `log`
/// level. TensorRT's verbose output is very chatty, so it goes to `trace`.
pub fn severity_level(severity: i32) -> log::Level {
    match severity {
        i32::MIN..=1 => log::Level::Error,
        2 => log::Level::Warn,
        3 => log::Level::Info,
        4 => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

/// The callback the shim's logger calls for every TensorRT message.
#[cfg_attr(not(trt_shim), allow(dead_code))]
extern "C" fn forward(_user: *mut c_void, severity: i32, message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: the shim passes a NUL-terminated string that TensorRT keeps alive for the call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    log::log!(target: "tensorrt", severity_level(severity), "{}", text.trim_end());
}

/// The shim's logger object. TensorRT keeps one logger pointer for the whole process (the first
/// runtime's or builder's; later ones may be ignored), so one logger serves every runtime,
/// builder and parser ([`Logger::process`]) and is never destroyed: it outlives them all,
/// whatever order they are dropped in.
#[cfg_attr(not(trt_shim), allow(dead_code))]
pub(crate) struct Logger {
    pub(crate) ptr: NonNull<crate::ffi::trt_logger>,
}

// SAFETY: the C++ logger holds only the callback and a null user pointer, both immutable after
// creation; TensorRT calls it from any thread, and `forward` only calls the thread-safe `log`.
unsafe impl Send for Logger {}
// SAFETY: as above; no method mutates the logger.
unsafe impl Sync for Logger {}

impl Logger {
    /// The process's logger, forwarding to [`log`], created on first use.
    #[cfg(trt_shim)]
    pub(crate) fn process() -> Result<&'static Logger, TrtError> {
        static LOGGER: std::sync::OnceLock<Option<Logger>> = std::sync::OnceLock::new();
        LOGGER
            .get_or_init(|| {
                // SAFETY: `forward` matches trt_log_callback and ignores the (null) user pointer.
                let ptr =
                    unsafe { crate::ffi::trt_logger_create(Some(forward), std::ptr::null_mut()) };
                NonNull::new(ptr).map(|ptr| Logger { ptr })
            })
            .as_ref()
            .ok_or(TrtError::Failed("allocate a logger"))
    }

    /// Sends a message through the logger exactly as TensorRT would.
    #[cfg(trt_shim)]
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn log(&self, severity: i32, message: &CStr) {
        // SAFETY: `self.ptr` is a live logger and `message` is NUL-terminated.
        unsafe { crate::ffi::trt_logger_log(self.ptr.as_ptr(), severity, message.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_log_levels() {
        assert_eq!(severity_level(0), log::Level::Error);
        assert_eq!(severity_level(1), log::Level::Error);
        assert_eq!(severity_level(2), log::Level::Warn);
        assert_eq!(severity_level(3), log::Level::Info);
        assert_eq!(severity_level(4), log::Level::Debug);
        assert_eq!(severity_level(9), log::Level::Trace);
    }

    #[cfg(trt_shim)]
    #[test]
    fn shim_logger_round_trip_does_not_crash() {
        let logger = Logger::process().unwrap();
        logger.log(2, c"a warning routed through the C++ logger");
        logger.log(42, c"out-of-range severities are clamped");
    }

    /// Every runtime and builder gets the same logger, from any thread, for the whole process.
    #[cfg(trt_shim)]
    #[test]
    fn the_process_has_one_logger() {
        let here = Logger::process().unwrap().ptr;
        let there = std::thread::spawn(|| Logger::process().unwrap().ptr.as_ptr() as usize)
            .join()
            .unwrap();
        assert_eq!(here.as_ptr() as usize, there);
    }
}
