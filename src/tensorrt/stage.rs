//! A TensorRT inference stage on device buffers: a cached engine loaded (manifest checked, plan
//! memory-mapped), its interface checked, and each call binding cudarc buffers to the engine's
//! tensors by name, with shape checks, enqueued on a CUDA stream, or, once enabled with
//! [`TensorRtStage::set_graph_capture`], replayed from a captured CUDA graph while the bindings
//! repeat (the decisions are in [`super::graph`]). Not yet run on a GPU.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use cudarc::driver::{
    CudaGraph, CudaSlice, CudaStream, CudaView, CudaViewMut, DevicePtr, DevicePtrMut, DeviceRepr,
    DriverError,
};
use smoothscale_tensorrt_sys::{
    DataType, Engine, ExecutionContext, IoMode, Runtime, TensorInfo, TensorRt, TrtError,
};

use super::cache::{CacheDecision, EngineCache, EngineKey};
use super::graph::{CapturedEnqueue, GraphKey, GraphStats};
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

/// The device memory a loaded engine holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageMemory {
    /// The plan's size, which its weights dominate.
    pub plan_bytes: u64,
    /// Scratch memory of its execution context (`None`: TensorRT did not say).
    pub scratch_bytes: Option<u64>,
}

/// A loaded engine and its execution context.
pub struct TensorRtStage {
    key: EngineKey,
    memory: StageMemory,
    io: Vec<TensorInfo>,
    // Dropped in this order: the graph captured on the context, the context before its engine,
    // the engine before its runtime.
    graph: CapturedEnqueue<CudaGraph>,
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
        let memory = StageMemory {
            plan_bytes: map.len() as u64,
            scratch_bytes: engine.device_memory_size(),
        };
        drop(map);
        let io = engine.io_tensors();
        check_engine(&key.inputs, &io)?;
        let context = engine.create_context()?;
        Ok(TensorRtStage {
            key: key.clone(),
            memory,
            io,
            graph: CapturedEnqueue::disabled(),
            context,
            _engine: engine,
            _runtime: runtime,
        })
    }

    /// The device memory the engine holds.
    pub fn memory(&self) -> StageMemory {
        self.memory
    }

    /// The engine's I/O tensors.
    pub fn io_tensors(&self) -> &[TensorInfo] {
        &self.io
    }

    /// Enables CUDA-graph capture of the enqueue with `Some(label)` (`label` names the stage in
    /// the log), disables it with `None` (the default): with capture on, a call whose stream,
    /// shapes and buffers repeat the previous call's captures it, and later such calls launch
    /// the graph. Worth it where the bindings stay fixed: buffers allocated once, one shape.
    pub fn set_graph_capture(&mut self, label: Option<&str>) {
        match label {
            Some(label) => self.graph.enable(label),
            None => self.graph.disable(),
        }
    }

    /// What the enqueues did: plain, captured, launched, and why capture was turned off.
    pub fn graph_stats(&self) -> &GraphStats {
        self.graph.stats()
    }

    /// Enqueues one inference on `stream`: sets each input's shape, checks every buffer against
    /// its tensor's shape and type, binds them and enqueues. Every I/O tensor must be given.
    /// The work is ordered on `stream`; cudarc's events order later uses of the buffers after it.
    pub fn enqueue<T: TensorElement>(
        &mut self,
        stream: &Arc<CudaStream>,
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
        stream: &Arc<CudaStream>,
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
        let mut dynamic = Vec::new();
        for input in inputs {
            let t = find(&self.io, input.name, IoMode::Input)?;
            if let Some(profile) = self.key.inputs.iter().find(|p| p.name == input.name) {
                check_input_shape(profile, input.shape)?;
            }
            check_buffer(t, input.shape, T::DTYPE, input.buffer.len())?;
            if t.shape.iter().any(|&d| d < 0) {
                dynamic.push((input.name, input.shape));
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
        // The guards record, when dropped after the enqueue or launch, that `stream` used the
        // buffers; taking them waits for earlier writers (before any capture begins).
        let mut guards = Vec::with_capacity(inputs.len() + outputs.len());
        let mut buffers = Vec::with_capacity(inputs.len() + outputs.len());
        for input in inputs {
            let (ptr, guard) = input.buffer.device_ptr(stream);
            guards.push(guard);
            buffers.push((input.name, ptr, input.buffer.len()));
        }
        for (name, buffer) in outputs.iter_mut() {
            let len = buffer.len();
            let (ptr, guard) = buffer.device_ptr_mut(stream);
            guards.push(guard);
            buffers.push((*name, ptr, len));
        }
        let key = GraphKey {
            stream: stream.cu_stream() as usize,
            shapes: inputs
                .iter()
                .map(|i| (i.name.to_string(), i.shape.to_vec()))
                .collect(),
            buffers: buffers
                .iter()
                .map(|&(n, p, l)| (n.to_string(), p, l))
                .collect(),
        };
        let mut runner = StageRunner {
            context: &mut self.context,
            io: &self.io,
            stream,
            dynamic: &dynamic,
            buffers: &buffers,
            outputs_from: inputs.len(),
            dtype: T::DTYPE,
        };
        self.graph.run(key, &mut runner)?;
        drop(guards);
        Ok(())
    }
}

#[path = "stage_runner.rs"]
mod runner;
use runner::StageRunner;
