//! Upscaler sessions built for the frame size they run at.
//!
//! ONNX Runtime runs a graph whose height and width are fixed faster than one whose spatial
//! dimensions are symbolic: in SRVGGNetCompact at 256x256 the batch normalisations (which it
//! runs as depthwise convolutions in its blocked layout) took 3.1–3.5 ms each with symbolic
//! sizes against 1.2–1.4 ms with fixed ones, about 15% of a call, per-node profile. The batch
//! stays symbolic (it costs nothing measurable), so a last, smaller batch of tiles runs in the
//! same session.

use super::graph_for;
use crate::models::checkpoint::Architecture;
use crate::models::onnx::GraphShape;
use crate::models::runtime::{CpuSession, RuntimeError};
use crate::models::weights::StateDict;

/// What a checkpoint's upscaler graph is rebuilt from when the input size changes.
#[derive(Debug)]
pub(super) struct SizedGraph {
    architecture: Architecture,
    state_dict: StateDict,
    threads: usize,
    /// The input `(height, width)` the current session was built for; `None` while it is the
    /// load-time session with symbolic sizes.
    size: Option<(usize, usize)>,
}

impl SizedGraph {
    /// Keeps the network to rebuild its session for each new input size.
    pub(super) fn new(architecture: Architecture, state_dict: StateDict, threads: usize) -> Self {
        Self {
            architecture,
            state_dict,
            threads,
            size: None,
        }
    }

    /// A session for inputs of `(height, width)` when `session` was not built for that size
    /// (the caller replaces its session with it), `None` when it was.
    pub(super) fn session_for(
        &mut self,
        height: usize,
        width: usize,
    ) -> Result<Option<CpuSession>, RuntimeError> {
        if self.size == Some((height, width)) {
            return Ok(None);
        }
        let shape = GraphShape::fixed(height, width);
        let (_, bytes) = graph_for(self.architecture, &self.state_dict, shape)?;
        let session = CpuSession::new(&bytes, self.threads)?;
        session.expect_names(&["input"], &["out"])?;
        self.size = Some((height, width));
        Ok(Some(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::runtime::TensorView;
    use crate::models::weights::Tensor;

    fn tensor(shape: &[usize], seed: usize) -> Tensor {
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        Tensor {
            shape: shape.to_vec(),
            data,
        }
    }

    const TINY: Architecture = Architecture::SrVgg {
        scale: 2,
        nf: 4,
        num_conv: 1,
    };

    /// SRVGGNetCompact with nf 4, one body conv, scale 2 ([`TINY`]).
    fn tiny_srvgg() -> StateDict {
        let mut sd = StateDict::new();
        let convs = [("body.0", 4, 3), ("body.2", 4, 4), ("body.4", 12, 4)];
        for (i, (name, out, inp)) in convs.into_iter().enumerate() {
            sd.insert(format!("{name}.weight"), tensor(&[out, inp, 3, 3], i));
            sd.insert(format!("{name}.bias"), tensor(&[out], i + 10));
        }
        for (i, name) in ["body.1", "body.3"].into_iter().enumerate() {
            sd.insert(format!("{name}.weight"), tensor(&[4], i + 20));
        }
        sd
    }

    fn run(session: &mut CpuSession, x: &Tensor) -> Tensor {
        session
            .run(&[("input", TensorView::from(x))])
            .unwrap()
            .remove(0)
    }

    #[test]
    fn rebuilds_only_for_a_new_size_and_matches_the_symbolic_graph() {
        if let Err(e) = crate::models::runtime::init() {
            eprintln!("skipping: {e}");
            return;
        }
        let sd = tiny_srvgg();
        let (_, bytes) = graph_for(TINY, &sd, GraphShape::dynamic()).unwrap();
        let mut symbolic = CpuSession::new(&bytes, 1).unwrap();
        let mut sized = SizedGraph::new(TINY, sd, 1);
        for (h, w, rebuilt) in [(6, 8, true), (6, 8, false), (5, 8, true), (6, 8, true)] {
            let session = sized.session_for(h, w).unwrap();
            assert_eq!(session.is_some(), rebuilt, "{h}x{w}");
            if let Some(mut session) = session {
                // Two frames: the batch stays symbolic.
                let x = tensor(&[2, 3, h, w], h * w);
                let (got, want) = (run(&mut session, &x), run(&mut symbolic, &x));
                assert_eq!(got.shape, vec![2, 3, 2 * h, 2 * w]);
                assert_eq!(got.shape, want.shape);
                let err = got
                    .data
                    .iter()
                    .zip(&want.data)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(err < 1e-5, "{h}x{w}: {err}");
            }
        }
    }
}
