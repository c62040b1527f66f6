//! The ONNX parser library (`libnvonnxparser.so.<major>`) and its errors.

use std::ffi::{c_void, CStr};
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::error::TrtError;
use crate::ffi;
use crate::library::{check_version, open_library, TensorRt};
use crate::version::library_names;

/// One ONNX parser error, with the node it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParserError {
    /// nvonnxparser ErrorCode value.
    pub code: i32,
    /// Index of the node in the graph, -1 when unknown.
    pub node: i32,
    /// Node name ("" when unknown).
    pub node_name: String,
    /// Node operator type ("" when unknown).
    pub node_operator: String,
    /// The parser's description.
    pub desc: String,
}

impl fmt::Display for ParserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.node >= 0 {
            write!(
                f,
                "node {} {:?} ({}): ",
                self.node, self.node_name, self.node_operator
            )?;
        }
        write!(f, "{} (code {})", self.desc, self.code)
    }
}

/// `libnvonnxparser.so.<major>`, opened at run time.
pub struct OnnxParserLibrary {
    pub(crate) create: ffi::trt_create_parser_fn,
    pub(crate) library: Rc<libloading::Library>,
}

impl OnnxParserLibrary {
    /// Opens the ONNX parser matching the loaded TensorRT.
    pub fn load(trt: &TensorRt) -> Result<Self, TrtError> {
        crate::shim!(trt.api, {
            let headers = trt.api.headers;
            let (_, name) = library_names(headers.major);
            let library = open_library(&name, headers.major)?;
            check_version(&library, &name, headers)?;
            // SAFETY: nvonnxparser declares `extern "C" void* createNvOnnxParser_INTERNAL(void*
            // network, void* logger, int version)`; the pointer lives as long as `library`, which
            // this struct keeps.
            let create = unsafe {
                library.get::<unsafe extern "C" fn(*mut c_void, *mut c_void, i32) -> *mut c_void>(
                    b"createNvOnnxParser_INTERNAL\0",
                )
            }
            .map(|f| *f)
            .map_err(|e| TrtError::SymbolMissing {
                library: name.clone(),
                symbol: "createNvOnnxParser_INTERNAL".to_string(),
                reason: e.to_string(),
            })?;
            Ok(OnnxParserLibrary {
                create: Some(create),
                library: Rc::new(library),
            })
        })
    }
}

/// A live ONNX parser and the library its code lives in.
pub(crate) struct ParserHandle {
    pub(crate) ptr: NonNull<ffi::trt_parser>,
    pub(crate) _library: Rc<libloading::Library>,
}

/// Copies a C string the parser owns; "" for null.
///
/// # Safety
/// `p` is null or a NUL-terminated string valid for the call.
#[cfg_attr(not(trt_shim), allow(dead_code))]
pub(crate) unsafe fn owned(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_errors_name_the_node() {
        let e = ParserError {
            code: 8,
            node: 42,
            node_name: "/block0/GridSample".into(),
            node_operator: "GridSample".into(),
            desc: "unsupported padding mode".into(),
        };
        let text = TrtError::Parse(vec![e]).to_string();
        assert!(
            text.contains("node 42 \"/block0/GridSample\" (GridSample)"),
            "{text}"
        );
        assert!(text.contains("unsupported padding mode"), "{text}");
    }
}
