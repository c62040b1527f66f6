//! CUDA-graph capture of a TensorRT stage's fixed-shape enqueue: the decisions of when to enqueue
//! plainly, when to capture, when to launch the captured graph and when to give up, apart from the
//! CUDA calls. Those are a [`GraphRunner`] (`stage.rs` implements it with cudarc's stream capture;
//! the tests with a fake), so every decision is tested on the CPU.
//!
//! What TensorRT asks of a capture, and how it is met here (TensorRT developer guide, "CUDA
//! Graphs", and trtexec's `--useCudaGraph`, which enqueues once, then captures):
//! - **Initialisation:** the first `enqueueV3` after a context's shapes are set does deferred work
//!   that cannot be captured. Here a capture always follows a plain enqueue with the same shapes
//!   and addresses, in the same call: that plain enqueue computes the call's output, and the
//!   capture only records the same work into a graph (it runs nothing).
//! - **What a graph bakes in:** the tensor addresses, the shapes and the context's state for
//!   those shapes. A graph is kept while the context keeps exactly those bindings (the guide's
//!   advice: one captured graph per execution context). A call with other bindings ([`GraphKey`])
//!   drops it, enqueues plainly, and the next call with the same new bindings captures again.
//! - **Engines that cannot be captured:** some layers and plugins make `enqueueV3` fail under
//!   capture, or invalidate it. The stage then enqueues plainly for good and logs it once.
//! - **Capture mode:** thread-local, as trtexec: unsafe calls of the capturing thread fail the
//!   capture instead of running, and the other threads' CUDA calls (decoder, encoder) are not
//!   affected.
//!
//! Where it helps: a graph launch replaces the host-side launch of every kernel of the engine (a
//! few microseconds each), which matters for small engines and short calls. Bindings that change
//! on every call never capture (each change is a plain enqueue), and after [`MAX_CAPTURES`]
//! captures a stage whose bindings keep changing back and forth stops capturing.

/// Captures after which a stage whose bindings keep changing stops capturing: each capture costs
/// host time (recording and instantiating the graph) that only later launches repay.
pub const MAX_CAPTURES: u64 = 8;

/// What one enqueue binds: the stream (a graph launches on the stream it was captured on), each
/// input's shape and each tensor's device address and length. Two calls with equal keys run
/// the same captured work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphKey {
    /// The CUDA stream, as an integer.
    pub stream: usize,
    /// Each input's name and shape.
    pub shapes: Vec<(String, Vec<i64>)>,
    /// Each bound tensor's name, device address and length in elements.
    pub buffers: Vec<(String, u64, usize)>,
}

/// What a call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphStep {
    /// Bound and enqueued plainly.
    Plain,
    /// Bound and enqueued plainly, then the same enqueue captured into a graph (or, if that
    /// failed, capture turned off).
    PlainThenCapture,
    /// Launched the graph captured with these bindings.
    Launch,
}

/// Why a stage no longer captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphOff {
    /// A capture failed (a layer or plugin that cannot be captured, or a CUDA error).
    CaptureFailed(String),
    /// The bindings kept changing after captures ([`MAX_CAPTURES`]).
    BindingsChange,
}

/// What a stage's enqueues did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// Whether capture is enabled for the stage.
    pub enabled: bool,
    /// Plain enqueues (including those followed by a capture).
    pub plain: u64,
    /// Graphs captured.
    pub captures: u64,
    /// Graph launches.
    pub launches: u64,
    /// Why capture was turned off, if it was.
    pub off: Option<GraphOff>,
}

/// The CUDA side of one call, on one execution context.
pub trait GraphRunner {
    /// A captured, instantiated graph.
    type Graph;
    /// A failure of a plain enqueue or a launch.
    type Error;
    /// Sets the shapes and addresses on the context and enqueues.
    fn plain(&mut self) -> Result<(), Self::Error>;
    /// Captures the enqueue [`GraphRunner::plain`] has just made, with the same bindings, into a
    /// graph, without running it. An error says why it cannot be captured.
    fn capture(&mut self) -> Result<Self::Graph, String>;
    /// Launches `graph`.
    fn launch(&mut self, graph: &Self::Graph) -> Result<(), Self::Error>;
}

/// The capture state of one execution context: the bindings of its last enqueue and the graph
/// captured with them, if any.
pub struct CapturedEnqueue<G> {
    label: String,
    stats: GraphStats,
    /// The bindings of the context's last successful enqueue.
    last: Option<GraphKey>,
    /// A graph captured with `last` (never with other bindings).
    graph: Option<G>,
}

impl<G> CapturedEnqueue<G> {
    /// Capture disabled: every call is a plain enqueue.
    pub fn disabled() -> Self {
        CapturedEnqueue {
            label: String::new(),
            stats: GraphStats::default(),
            last: None,
            graph: None,
        }
    }

    /// Enables capture; `label` names the stage in the log.
    pub fn enable(&mut self, label: &str) {
        self.label = label.to_string();
        self.stats.enabled = true;
    }

    /// Disables capture (the graph, if any, is dropped); the counts are kept.
    pub fn disable(&mut self) {
        self.stats.enabled = false;
        self.forget();
    }

    /// What the calls did so far.
    pub fn stats(&self) -> &GraphStats {
        &self.stats
    }

    /// Runs one call with bindings `key` through `runner`: a plain enqueue for new bindings or
    /// with capture off, a plain enqueue and a capture for bindings that repeat the last call's,
    /// a launch once captured.
    pub fn run<R: GraphRunner<Graph = G>>(
        &mut self,
        key: GraphKey,
        runner: &mut R,
    ) -> Result<GraphStep, R::Error> {
        let same = self.last.as_ref() == Some(&key);
        if same {
            if let Some(graph) = &self.graph {
                if let Err(e) = runner.launch(graph) {
                    self.forget();
                    return Err(e);
                }
                self.stats.launches += 1;
                return Ok(GraphStep::Launch);
            }
        }
        // The context is rebound below: a graph captured with other bindings is no longer valid.
        self.forget();
        runner.plain()?;
        self.stats.plain += 1;
        self.last = Some(key);
        if !(same && self.capturing()) {
            return Ok(GraphStep::Plain);
        }
        match runner.capture() {
            Ok(graph) => {
                self.stats.captures += 1;
                log::debug!("{}: enqueue captured as a CUDA graph", self.label);
                self.graph = Some(graph);
            }
            Err(reason) => {
                log::warn!(
                    "{}: CUDA graph capture failed ({reason}); plain enqueues from now on",
                    self.label
                );
                self.stats.off = Some(GraphOff::CaptureFailed(reason));
            }
        }
        Ok(GraphStep::PlainThenCapture)
    }

    /// Whether a repeat of the last bindings is to be captured; turns capture off (logged once)
    /// when the bindings have changed after [`MAX_CAPTURES`] captures.
    fn capturing(&mut self) -> bool {
        if !self.stats.enabled || self.stats.off.is_some() {
            return false;
        }
        if self.stats.captures >= MAX_CAPTURES {
            log::info!(
                "{}: the bindings changed after {} CUDA graph captures; plain enqueues from now on",
                self.label,
                self.stats.captures
            );
            self.stats.off = Some(GraphOff::BindingsChange);
            return false;
        }
        true
    }

    /// Drops the graph and the record of the context's bindings.
    fn forget(&mut self) {
        self.graph = None;
        self.last = None;
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
