//! Building engines from our ONNX graphs: builder, network, config, optimization profiles.

use std::ffi::CString;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::error::TrtError;
use crate::ffi;
use crate::library::{Api, TensorRt};
use crate::logger::Logger;
use crate::parser::{owned, OnnxParserLibrary, ParserError, ParserHandle};
use crate::runtime::{c_name, to_dims};

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

struct BuilderHandle {
    ptr: NonNull<ffi::trt_builder>,
    api: Rc<Api>,
    logger: &'static Logger,
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
            let logger = Logger::process()?;
            // SAFETY: factory from the library kept alive by `api`; the process's logger is never
            // destroyed, so it outlives the builder.
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
                parser: None,
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
                timing_cache: None,
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
                take_host_memory(mem).ok_or(TrtError::Failed("serialize the engine"))
            }
        })
    }
}

/// A network definition, filled by the ONNX parser.
///
/// The ONNX parser owns the weights the network refers to, so a network keeps its parser (and the
/// parser's library) alive until it is dropped.
pub struct Network {
    parser: Option<ParserHandle>,
    ptr: NonNull<ffi::trt_network>,
    builder: Rc<BuilderHandle>,
}

impl Network {
    /// Parses a serialized ONNX model into this network (once per network). Errors name the
    /// failing nodes.
    pub fn parse_onnx(
        &mut self,
        parsers: &OnnxParserLibrary,
        model: &[u8],
    ) -> Result<(), TrtError> {
        if self.parser.is_some() {
            return Err(TrtError::Failed(
                "parse a second graph into the same network",
            ));
        }
        let b = &self.builder;
        crate::shim!(b.api, {
            // SAFETY: network and logger are live and outlive the parser (it is stored in `self`
            // and destroyed first in Drop, or below on failure); the error strings are copied
            // before the parser can be destroyed.
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
                if ok == 0 || !errors.is_empty() {
                    ffi::trt_parser_destroy(parser);
                    return Err(TrtError::Parse(errors));
                }
                self.parser = NonNull::new(parser).map(|ptr| ParserHandle {
                    ptr,
                    _library: parsers.library.clone(),
                });
                Ok(())
            }
        })
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let parser = self.parser.take();
        // SAFETY: the parser (if any) was created by trt_parser_create for this network and is
        // destroyed once, while its library is still loaded (`p._library`); then the network,
        // created by trt_builder_create_network, is destroyed once, before its builder.
        crate::shim!(self.builder.api, unsafe {
            if let Some(p) = parser {
                ffi::trt_parser_destroy(p.ptr.as_ptr());
            }
            ffi::trt_network_destroy(self.ptr.as_ptr())
        })
    }
}

/// Builder settings: workspace, optimization level, precision, optimization profiles.
pub struct BuilderConfig {
    ptr: NonNull<ffi::trt_config>,
    /// The attached timing cache; TensorRT needs it alive until the build is done.
    timing_cache: Option<NonNull<ffi::trt_timing_cache>>,
    builder: Rc<BuilderHandle>,
}

/// Copies and frees a TensorRT host buffer; `None` when it is empty.
///
/// # Safety
/// `mem` is a live host memory object from the shim, not used afterwards.
#[cfg_attr(not(trt_shim), allow(dead_code))]
unsafe fn take_host_memory(mem: *mut ffi::trt_host_memory) -> Option<Vec<u8>> {
    #[cfg(trt_shim)]
    {
        // SAFETY: `mem` is live (caller); its data pointer and size describe one buffer, copied
        // before the object is destroyed exactly once.
        unsafe {
            let data = ffi::trt_host_memory_data(mem).cast::<u8>();
            let size = ffi::trt_host_memory_size(mem);
            let bytes = (!data.is_null()).then(|| std::slice::from_raw_parts(data, size).to_vec());
            ffi::trt_host_memory_destroy(mem);
            bytes.filter(|b| !b.is_empty())
        }
    }
    #[cfg(not(trt_shim))]
    {
        None
    }
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

    /// Allows reduced-precision kernels. With TensorRT 11 only [`Precision::AsGraph`] is valid;
    /// with TensorRT 10 a strongly typed network also needs [`Precision::AsGraph`] (TensorRT
    /// rejects precision flags on strongly typed networks when building).
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

impl BuilderConfig {
    /// Attaches a timing cache, so builds reuse earlier kernel timings and extend them.
    /// `previous` is what [`BuilderConfig::timing_cache`] saved (empty: start a new cache).
    /// Returns `false` when TensorRT rejected `previous` (another GPU or TensorRT) and a new,
    /// empty cache is used instead.
    pub fn set_timing_cache(&mut self, previous: &[u8]) -> Result<bool, TrtError> {
        crate::shim!(self.builder.api, {
            let config = self.ptr.as_ptr();
            // SAFETY: the config is live; `blob` is valid for the calls. Every cache created here
            // is either stored in `self.timing_cache` (destroyed in Drop, after the config) or
            // destroyed at once.
            let attach = |blob: &[u8]| unsafe {
                let cache =
                    ffi::trt_config_create_timing_cache(config, blob.as_ptr().cast(), blob.len());
                let cache = NonNull::new(cache)?;
                if ffi::trt_config_set_timing_cache(config, cache.as_ptr()) != 0 {
                    Some(cache)
                } else {
                    ffi::trt_timing_cache_destroy(cache.as_ptr());
                    None
                }
            };
            let (cache, reused) = match attach(previous) {
                Some(c) => (c, !previous.is_empty()),
                None => (
                    attach(&[]).ok_or(TrtError::Failed("create a timing cache"))?,
                    false,
                ),
            };
            if let Some(old) = self.timing_cache.replace(cache) {
                // SAFETY: the old cache was created for this config and is no longer attached.
                unsafe { ffi::trt_timing_cache_destroy(old.as_ptr()) };
            }
            Ok(reused)
        })
    }

    /// The attached timing cache, serialized (to save beside the engines after a build).
    pub fn timing_cache(&self) -> Result<Vec<u8>, TrtError> {
        let cache = self.timing_cache.ok_or(TrtError::Failed(
            "serialize a timing cache that was never attached",
        ))?;
        crate::shim!(self.builder.api, {
            // SAFETY: the cache is live (owned by self); the host memory is taken exactly once.
            unsafe {
                let mem = ffi::trt_timing_cache_serialize(cache.as_ptr());
                if mem.is_null() {
                    return Err(TrtError::Failed("serialize the timing cache"));
                }
                take_host_memory(mem).ok_or(TrtError::Failed("serialize the timing cache"))
            }
        })
    }
}

impl Drop for BuilderConfig {
    fn drop(&mut self) {
        let cache = self.timing_cache.take();
        // SAFETY: the config was created by trt_builder_create_config and is destroyed once,
        // before its builder; then its timing cache (if any), created for it, is destroyed once.
        crate::shim!(self.builder.api, unsafe {
            ffi::trt_config_destroy(self.ptr.as_ptr());
            if let Some(c) = cache {
                ffi::trt_timing_cache_destroy(c.as_ptr());
            }
        })
    }
}
