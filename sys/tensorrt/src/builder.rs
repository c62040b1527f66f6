//! Building engines from our ONNX graphs: builder, network, ONNX parser, config, profiles.

use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::error::TrtError;
use crate::ffi;
use crate::library::{check_version, open_library, Api, TensorRt};
use crate::logger::Logger;
use crate::runtime::{c_name, to_dims};
use crate::version::library_names;

/// Builder precision request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// The graph's own types (fp32 unless the graph casts): no builder flag.
    AsGraph,
    /// Allow fp16 kernels (TensorRT 10 `kFP16`).
    Fp16,
    /// Allow bf16 kernels (TensorRT 10 `kBF16`).
    Bf16,
}

/// Minimum, optimum and maximum shapes of one input in an optimization profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileShape {
    /// Input tensor name.
    pub input: String,
    /// Smallest shape the engine accepts.
    pub min: Vec<i64>,
    /// Shape TensorRT tunes for.
    pub opt: Vec<i64>,
    /// Largest shape the engine accepts.
    pub max: Vec<i64>,
}

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
    create: ffi::trt_create_parser_fn,
    _library: libloading::Library,
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
                _library: library,
            })
        })
    }
}

struct BuilderHandle {
    ptr: NonNull<ffi::trt_builder>,
    api: Rc<Api>,
    logger: Rc<Logger>,
}

impl Drop for BuilderHandle {
    fn drop(&mut self) {
        // SAFETY: created by trt_builder_create, destroyed once, after every network and config
        // (they hold an Rc to this handle).
        crate::shim!(self.api, unsafe {
            ffi::trt_builder_destroy(self.ptr.as_ptr())
        })
    }
}

/// A TensorRT builder.
pub struct Builder {
    handle: Rc<BuilderHandle>,
}

impl Builder {
    /// Creates a builder whose messages go to the `log` crate.
    pub fn new(trt: &TensorRt) -> Result<Self, TrtError> {
        crate::shim!(trt.api, {
            let logger = Rc::new(Logger::new()?);
            // SAFETY: factory from the library kept alive by `api`; the logger outlives the builder.
            let ptr =
                unsafe { ffi::trt_builder_create(trt.api.create_builder, logger.ptr.as_ptr()) };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("create a builder"))?;
            Ok(Builder {
                handle: Rc::new(BuilderHandle {
                    ptr,
                    api: trt.api.clone(),
                    logger,
                }),
            })
        })
    }

    /// An empty network; strongly typed when asked (always, with TensorRT 11).
    pub fn network(&self, strongly_typed: bool) -> Result<Network, TrtError> {
        let h = &self.handle;
        crate::shim!(h.api, {
            // SAFETY: the builder is live; the network holds an Rc to it.
            let ptr = unsafe {
                ffi::trt_builder_create_network(h.ptr.as_ptr(), i32::from(strongly_typed))
            };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("create a network"))?;
            Ok(Network {
                ptr,
                builder: h.clone(),
            })
        })
    }

    /// A builder configuration.
    pub fn config(&self) -> Result<BuilderConfig, TrtError> {
        let h = &self.handle;
        crate::shim!(h.api, {
            // SAFETY: the builder is live; the config holds an Rc to it.
            let ptr = unsafe { ffi::trt_builder_create_config(h.ptr.as_ptr()) };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("create a builder config"))?;
            Ok(BuilderConfig {
                ptr,
                builder: h.clone(),
            })
        })
    }

    /// Builds and serializes an engine plan. Takes minutes for real models.
    pub fn build(&self, network: &Network, config: &BuilderConfig) -> Result<Vec<u8>, TrtError> {
        let h = &self.handle;
        crate::shim!(h.api, {
            // SAFETY: builder, network and config are live; the host memory is copied into a Vec
            // and destroyed before we return.
            unsafe {
                let mem = ffi::trt_builder_build_serialized(
                    h.ptr.as_ptr(),
                    network.ptr.as_ptr(),
                    config.ptr.as_ptr(),
                );
                if mem.is_null() {
                    return Err(TrtError::Failed("build the engine"));
                }
                let data = ffi::trt_host_memory_data(mem).cast::<u8>();
                let size = ffi::trt_host_memory_size(mem);
                let plan = if data.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(data, size).to_vec()
                };
                ffi::trt_host_memory_destroy(mem);
                if plan.is_empty() {
                    return Err(TrtError::Failed("serialize the engine"));
                }
                Ok(plan)
            }
        })
    }
}

/// A network definition, filled by the ONNX parser.
pub struct Network {
    ptr: NonNull<ffi::trt_network>,
    builder: Rc<BuilderHandle>,
}

impl Network {
    /// Parses a serialized ONNX model into this network. Errors name the failing nodes.
    pub fn parse_onnx(
        &mut self,
        parsers: &OnnxParserLibrary,
        model: &[u8],
    ) -> Result<(), TrtError> {
        let b = &self.builder;
        crate::shim!(b.api, {
            // SAFETY: network and logger are live and outlive the parser, destroyed below; the
            // error strings are copied before the parser is destroyed.
            unsafe {
                let parser = ffi::trt_parser_create(
                    parsers.create,
                    self.ptr.as_ptr(),
                    b.logger.ptr.as_ptr(),
                );
                if parser.is_null() {
                    return Err(TrtError::Failed("create an ONNX parser"));
                }
                let ok = ffi::trt_parser_parse(
                    parser,
                    model.as_ptr().cast(),
                    model.len(),
                    std::ptr::null(),
                );
                let mut errors = Vec::new();
                for i in 0..ffi::trt_parser_num_errors(parser) {
                    let mut e: ffi::trt_parser_error = std::mem::zeroed();
                    if ffi::trt_parser_error_at(parser, i, &mut e) != 0 {
                        errors.push(ParserError {
                            code: e.code,
                            node: e.node,
                            node_name: owned(e.node_name),
                            node_operator: owned(e.node_operator),
                            desc: owned(e.desc),
                        });
                    }
                }
                ffi::trt_parser_destroy(parser);
                if ok == 0 || !errors.is_empty() {
                    return Err(TrtError::Parse(errors));
                }
                Ok(())
            }
        })
    }
}

/// Copies a C string the parser owns; "" for null.
///
/// # Safety
/// `p` is null or a NUL-terminated string valid for the call.
#[cfg_attr(not(trt_shim), allow(dead_code))]
unsafe fn owned(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        // SAFETY: created by trt_builder_create_network, destroyed once, before its builder.
        crate::shim!(self.builder.api, unsafe {
            ffi::trt_network_destroy(self.ptr.as_ptr())
        })
    }
}

/// Builder settings: workspace, optimization level, precision, optimization profiles.
pub struct BuilderConfig {
    ptr: NonNull<ffi::trt_config>,
    builder: Rc<BuilderHandle>,
}

impl BuilderConfig {
    /// Limits the builder's workspace memory pool.
    pub fn set_workspace_limit(&mut self, bytes: usize) {
        // SAFETY: the config is live.
        crate::shim!(self.builder.api, unsafe {
            ffi::trt_config_set_workspace_limit(self.ptr.as_ptr(), bytes)
        })
    }

    /// Builder optimization level, 0 (fast build) to 5 (slowest build, best tactics).
    pub fn set_optimization_level(&mut self, level: u8) {
        let level = i32::from(level.min(5));
        // SAFETY: the config is live.
        crate::shim!(self.builder.api, unsafe {
            ffi::trt_config_set_optimization_level(self.ptr.as_ptr(), level)
        })
    }

    /// Allows reduced-precision kernels. With TensorRT 11 only [`Precision::AsGraph`] is valid.
    pub fn set_precision(&mut self, precision: Precision) -> Result<(), TrtError> {
        let (flags, name) = match precision {
            Precision::AsGraph => (0, "fp32"),
            Precision::Fp16 => (ffi::TRT_SHIM_PRECISION_FP16 as i32, "fp16"),
            Precision::Bf16 => (ffi::TRT_SHIM_PRECISION_BF16 as i32, "bf16"),
        };
        crate::shim!(self.builder.api, {
            // SAFETY: the config is live.
            if unsafe { ffi::trt_config_set_precision(self.ptr.as_ptr(), flags) } != 0 {
                Ok(())
            } else {
                Err(TrtError::PrecisionUnsupported(
                    self.builder.api.version,
                    name,
                ))
            }
        })
    }

    /// Adds an optimization profile covering `shapes`; returns its index.
    pub fn add_profile(&mut self, shapes: &[ProfileShape]) -> Result<usize, TrtError> {
        let names: Vec<CString> = shapes
            .iter()
            .map(|s| c_name(&s.input))
            .collect::<Result<_, _>>()?;
        let mut entries = Vec::with_capacity(shapes.len());
        for (s, name) in shapes.iter().zip(&names) {
            let dims =
                |d: &[i64]| to_dims(d).ok_or_else(|| TrtError::BadTensorName(s.input.clone()));
            entries.push(ffi::trt_profile_shape {
                input_name: name.as_ptr(),
                min: dims(&s.min)?,
                opt: dims(&s.opt)?,
                max: dims(&s.max)?,
            });
        }
        crate::shim!(self.builder.api, {
            // SAFETY: builder and config are live; `entries` and the names they point to outlive
            // the call.
            let index = unsafe {
                ffi::trt_config_add_profile(
                    self.builder.ptr.as_ptr(),
                    self.ptr.as_ptr(),
                    entries.as_ptr(),
                    entries.len(),
                )
            };
            usize::try_from(index).map_err(|_| TrtError::Failed("add the optimization profile"))
        })
    }
}

impl Drop for BuilderConfig {
    fn drop(&mut self) {
        // SAFETY: created by trt_builder_create_config, destroyed once, before its builder.
        crate::shim!(self.builder.api, unsafe {
            ffi::trt_config_destroy(self.ptr.as_ptr())
        })
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
