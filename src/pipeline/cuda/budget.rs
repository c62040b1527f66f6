//! GPU memory a CUDA job will hold, added up once its engines are loaded and before the first
//! frame: the buffers still to be allocated are checked against the GPU's free memory, and
//! everything (engines too) against `--max-memory`, so that a job too large for the GPU stops at
//! once with one clear line instead of failing on an allocation halfway through the clip.
//!
//! On a Jetson the GPU and the CPU share one memory, which is why `--max-memory` bounds the
//! device working set too. The figures are estimates: frames are counted at their allocated
//! sizes times the number alive at once, engines at their plan size (the weights) plus the
//! scratch memory their execution context allocates (TensorRT's `getDeviceMemorySizeV2`);
//! TensorRT's and CUDA's own overheads, and buffers allocated with the engines (tile slots), are
//! only in the free-memory reading.

use crate::pipeline::limits::gib;
pub use crate::tensorrt::stage::StageMemory as EngineMemory;

/// One kind of device buffer the job keeps: `count` of them, `bytes` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffers {
    /// What they are, for the error message ("decoded frames").
    pub what: &'static str,
    /// How many are alive at once.
    pub count: u64,
    /// Bytes each.
    pub bytes: u64,
}

/// The job's device working set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceNeeds {
    /// Buffers still to be allocated (frames, features, encoder input).
    pub buffers: Vec<Buffers>,
    /// Loaded engines (already resident).
    pub engines: Vec<EngineMemory>,
}

impl DeviceNeeds {
    /// Bytes of the buffers still to be allocated.
    pub fn buffer_bytes(&self) -> u64 {
        self.buffers
            .iter()
            .map(|b| b.count.saturating_mul(b.bytes))
            .fold(0, u64::saturating_add)
    }

    /// Bytes of the engines: plans and scratch.
    pub fn engine_bytes(&self) -> u64 {
        self.engines
            .iter()
            .map(|e| e.plan_bytes.saturating_add(e.scratch_bytes.unwrap_or(0)))
            .fold(0, u64::saturating_add)
    }

    /// Everything.
    pub fn total(&self) -> u64 {
        self.buffer_bytes().saturating_add(self.engine_bytes())
    }

    /// Checks the buffers still to be allocated against the GPU's free memory (when known), and
    /// the total against `max_memory`.
    pub fn check(&self, free: Option<u64>, max_memory: u64) -> Result<(), DeviceMemoryError> {
        let need = self.total();
        let mut parts: Vec<String> = self
            .buffers
            .iter()
            .map(|b| format!("{} {}", b.what, gib(b.count.saturating_mul(b.bytes))))
            .collect();
        parts.push(format!("engines {}", gib(self.engine_bytes())));
        let parts = parts.join(", ");
        let pending = self.buffer_bytes();
        if let Some(free) = free.filter(|&free| pending > free) {
            return Err(DeviceMemoryError {
                need,
                parts,
                limit: free,
                reason: format!(
                    "its buffers need {} and the GPU has {} free with the engines loaded",
                    gib(pending),
                    gib(free)
                ),
            });
        }
        if need > max_memory {
            return Err(DeviceMemoryError {
                need,
                parts,
                limit: max_memory,
                reason: format!("over --max-memory {}", gib(max_memory)),
            });
        }
        Ok(())
    }
}

/// The job needs more GPU memory than there is, or than it may use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the job needs about {} of GPU memory ({parts}): {reason}; use smaller tiles (--tile) or \
     fewer stages",
    gib(*need)
)]
pub struct DeviceMemoryError {
    /// Estimated bytes.
    pub need: u64,
    /// The estimate's parts, in words.
    pub parts: String,
    /// The bound it exceeds.
    pub limit: u64,
    /// Which bound, and by how much, in words.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn needs() -> DeviceNeeds {
        DeviceNeeds {
            buffers: vec![
                Buffers {
                    what: "decoded frames",
                    count: 3,
                    bytes: GIB / 4,
                },
                Buffers {
                    what: "tiles",
                    count: 2,
                    bytes: GIB / 8,
                },
            ],
            engines: vec![
                EngineMemory {
                    plan_bytes: GIB,
                    scratch_bytes: Some(GIB / 2),
                },
                EngineMemory {
                    plan_bytes: GIB / 2,
                    scratch_bytes: None,
                },
            ],
        }
    }

    #[test]
    fn totals_add_buffers_plans_and_scratch() {
        let n = needs();
        assert_eq!(n.buffer_bytes(), GIB);
        assert_eq!(n.engine_bytes(), 2 * GIB);
        assert_eq!(n.total(), 3 * GIB);
        assert_eq!(DeviceNeeds::default().total(), 0);
    }

    #[test]
    fn the_tighter_bound_decides() {
        let n = needs();
        // The engines are loaded already: only the 1 GiB of buffers must still fit.
        assert_eq!(n.check(Some(GIB), 3 * GIB), Ok(()));
        assert_eq!(n.check(None, 4 * GIB), Ok(()));
        let e = n.check(Some(GIB / 2), 8 * GIB).unwrap_err();
        assert_eq!(e.limit, GIB / 2);
        let text = e.to_string();
        assert!(text.contains("about 3.0 GiB"), "{text}");
        assert!(
            text.contains("(decoded frames 0.8 GiB, tiles 0.2 GiB, engines 2.0 GiB)"),
            "{text}"
        );
        assert!(
            text.contains("its buffers need 1.0 GiB and the GPU has 0.5 GiB free"),
            "{text}"
        );
        let e = n.check(Some(8 * GIB), 2 * GIB).unwrap_err();
        assert!(e.to_string().contains("over --max-memory 2.0 GiB"), "{e}");
        let e = n.check(None, GIB).unwrap_err();
        assert_eq!(e.limit, GIB);
    }

    #[test]
    fn huge_counts_saturate_instead_of_wrapping() {
        let n = DeviceNeeds {
            buffers: vec![Buffers {
                what: "frames",
                count: u64::MAX,
                bytes: 2,
            }],
            engines: vec![EngineMemory {
                plan_bytes: u64::MAX,
                scratch_bytes: Some(1),
            }],
        };
        assert_eq!(n.total(), u64::MAX);
        assert!(n.check(None, u64::MAX - 1).is_err());
    }
}
