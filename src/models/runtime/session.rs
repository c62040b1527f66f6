//! One ONNX graph committed to an ONNX Runtime CPU session.

use std::sync::Mutex;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionInputValue};
use ort::value::TensorRef;

use super::{environment, Cancel, RuntimeError};
use crate::models::weights::Tensor;

/// A borrowed dense f32 tensor (row-major, e.g. NCHW).
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    pub shape: &'a [usize],
    pub data: &'a [f32],
}

impl<'a> From<&'a Tensor> for TensorView<'a> {
    fn from(t: &'a Tensor) -> Self {
        TensorView {
            shape: &t.shape,
            data: &t.data,
        }
    }
}

/// An ONNX graph ready to run on the CPU.
pub struct CpuSession {
    session: Session,
    inputs: Vec<String>,
    outputs: Vec<String>,
    /// Run options that can stop a running call.
    cancel: Option<Cancel>,
}

impl std::fmt::Debug for CpuSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuSession")
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

/// Held while a session is made (see [`CpuSession::with_rewrites`]).
static SESSION_CREATION: Mutex<()> = Mutex::new(());

/// How far ONNX Runtime may rewrite a graph before running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrites {
    /// Every rewrite ONNX Runtime has (the fp32 graphs the pipeline runs).
    All,
    /// Everything below the layout rewrite (`GraphOptimizationLevel::Level2`), for graphs with
    /// fp16 or fp8 tensors. ONNX Runtime's aarch64 build moves fp16 convolutions to channels-last
    /// and puts `Transpose` nodes on the `float8e4m3fn` tensors in front of them, which it has no
    /// kernel for, so an fp8 graph fails to load there. The x86-64 build computes fp16
    /// convolutions in fp32 and is not affected; the cap applies on every CPU alike.
    NoLayout,
}

impl CpuSession {
    /// Commits the serialized ModelProto `onnx` to a CPU session with `threads` intra-op threads
    /// (0: ONNX Runtime's default, one per core), with every graph rewrite.
    pub fn new(onnx: &[u8], threads: usize) -> Result<Self, RuntimeError> {
        Self::with_rewrites(onnx, threads, Rewrites::All)
    }

    /// [`CpuSession::new`] for a graph with fp16 or fp8 tensors ([`Rewrites::NoLayout`]).
    pub fn reduced_precision(onnx: &[u8], threads: usize) -> Result<Self, RuntimeError> {
        Self::with_rewrites(onnx, threads, Rewrites::NoLayout)
    }

    /// [`CpuSession::new`] with the graph rewrites `rewrites`.
    pub fn with_rewrites(
        onnx: &[u8],
        threads: usize,
        rewrites: Rewrites,
    ) -> Result<Self, RuntimeError> {
        let env = environment()?;
        let mut builder = Session::builder(&env)?;
        if rewrites == Rewrites::NoLayout {
            builder = builder
                .with_optimization_level(GraphOptimizationLevel::Level2)
                .map_err(|e| RuntimeError::Ort(e.to_string()))?;
        }
        let mut builder = builder
            .with_intra_threads(threads)
            .map_err(|e| RuntimeError::Ort(e.to_string()))?
            // Pool threads sleep between operators instead of spinning: a spinning pool keeps
            // its cores while the decoder and encoder threads (or any other process) wait for
            // them. Measured on 2 cores: RIFE 256x256 0.38x the spinning pool's time with other
            // jobs running, 0.95x alone (median of interleaved runs).
            .with_intra_op_spinning(false)
            .map_err(|e| RuntimeError::Ort(e.to_string()))?
            .with_operators(super::warp::operator_domain(threads)?)
            .map_err(|e| RuntimeError::Ort(e.to_string()))?;
        // Performance work: ONNX Runtime's per-node timings, one JSON file per session, named
        // from this prefix (written when the session is dropped).
        if let Some(prefix) = std::env::var_os("SMOOTHSCALE_ORT_PROFILE") {
            builder = builder
                .with_profiling(prefix)
                .map_err(|e| RuntimeError::Ort(e.to_string()))?;
        }
        let session = {
            // One session is made at a time in the process: ONNX Runtime adds a custom operator
            // domain to ONNX's global domain map with an unlocked check-then-insert
            // (`CreateCustomRegistry`), so the first two sessions made at once on different
            // threads can both insert the warp domain, and one fails ("the domain is already
            // exist"). Seen once, under qemu on aarch64, in tests/runtime.rs.
            let _one_at_a_time = SESSION_CREATION.lock().unwrap_or_else(|e| e.into_inner());
            builder.commit_from_memory(onnx)?
        };
        let inputs = session
            .inputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        let outputs = session
            .outputs()
            .iter()
            .map(|o| o.name().to_string())
            .collect();
        Ok(Self {
            session,
            inputs,
            outputs,
            cancel: None,
        })
    }

    /// Runs every later call with `cancel`'s options, so that cancelling it stops them.
    pub fn set_cancel(&mut self, cancel: Option<Cancel>) {
        self.cancel = cancel;
    }

    /// The graph's input names, in graph order.
    pub fn input_names(&self) -> &[String] {
        &self.inputs
    }

    /// The graph's output names, in graph order.
    pub fn output_names(&self) -> &[String] {
        &self.outputs
    }

    /// Checks that the graph's inputs and outputs are exactly `inputs` and `outputs`.
    pub fn expect_names(&self, inputs: &[&str], outputs: &[&str]) -> Result<(), RuntimeError> {
        for (what, got, want) in [
            ("inputs", &self.inputs, inputs),
            ("outputs", &self.outputs, outputs),
        ] {
            if got.len() != want.len() || want.iter().any(|w| !got.iter().any(|g| g == w)) {
                return Err(RuntimeError::Names {
                    what,
                    got: got.clone(),
                    want: want.iter().map(|s| s.to_string()).collect(),
                });
            }
        }
        Ok(())
    }

    /// Runs the graph on f32 inputs given by name (each graph input exactly once) and returns
    /// its outputs in graph order.
    pub fn run(&mut self, inputs: &[(&str, TensorView<'_>)]) -> Result<Vec<Tensor>, RuntimeError> {
        let given: Vec<String> = inputs.iter().map(|(n, _)| n.to_string()).collect();
        let mut sorted_given = given.clone();
        sorted_given.sort();
        let mut sorted_want = self.inputs.clone();
        sorted_want.sort();
        if sorted_given != sorted_want {
            return Err(RuntimeError::Names {
                what: "inputs given",
                got: given,
                want: self.inputs.clone(),
            });
        }
        let mut values: Vec<(String, SessionInputValue<'_>)> = Vec::with_capacity(inputs.len());
        for (name, view) in inputs {
            let numel = view.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if numel != Some(view.data.len()) {
                return Err(RuntimeError::BadInput {
                    name: name.to_string(),
                    reason: format!(
                        "shape {:?} does not match {} values",
                        view.shape,
                        view.data.len()
                    ),
                });
            }
            let tensor = TensorRef::from_array_view((view.shape.to_vec(), view.data))?;
            values.push((name.to_string(), tensor.into()));
        }
        let outputs = match &self.cancel {
            Some(cancel) => self.session.run_with_options(values, cancel.options())?,
            None => self.session.run(values)?,
        };
        let mut result = Vec::with_capacity(self.outputs.len());
        for name in &self.outputs {
            let value = outputs.get(name).ok_or_else(|| RuntimeError::BadOutput {
                name: name.clone(),
                reason: "missing from the results".into(),
            })?;
            let (shape, data) =
                value
                    .try_extract_tensor::<f32>()
                    .map_err(|e| RuntimeError::BadOutput {
                        name: name.clone(),
                        reason: e.to_string(),
                    })?;
            let shape = shape
                .iter()
                .map(|&d| usize::try_from(d))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| RuntimeError::BadOutput {
                    name: name.clone(),
                    reason: format!("negative dimension in {:?}", &shape[..]),
                })?;
            result.push(Tensor {
                shape,
                data: data.to_vec(),
            });
        }
        Ok(result)
    }
}
