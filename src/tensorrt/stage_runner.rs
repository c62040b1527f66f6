//! The CUDA side of a [`TensorRtStage`](super::TensorRtStage) call for
//! [`CapturedEnqueue`](crate::tensorrt::graph::CapturedEnqueue): the execution context bound to
//! the call's buffers and enqueued, the same enqueue captured into a CUDA graph (thread-local
//! capture mode, as trtexec), or the graph launched. Compiled here, not yet run on a GPU.

use std::ffi::c_void;
use std::sync::Arc;

use cudarc::driver::sys::{CUgraphInstantiate_flags, CUstreamCaptureMode};
use cudarc::driver::{CudaGraph, CudaStream};
use smoothscale_tensorrt_sys::{DataType, ExecutionContext, IoMode, TensorInfo, TrtError};

use super::StageError;
use crate::tensorrt::graph::GraphRunner;
use crate::tensorrt::interface::{check_buffer, find};

/// One call's CUDA side: the context bound to the call's buffers, enqueued, captured or
/// launched on the call's stream.
pub(super) struct StageRunner<'a> {
    pub context: &'a mut ExecutionContext,
    pub io: &'a [TensorInfo],
    pub stream: &'a Arc<CudaStream>,
    /// The dynamic inputs' shapes for this call.
    pub dynamic: &'a [(&'a str, &'a [i64])],
    /// Every tensor's name, device address and length in elements, inputs first (their buffers
    /// checked by the caller), borrowed by the caller until the call returns.
    pub buffers: &'a [(&'a str, u64, usize)],
    /// Where the outputs start in `buffers`.
    pub outputs_from: usize,
    /// The element type of every buffer.
    pub dtype: DataType,
}

impl StageRunner<'_> {
    /// Enqueues on the call's stream.
    fn enqueue(&mut self) -> Result<(), TrtError> {
        // SAFETY: `stream` is a live stream of the context bound to this thread by the caller,
        // and every bound buffer (checked in `plain`) stays borrowed until the caller returns,
        // after the work is ordered on `stream`.
        unsafe { self.context.enqueue(self.stream.cu_stream().cast()) }
    }
}

impl GraphRunner for StageRunner<'_> {
    type Graph = CudaGraph;
    type Error = StageError;

    fn plain(&mut self) -> Result<(), StageError> {
        for &(name, shape) in self.dynamic {
            self.context.set_input_shape(name, shape)?;
        }
        for &(name, _, len) in &self.buffers[self.outputs_from..] {
            let t = find(self.io, name, IoMode::Output)?;
            let shape = self
                .context
                .tensor_shape(name)?
                .ok_or_else(|| TrtError::BadTensorName(name.to_string()))?;
            check_buffer(t, &shape, self.dtype, len)?;
        }
        for &(name, ptr, _) in self.buffers {
            // SAFETY: `ptr` is a live device allocation holding exactly the tensor at its set
            // shape (checked above and in `enqueue_views`), borrowed until after the enqueue.
            unsafe {
                self.context
                    .set_tensor_address(name, ptr as usize as *mut c_void)?
            };
        }
        Ok(self.enqueue()?)
    }

    fn capture(&mut self) -> Result<CudaGraph, String> {
        let mode = CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
        self.stream
            .begin_capture(mode)
            .map_err(|e| format!("beginning the capture: {e}"))?;
        // The capture is always ended, so that the stream is usable whatever happened.
        let enqueued = self.enqueue();
        let ended = self.stream.end_capture(CUgraphInstantiate_flags(0));
        match (enqueued, ended) {
            (Ok(()), Ok(Some(graph))) => Ok(graph),
            (Err(e), _) => Err(format!("enqueueV3 under capture: {e}")),
            (Ok(()), Err(e)) => Err(format!("ending the capture: {e}")),
            (Ok(()), Ok(None)) => Err("the capture recorded nothing".into()),
        }
    }

    fn launch(&mut self, graph: &CudaGraph) -> Result<(), StageError> {
        Ok(graph.launch()?)
    }
}
