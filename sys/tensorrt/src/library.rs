//! Opening `libnvinfer.so.<major>` at run time and checking its version.

use std::rc::Rc;

use crate::error::TrtError;
use crate::version::TrtVersion;

/// Opens a shared library by name through the system's dynamic loader.
///
/// `major` is only used in the error message (which TensorRT to install).
pub fn open_library(name: &str, major: u32) -> Result<libloading::Library, TrtError> {
    // SAFETY: loading a library runs its initialisers. The names we open are NVIDIA's TensorRT
    // libraries, whose initialisers have no preconditions on our side.
    unsafe { libloading::Library::new(name) }.map_err(|e| TrtError::LibraryMissing {
        library: name.to_string(),
        major,
        reason: e.to_string(),
    })
}

/// The loaded inference library and the factory functions the shim needs.
pub(crate) struct Api {
    /// Uninhabited: without the shim no `Api`, and so no wrapper object, can exist.
    #[cfg(not(trt_shim))]
    pub(crate) never: std::convert::Infallible,
    #[cfg(trt_shim)]
    pub(crate) create_runtime: crate::ffi::trt_create_fn,
    #[cfg(trt_shim)]
    pub(crate) create_builder: crate::ffi::trt_create_fn,
    #[cfg(trt_shim)]
    pub(crate) version: TrtVersion,
    #[cfg(trt_shim)]
    pub(crate) headers: TrtVersion,
    /// Keeps the function pointers above valid; dropped last.
    #[cfg(trt_shim)]
    pub(crate) _library: libloading::Library,
}

/// A loaded TensorRT: the entry point for runtimes and builders.
#[derive(Clone)]
pub struct TensorRt {
    pub(crate) api: Rc<Api>,
}

impl TensorRt {
    /// Opens `libnvinfer.so.<major>` for the major version of the headers the shim was compiled
    /// against and checks that `getInferLibVersion` reports the same major.
    pub fn load() -> Result<Self, TrtError> {
        #[cfg(not(trt_shim))]
        {
            Err(TrtError::HeadersMissing)
        }
        #[cfg(trt_shim)]
        {
            let headers =
                Self::header_version().ok_or(TrtError::Failed("read the shim's header version"))?;
            let (name, _) = crate::version::library_names(headers.major);
            let library = open_library(&name, headers.major)?;
            let version = check_version(&library, &name, headers)?;
            if version < headers {
                log::warn!(
                    "{name} is TensorRT {version}, older than the TensorRT {headers} headers this \
                     build was compiled against; rebuild against the installed headers if it fails"
                );
            }
            let create_runtime = symbol(&library, &name, "createInferRuntime_INTERNAL")?;
            let create_builder = symbol(&library, &name, "createInferBuilder_INTERNAL")?;
            Ok(TensorRt {
                api: Rc::new(Api {
                    create_runtime: Some(create_runtime),
                    create_builder: Some(create_builder),
                    version,
                    headers,
                    _library: library,
                }),
            })
        }
    }

    /// The TensorRT version of the headers the shim was compiled against; `None` without the
    /// shim.
    pub fn header_version() -> Option<TrtVersion> {
        #[cfg(trt_shim)]
        {
            // SAFETY: a pure function of the shim returning a compile-time constant.
            let raw = unsafe { crate::ffi::trt_shim_header_version() };
            TrtVersion::from_encoded(raw)
        }
        #[cfg(not(trt_shim))]
        {
            None
        }
    }

    /// The version the loaded library reports.
    pub fn version(&self) -> TrtVersion {
        crate::shim!(self.api, self.api.version)
    }

    /// Whether this TensorRT has fp16/bf16 builder flags (10.x) or builds strongly typed networks
    /// only (11.x).
    pub fn has_precision_flags(&self) -> bool {
        // SAFETY: a pure function of the shim returning a compile-time constant.
        crate::shim!(
            self.api,
            unsafe { crate::ffi::trt_shim_has_precision_flags() } != 0
        )
    }
}

/// Looks up a factory function `void *f(void *, int32_t)` exported by `library`.
#[cfg(trt_shim)]
fn symbol(
    library: &libloading::Library,
    name: &str,
    symbol: &str,
) -> Result<unsafe extern "C" fn(*mut std::ffi::c_void, i32) -> *mut std::ffi::c_void, TrtError> {
    let c_name = format!("{symbol}\0");
    // SAFETY: TensorRT declares createInferRuntime_INTERNAL and createInferBuilder_INTERNAL as
    // `extern "C" void* f(void* logger, int32_t version)`, the type we read them as. The returned
    // pointer is only used while `library` is alive (both live in the same `Api`).
    unsafe {
        library.get::<unsafe extern "C" fn(*mut std::ffi::c_void, i32) -> *mut std::ffi::c_void>(
            c_name.as_bytes(),
        )
    }
    .map(|f| *f)
    .map_err(|e| TrtError::SymbolMissing {
        library: name.to_string(),
        symbol: symbol.to_string(),
        reason: e.to_string(),
    })
}

/// Calls `getInferLibVersion` and checks its major against the headers'.
#[cfg_attr(not(trt_shim), allow(dead_code))]
pub(crate) fn check_version(
    library: &libloading::Library,
    name: &str,
    headers: TrtVersion,
) -> Result<TrtVersion, TrtError> {
    let found = read_version(library, name, "getInferLibVersion")?;
    if found.major != headers.major {
        return Err(TrtError::VersionMismatch {
            library: name.to_string(),
            found,
            headers,
        });
    }
    Ok(found)
}

/// Calls a version function `int32_t f()` exported by `library` (`getInferLibVersion`,
/// `getNvOnnxParserVersion`) and returns its raw number.
fn read_raw_version(
    library: &libloading::Library,
    name: &str,
    symbol: &'static str,
) -> Result<i32, TrtError> {
    let c_name = format!("{symbol}\0");
    // SAFETY: TensorRT declares both `extern "C" int32_t getInferLibVersion() noexcept` and
    // `extern "C" int getNvOnnxParserVersion() noexcept`, the type we read them as; the function
    // is called below while `library` is borrowed, so it stays loaded.
    let get = unsafe { library.get::<unsafe extern "C" fn() -> i32>(c_name.as_bytes()) }.map_err(
        |e| TrtError::SymbolMissing {
            library: name.to_string(),
            symbol: symbol.to_string(),
            reason: e.to_string(),
        },
    )?;
    // SAFETY: the function takes no arguments and only returns a constant.
    Ok(unsafe { get() })
}

/// Calls `getInferLibVersion` and decodes it.
fn read_version(
    library: &libloading::Library,
    name: &str,
    symbol: &'static str,
) -> Result<TrtVersion, TrtError> {
    let raw = read_raw_version(library, name, symbol)?;
    TrtVersion::from_encoded(raw).ok_or_else(|| TrtError::BadVersion {
        library: name.to_string(),
        raw,
    })
}

/// Opens `libnvinfer.so.<major>` and returns the version it reports, without the shim and without
/// comparing it to any headers: what is installed, whether or not this build can use it
/// (`smoothscale doctor`).
pub fn probe_infer_library(major: u32) -> Result<TrtVersion, TrtError> {
    let (name, _) = crate::version::library_names(major);
    let library = open_library(&name, major)?;
    read_version(&library, &name, "getInferLibVersion")
}

/// Opens `libnvonnxparser.so.<major>` and returns what `getNvOnnxParserVersion` reports: the
/// parser's own API version (`NV_ONNX_PARSER_VERSION`, `major*10000 + minor*100 + patch`), which is
/// not TensorRT's (TensorRT 10.16 ships parser 0.1.0). The TensorRT major is the one in the name.
pub fn probe_onnx_parser_library(major: u32) -> Result<TrtVersion, TrtError> {
    let (_, name) = crate::version::library_names(major);
    let library = open_library(&name, major)?;
    let raw = read_raw_version(&library, &name, "getNvOnnxParserVersion")?;
    parser_version(raw).ok_or(TrtError::BadVersion { library: name, raw })
}

/// Decodes `NV_ONNX_PARSER_VERSION`; `None` for a negative number.
fn parser_version(raw: i32) -> Option<TrtVersion> {
    let raw = u32::try_from(raw).ok()?;
    Some(TrtVersion {
        major: raw / 10_000,
        minor: (raw / 100) % 100,
        patch: raw % 100,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_error_names_the_library() {
        let err = open_library("libnvinfer.so.97", 97).expect_err("no such library here");
        let text = err.to_string();
        assert!(text.contains("libnvinfer.so.97"), "{text}");
        assert!(text.contains("TensorRT 97.x"), "{text}");
    }

    #[test]
    fn probing_a_missing_major_names_the_library() {
        let err = probe_infer_library(97).expect_err("no TensorRT 97 here");
        assert!(err.to_string().contains("libnvinfer.so.97"), "{err}");
        let err = probe_onnx_parser_library(97).expect_err("no TensorRT 97 here");
        assert!(err.to_string().contains("libnvonnxparser.so.97"), "{err}");
    }

    #[test]
    fn parser_versions_use_their_own_encoding() {
        // NvOnnxParser.h of TensorRT 10.16: NV_ONNX_PARSER 0.1.0, encoded as 100.
        assert_eq!(parser_version(100).unwrap().to_string(), "0.1.0");
        assert_eq!(parser_version(10_203).unwrap().to_string(), "1.2.3");
        assert_eq!(parser_version(-1), None);
    }

    #[test]
    fn a_library_without_the_version_function_is_a_typed_error() {
        let libc = open_library("libc.so.6", 0).expect("libc");
        let err = read_version(&libc, "libc.so.6", "getInferLibVersion").expect_err("not TensorRT");
        assert!(matches!(err, TrtError::SymbolMissing { .. }), "{err:?}");
    }

    #[test]
    fn load_fails_cleanly_without_tensorrt() {
        // No TensorRT is installed on the build machines: loading must be an error, never a panic.
        match TensorRt::load() {
            Ok(trt) => eprintln!(
                "TensorRT {} is installed here; nothing to check",
                trt.version()
            ),
            Err(e) => {
                let text = e.to_string();
                if crate::SHIM_COMPILED {
                    assert!(text.contains("libnvinfer.so."), "{text}");
                } else {
                    assert!(
                        text.contains("TensorRT headers were not found at build time"),
                        "{text}"
                    );
                }
            }
        }
    }

    #[cfg(trt_shim)]
    #[test]
    fn header_version_is_10_or_11() {
        let v = TensorRt::header_version().unwrap();
        assert!(v.major == 10 || v.major == 11, "{v}");
        // scripts/check-tensorrt-shim says which headers it compiled against.
        if let Ok(expected) = std::env::var("SMOOTHSCALE_EXPECT_TRT_MAJOR") {
            assert_eq!(
                v.major.to_string(),
                expected,
                "shim compiled against {}",
                crate::HEADERS_DIR
            );
        }
    }
}
