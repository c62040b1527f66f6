//! A TensorRT inference stage on device buffers: a cached engine loaded (manifest checked, plan
//! memory-mapped), its interface checked, and each call binding cudarc buffers to the engine's
//! tensors by name, with shape checks, enqueued on a CUDA stream. Not yet run on a GPU.
//!
//! CUDA-graph capture of the enqueue is not done: the shim has no capture entry point yet.

use std::ffi::c_void;
use std::fs::File;
use std::path::PathBuf;

use cudarc::driver::{
    CudaSlice, CudaStream, CudaView, CudaViewMut, DevicePtr, DevicePtrMut, DeviceRepr, DriverError,
};
use smoothscale_tensorrt_sys::{
    DataType, Engine, ExecutionContext, IoMode, Runtime, TensorInfo, TensorRt, TrtError,
};

use super::cache::{CacheDecision, EngineCache, EngineKey};
use super::interface::{
    check_all_bound, check_buffer, check_engine, check_input_shape, find, InterfaceError,
};

/// Why a stage could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// No engine in the cache for this entry.
    #[error("no engine {stem} in {dir}: build it with `smoothscale engine-build`")]
    NotBuilt {
        /// The entry.
        stem: String,
        /// The cache folder.
        dir: PathBuf,
    },
    /// The cached engine does not match what is needed.
    #[error("the engine {stem} must be rebuilt with `smoothscale engine-build`: {reason}")]
    Stale {
        /// The entry.
        stem: String,
        /// Why.
        reason: String,
    },
    /// The plan could not be mapped.
    #[error("cannot map {path}: {source}")]
    Io {
        /// The plan.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TensorRT failed.
    #[error(transparent)]
    TensorRt(#[from] TrtError),
    /// A CUDA call failed.
    #[error("CUDA: {0}")]
    Cuda(#[from] DriverError),
    /// The engine, manifest and buffers disagree.
    #[error(transparent)]
    Interface(#[from] InterfaceError),
}

/// An element type the stage can bind: `f32` for fp32 I/O, `u16` holding fp16 bits.
pub trait TensorElement: DeviceRepr {
    /// The TensorRT type of such a buffer.
    const DTYPE: DataType;
}

impl TensorElement for f32 {
    const DTYPE: DataType = DataType::F32;
}

impl TensorElement for u16 {
    const DTYPE: DataType = DataType::F16;
}

/// One input of a call: tensor name, shape and buffer.
pub struct Input<'a, T> {
    /// Tensor name.
    pub name: &'a str,
    /// Its shape for this call (within the engine's profile).
    pub shape: &'a [i64],
    /// The device buffer.
    pub buffer: &'a CudaSlice<T>,
}

/// One input of a call on a view of device memory (part of a larger buffer, or a typed view of
/// a frame's bytes).
pub struct ViewInput<'a, T> {
    /// Tensor name.
    pub name: &'a str,
    /// Its shape for this call (within the engine's profile).
    pub shape: &'a [i64],
    /// The device memory.
    pub buffer: CudaView<'a, T>,
}

/// A loaded engine and its execution context.
pub struct TensorRtStage {
    key: EngineKey,
    io: Vec<TensorInfo>,
    // Dropped in this order: the context before its engine, the engine before its runtime.
    context: ExecutionContext,
    _engine: Engine,
    _runtime: Runtime,
}

impl TensorRtStage {
    /// Loads cache entry `stem` if its manifest matches `key` (see [`EngineCache::decide`]):
    /// the plan is memory-mapped, deserialized, and its I/O checked against the key's inputs.
    pub fn load(
        trt: &TensorRt,
        cache: &EngineCache,
        stem: &str,
        key: &EngineKey,
    ) -> Result<Self, StageError> {
        let plan = match cache.decide(stem, key) {
            CacheDecision::Hit { plan } => plan,
            CacheDecision::Miss => {
                return Err(StageError::NotBuilt {
                    stem: stem.into(),
                    dir: cache.dir().to_path_buf(),
                })
            }
            CacheDecision::Rebuild { reason } => {
                return Err(StageError::Stale {
                    stem: stem.into(),
                    reason,
                })
            }
        };
        let io_err = |source| StageError::Io {
            path: plan.clone(),
            source,
        };
        let file = File::open(&plan).map_err(io_err)?;
        // SAFETY: the mapping is read-only and dropped at the end of this function, after
        // TensorRT has copied the plan. The cache replaces plans by renaming a new file over the
        // old name, which leaves this file's pages unchanged; truncating it in place while we read
        // would be undefined behaviour, which nothing in smoothscale does.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
        let runtime = Runtime::new(trt)?;
        let engine = runtime.deserialize(&map)?;
        drop(map);
        let io = engine.io_tensors();
        check_engine(&key.inputs, &io)?;
        let context = engine.create_context()?;
        Ok(TensorRtStage {
            key: key.clone(),
            io,
            context,
            _engine: engine,
            _runtime: runtime,
        })
    }

    /// The engine's I/O tensors.
    pub fn io_tensors(&self) -> &[TensorInfo] {
        &self.io
    }

    /// Enqueues one inference on `stream`: sets each input's shape, checks every buffer against
    /// its tensor's shape and type, binds them and enqueues. Every I/O tensor must be given.
    /// The work is ordered on `stream`; cudarc's events order later uses of the buffers after it.
    pub fn enqueue<T: TensorElement>(
        &mut self,
        stream: &CudaStream,
        inputs: &[Input<'_, T>],
        outputs: &mut [(&str, &mut CudaSlice<T>)],
    ) -> Result<(), StageError> {
        let inputs: Vec<ViewInput<'_, T>> = inputs
            .iter()
            .map(|i| ViewInput {
                name: i.name,
                shape: i.shape,
                buffer: i.buffer.as_view(),
            })
            .collect();
        let mut outputs: Vec<(&str, CudaViewMut<'_, T>)> = outputs
            .iter_mut()
            .map(|(name, buffer)| (*name, buffer.as_view_mut()))
            .collect();
        self.enqueue_views(stream, &inputs, &mut outputs)
    }

    /// [`TensorRtStage::enqueue`] on views of device memory.
    pub fn enqueue_views<T: TensorElement>(
        &mut self,
        stream: &CudaStream,
        inputs: &[ViewInput<'_, T>],
        outputs: &mut [(&str, CudaViewMut<'_, T>)],
    ) -> Result<(), StageError> {
        stream.context().bind_to_thread()?;
        check_all_bound(
            &self.io,
            inputs
                .iter()
                .map(|i| i.name)
                .chain(outputs.iter().map(|(n, _)| *n)),
        )?;
        for input in inputs {
            let t = find(&self.io, input.name, IoMode::Input)?;
            if let Some(profile) = self.key.inputs.iter().find(|p| p.name == input.name) {
                check_input_shape(profile, input.shape)?;
            }
            check_buffer(t, input.shape, T::DTYPE, input.buffer.len())?;
            if t.shape.iter().any(|&d| d < 0) {
                self.context.set_input_shape(input.name, input.shape)?;
            } else if t.shape != input.shape {
                return Err(InterfaceError::Shape {
                    name: t.name.clone(),
                    shape: input.shape.to_vec(),
                    min: t.shape.clone(),
                    max: t.shape.clone(),
                }
                .into());
            }
        }
        for (name, buffer) in outputs.iter() {
            let t = find(&self.io, name, IoMode::Output)?;
            let shape = self
                .context
                .tensor_shape(name)?
                .ok_or_else(|| TrtError::BadTensorName(name.to_string()))?;
            check_buffer(t, &shape, T::DTYPE, buffer.len())?;
        }
        // The guards record, when dropped after the enqueue, that `stream` used the buffers.
        let mut guards = Vec::with_capacity(inputs.len() + outputs.len());
        for input in inputs {
            let (ptr, guard) = input.buffer.device_ptr(stream);
            guards.push(guard);
            // SAFETY: `ptr` is a live device allocation holding exactly the tensor at its set
            // shape (checked above); the borrow of the buffer outlasts the enqueue below.
            unsafe {
                self.context
                    .set_tensor_address(input.name, ptr as usize as *mut c_void)?
            };
        }
        for (name, buffer) in outputs.iter_mut() {
            let (ptr, guard) = buffer.device_ptr_mut(stream);
            guards.push(guard);
            // SAFETY: as above, for the output at the shape TensorRT resolved.
            unsafe {
                self.context
                    .set_tensor_address(name, ptr as usize as *mut c_void)?
            };
        }
        // SAFETY: `stream` is a live stream of the context bound to this thread above, and every
        // bound buffer is borrowed until this function returns, after the enqueue is ordered.
        unsafe { self.context.enqueue(stream.cu_stream().cast())? };
        drop(guards);
        Ok(())
    }
}
