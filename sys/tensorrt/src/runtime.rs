//! Running engines: runtime, deserialized engine, I/O tensors, execution context.

use std::ffi::{c_void, CStr, CString};
use std::ptr::NonNull;
use std::rc::Rc;

use crate::error::TrtError;
use crate::ffi;
use crate::library::{Api, TensorRt};
use crate::logger::Logger;

/// Direction of an engine I/O tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoMode {
    /// Fed by us.
    Input,
    /// Written by the engine.
    Output,
}

/// Element type of a tensor (TensorRT `DataType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    /// 32-bit float.
    F32,
    /// 16-bit float.
    F16,
    /// bfloat16.
    Bf16,
    /// 8-bit float (E4M3).
    Fp8,
    /// 8-bit signed integer.
    I8,
    /// 8-bit unsigned integer.
    U8,
    /// 32-bit signed integer.
    I32,
    /// 64-bit signed integer.
    I64,
    /// Boolean.
    Bool,
    /// A type this wrapper does not know (the raw TensorRT value).
    Other(i32),
}

impl DataType {
    /// From TensorRT's `DataType` value (identical in 10.x and 11.x).
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            0 => DataType::F32,
            1 => DataType::F16,
            2 => DataType::I8,
            3 => DataType::I32,
            4 => DataType::Bool,
            5 => DataType::U8,
            6 => DataType::Fp8,
            7 => DataType::Bf16,
            8 => DataType::I64,
            other => DataType::Other(other),
        }
    }
}

/// One engine I/O tensor: name, direction, element type and shape (-1 = dynamic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Tensor name, as in the ONNX graph.
    pub name: String,
    /// Input or output.
    pub mode: IoMode,
    /// Element type.
    pub dtype: DataType,
    /// Dimensions; -1 where the engine takes any size within its profile.
    pub shape: Vec<i64>,
}

/// Converts a shape to the shim's fixed-size form; `None` when it has too many dimensions.
pub(crate) fn to_dims(shape: &[i64]) -> Option<ffi::trt_dims> {
    let max = ffi::TRT_SHIM_MAX_DIMS as usize;
    if shape.len() > max {
        return None;
    }
    let mut dims = ffi::trt_dims {
        nb_dims: shape.len() as i32,
        d: [0; ffi::TRT_SHIM_MAX_DIMS as usize],
    };
    dims.d[..shape.len()].copy_from_slice(shape);
    Some(dims)
}

/// Converts the shim's shape back; a negative count (unknown rank) gives an empty shape.
pub(crate) fn from_dims(dims: &ffi::trt_dims) -> Vec<i64> {
    let n = usize::try_from(dims.nb_dims).unwrap_or(0).min(dims.d.len());
    dims.d[..n].to_vec()
}

pub(crate) fn c_name(name: &str) -> Result<CString, TrtError> {
    CString::new(name).map_err(|_| TrtError::BadTensorName(name.to_string()))
}

struct RuntimeHandle {
    ptr: NonNull<ffi::trt_runtime>,
    api: Rc<Api>,
    _logger: &'static Logger,
}

impl Drop for RuntimeHandle {
    fn drop(&mut self) {
        // SAFETY: created by trt_runtime_create and destroyed once; engines hold an Rc to this
        // handle, so none outlives the runtime.
        crate::shim!(self.api, unsafe {
            ffi::trt_runtime_destroy(self.ptr.as_ptr())
        })
    }
}

/// A TensorRT runtime: deserializes plans into engines.
pub struct Runtime {
    handle: Rc<RuntimeHandle>,
}

impl Runtime {
    /// Creates a runtime whose messages go to the `log` crate.
    pub fn new(trt: &TensorRt) -> Result<Self, TrtError> {
        crate::shim!(trt.api, {
            let logger = Logger::process()?;
            // SAFETY: the factory pointer comes from the loaded library kept alive by `api`; the
            // process's logger is never destroyed, so it outlives the runtime.
            let ptr =
                unsafe { ffi::trt_runtime_create(trt.api.create_runtime, logger.ptr.as_ptr()) };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("create a runtime"))?;
            Ok(Runtime {
                handle: Rc::new(RuntimeHandle {
                    ptr,
                    api: trt.api.clone(),
                    _logger: logger,
                }),
            })
        })
    }

    /// Deserializes a plan (for example a memory-mapped `.plan` file). TensorRT copies what it
    /// needs, so `plan` may be dropped afterwards.
    pub fn deserialize(&self, plan: &[u8]) -> Result<Engine, TrtError> {
        let h = &self.handle;
        crate::shim!(h.api, {
            // SAFETY: `plan` is a valid slice for the duration of the call; the runtime is live.
            let ptr = unsafe {
                ffi::trt_runtime_deserialize(h.ptr.as_ptr(), plan.as_ptr().cast(), plan.len())
            };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("deserialize the engine plan"))?;
            Ok(Engine {
                handle: Rc::new(EngineHandle {
                    ptr,
                    runtime: h.clone(),
                }),
            })
        })
    }
}

struct EngineHandle {
    ptr: NonNull<ffi::trt_engine>,
    runtime: Rc<RuntimeHandle>,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        // SAFETY: created by trt_runtime_deserialize, destroyed once, before its runtime (we hold
        // an Rc to it) and after every context (they hold an Rc to us).
        crate::shim!(self.runtime.api, unsafe {
            ffi::trt_engine_destroy(self.ptr.as_ptr())
        })
    }
}

/// A deserialized engine.
pub struct Engine {
    handle: Rc<EngineHandle>,
}

impl Engine {
    /// Every I/O tensor with its direction, type and shape.
    pub fn io_tensors(&self) -> Vec<TensorInfo> {
        let h = &self.handle;
        crate::shim!(h.runtime.api, {
            let engine = h.ptr.as_ptr();
            // SAFETY: `engine` is live; names returned by TensorRT live as long as the engine and
            // are copied before we return.
            unsafe {
                let count = ffi::trt_engine_num_io_tensors(engine);
                let mut out = Vec::new();
                for i in 0..count {
                    let name = ffi::trt_engine_io_tensor_name(engine, i);
                    if name.is_null() {
                        continue;
                    }
                    let mode = match ffi::trt_engine_tensor_mode(engine, name) {
                        1 => IoMode::Input,
                        2 => IoMode::Output,
                        _ => continue,
                    };
                    let dtype = DataType::from_raw(ffi::trt_engine_tensor_dtype(engine, name));
                    let mut dims = ffi::trt_dims {
                        nb_dims: 0,
                        d: [0; ffi::TRT_SHIM_MAX_DIMS as usize],
                    };
                    ffi::trt_engine_tensor_shape(engine, name, &mut dims);
                    let name = CStr::from_ptr(name).to_string_lossy().into_owned();
                    out.push(TensorInfo {
                        name,
                        mode,
                        dtype,
                        shape: from_dims(&dims),
                    });
                }
                out
            }
        })
    }

    /// Number of optimization profiles the engine was built with.
    pub fn num_profiles(&self) -> usize {
        let h = &self.handle;
        // SAFETY: the engine is live.
        crate::shim!(
            h.runtime.api,
            unsafe { ffi::trt_engine_num_profiles(h.ptr.as_ptr()) }.max(0) as usize
        )
    }

    /// The scratch (activation) memory each execution context of the engine allocates, in
    /// bytes; `None` when TensorRT cannot say.
    pub fn device_memory_size(&self) -> Option<u64> {
        let h = &self.handle;
        // SAFETY: the engine is live.
        crate::shim!(
            h.runtime.api,
            u64::try_from(unsafe { ffi::trt_engine_device_memory_size(h.ptr.as_ptr()) }).ok()
        )
    }

    /// A new execution context (TensorRT allocates its scratch memory).
    pub fn create_context(&self) -> Result<ExecutionContext, TrtError> {
        let h = &self.handle;
        crate::shim!(h.runtime.api, {
            // SAFETY: the engine is live; the context holds an Rc to it.
            let ptr = unsafe { ffi::trt_engine_create_context(h.ptr.as_ptr()) };
            let ptr = NonNull::new(ptr).ok_or(TrtError::Failed("create an execution context"))?;
            Ok(ExecutionContext {
                ptr,
                engine: h.clone(),
            })
        })
    }
}

/// An execution context: shapes, tensor addresses and enqueue on a CUDA stream.
pub struct ExecutionContext {
    ptr: NonNull<ffi::trt_context>,
    engine: Rc<EngineHandle>,
}

impl ExecutionContext {
    fn check(&self, ok: i32, what: &'static str) -> Result<(), TrtError> {
        if ok != 0 {
            Ok(())
        } else {
            Err(TrtError::Failed(what))
        }
    }

    /// Selects optimization profile `index`, ordered on `stream` (a `cudaStream_t`/`CUstream`).
    ///
    /// # Safety
    /// `stream` must be a valid CUDA stream of the context current on this thread (or null for
    /// the default stream).
    pub unsafe fn set_profile(
        &mut self,
        index: usize,
        stream: *mut c_void,
    ) -> Result<(), TrtError> {
        let index =
            i32::try_from(index).map_err(|_| TrtError::Failed("select an optimization profile"))?;
        // SAFETY: the context is live; the caller vouches for the stream.
        let ok = crate::shim!(self.engine.runtime.api, unsafe {
            ffi::trt_context_set_profile(self.ptr.as_ptr(), index, stream)
        });
        self.check(ok, "select an optimization profile")
    }

    /// Sets the shape of a dynamic input.
    pub fn set_input_shape(&mut self, name: &str, shape: &[i64]) -> Result<(), TrtError> {
        let c = c_name(name)?;
        let dims = to_dims(shape).ok_or_else(|| TrtError::BadTensorName(name.to_string()))?;
        // SAFETY: the context is live, `c` and `dims` outlive the call.
        let ok = crate::shim!(self.engine.runtime.api, unsafe {
            ffi::trt_context_set_input_shape(self.ptr.as_ptr(), c.as_ptr(), &dims)
        });
        self.check(ok, "set an input shape")
    }

    /// The shape of an I/O tensor as this context resolves it: an input's set shape, or an
    /// output's shape once every dynamic input has one. `None` when the engine has no such tensor.
    pub fn tensor_shape(&self, name: &str) -> Result<Option<Vec<i64>>, TrtError> {
        let c = c_name(name)?;
        crate::shim!(self.engine.runtime.api, {
            let mut dims = ffi::trt_dims {
                nb_dims: 0,
                d: [0; ffi::TRT_SHIM_MAX_DIMS as usize],
            };
            // SAFETY: the context is live; `c` and `dims` outlive the call, which writes only
            // `dims`.
            let ok =
                unsafe { ffi::trt_context_tensor_shape(self.ptr.as_ptr(), c.as_ptr(), &mut dims) };
            Ok((ok != 0).then(|| from_dims(&dims)))
        })
    }

    /// Binds a device buffer to a tensor.
    ///
    /// # Safety
    /// `address` must be device memory large enough for the tensor at its current shape, and
    /// stay valid until every enqueue using it has completed on its stream.
    pub unsafe fn set_tensor_address(
        &mut self,
        name: &str,
        address: *mut c_void,
    ) -> Result<(), TrtError> {
        let c = c_name(name)?;
        // SAFETY: the context is live, `c` outlives the call; the caller vouches for `address`.
        let ok = crate::shim!(self.engine.runtime.api, unsafe {
            ffi::trt_context_set_tensor_address(self.ptr.as_ptr(), c.as_ptr(), address)
        });
        self.check(ok, "bind a tensor address")
    }

    /// Enqueues inference on `stream` (a `cudaStream_t`/`CUstream`).
    ///
    /// # Safety
    /// `stream` must be a valid CUDA stream of the current context; every bound address must be
    /// valid until the work completes.
    pub unsafe fn enqueue(&mut self, stream: *mut c_void) -> Result<(), TrtError> {
        // SAFETY: the context is live; the caller vouches for the stream and the buffers.
        let ok = crate::shim!(self.engine.runtime.api, unsafe {
            ffi::trt_context_enqueue_v3(self.ptr.as_ptr(), stream)
        });
        self.check(ok, "enqueue inference")
    }
}

impl Drop for ExecutionContext {
    fn drop(&mut self) {
        // SAFETY: created by trt_engine_create_context and destroyed once, before its engine.
        crate::shim!(self.engine.runtime.api, unsafe {
            ffi::trt_context_destroy(self.ptr.as_ptr())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_round_trip_and_limit() {
        let dims = to_dims(&[1, 3, -1, 1920]).unwrap();
        assert_eq!(dims.nb_dims, 4);
        assert_eq!(from_dims(&dims), vec![1, 3, -1, 1920]);
        assert!(to_dims(&[1; 9]).is_none());
        let unknown = ffi::trt_dims {
            nb_dims: -1,
            d: [0; 8],
        };
        assert!(from_dims(&unknown).is_empty());
    }

    #[test]
    fn data_types_decode() {
        assert_eq!(DataType::from_raw(1), DataType::F16);
        assert_eq!(DataType::from_raw(7), DataType::Bf16);
        assert_eq!(DataType::from_raw(11), DataType::Other(11));
    }

    #[test]
    fn tensor_names_with_nul_are_rejected() {
        assert!(matches!(c_name("a\0b"), Err(TrtError::BadTensorName(_))));
    }
}
