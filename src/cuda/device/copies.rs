//! Bytes copied between host and device by this crate's copy wrappers, counted process-wide:
//! pixels (frames and tile batches: `buffer`'s uploads and downloads, `DeviceFrame::to_rgb_frame`)
//! and the rest (tile plans, the scene metric read back). `smoothscale bench` reads the counters
//! around a stage to report the copies per frame; the frame path of a GPU with NVDEC and NVENC
//! should copy no pixels. Copies made outside these wrappers are not counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a copy carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    Pixels,
    Other,
}

/// Which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToDevice,
    ToHost,
}

static COUNTERS: [AtomicU64; 4] = [
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
    AtomicU64::new(0),
];

fn slot(kind: CopyKind, direction: Direction) -> &'static AtomicU64 {
    let i = match (kind, direction) {
        (CopyKind::Pixels, Direction::ToDevice) => 0,
        (CopyKind::Pixels, Direction::ToHost) => 1,
        (CopyKind::Other, Direction::ToDevice) => 2,
        (CopyKind::Other, Direction::ToHost) => 3,
    };
    &COUNTERS[i]
}

/// Counts a copy of `bytes`.
pub(crate) fn count(kind: CopyKind, direction: Direction, bytes: usize) {
    slot(kind, direction).fetch_add(bytes as u64, Ordering::Relaxed);
}

/// The totals since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyTotals {
    pub pixels_to_device: u64,
    pub pixels_to_host: u64,
    pub other_to_device: u64,
    pub other_to_host: u64,
}

impl CopyTotals {
    /// The counters now.
    pub fn now() -> Self {
        let get = |k, d| slot(k, d).load(Ordering::Relaxed);
        CopyTotals {
            pixels_to_device: get(CopyKind::Pixels, Direction::ToDevice),
            pixels_to_host: get(CopyKind::Pixels, Direction::ToHost),
            other_to_device: get(CopyKind::Other, Direction::ToDevice),
            other_to_host: get(CopyKind::Other, Direction::ToHost),
        }
    }

    /// What was copied since `earlier`.
    pub fn since(&self, earlier: &CopyTotals) -> CopyTotals {
        CopyTotals {
            pixels_to_device: self.pixels_to_device - earlier.pixels_to_device,
            pixels_to_host: self.pixels_to_host - earlier.pixels_to_host,
            other_to_device: self.other_to_device - earlier.other_to_device,
            other_to_host: self.other_to_host - earlier.other_to_host,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_by_kind_and_direction() {
        // Other tests may copy concurrently: only growth by at least what is added is certain.
        let before = CopyTotals::now();
        count(CopyKind::Pixels, Direction::ToDevice, 100);
        count(CopyKind::Other, Direction::ToHost, 4);
        let d = CopyTotals::now().since(&before);
        assert!(d.pixels_to_device >= 100 && d.other_to_host >= 4, "{d:?}");
    }
}
