//! Ordering a frame's work across CUDA streams with events ([`FrameSync`], kept in every
//! [`super::DeviceFrame`]):
//!
//! - **ready:** the stream that produced the frame records an event once all its writes are
//!   submitted ([`FrameSync::record_ready`]); a stream that reads the frame first waits on it
//!   ([`FrameSync::wait_ready`]). The wait is on the device: the host does not block.
//! - **reads:** a stream that read the frame records an event after its reads
//!   ([`FrameSync::record_read`]), one event per stream, re-recorded by later reads on the same
//!   stream (later work on one stream completes after earlier work). When the frame drops, the
//!   stream that allocated it waits on every one of them before the memory is freed (on that
//!   stream, stream-ordered), so no stream can still be reading freed memory.
//!
//! cudarc tracks its own last reader and last writer of every allocation, but only the last
//! reading stream: a frame read by the model stream and then by the encode stream would be freed
//! after the encode stream's read alone. The per-stream read events close that gap.
//!
//! None of this has run on a GPU yet.

use std::sync::{Arc, Mutex, PoisonError};

use cudarc::driver::{sys, CudaEvent, CudaStream};

use super::buffer::DeviceFrame;
use super::error::DeviceError;
use crate::recent::Recent;

/// A stream's identity: its driver handle (unique while the stream lives, and a frame's events
/// never outlive the streams of the run).
fn stream_key(stream: &CudaStream) -> usize {
    stream.cu_stream() as usize
}

/// A frame's ready event and its readers' events (see the module documentation).
#[derive(Debug, Default)]
pub struct FrameSync {
    ready: Option<CudaEvent>,
    reads: Mutex<Recent<usize, CudaEvent>>,
}

fn new_event(stream: &CudaStream) -> Result<CudaEvent, DeviceError> {
    // Events without timing are the cheap kind the driver orders streams with.
    stream
        .context()
        .new_event(Some(sys::CUevent_flags::CU_EVENT_DISABLE_TIMING))
        .map_err(DeviceError::driver("creating a CUDA event"))
}

impl FrameSync {
    /// Records, on `stream`, that the frame is complete once the work submitted so far is done.
    /// Call it on the producing stream after the last write.
    pub fn record_ready(&mut self, stream: &CudaStream) -> Result<(), DeviceError> {
        let event = match self.ready.take() {
            Some(event) => event,
            None => new_event(stream)?,
        };
        event
            .record(stream)
            .map_err(DeviceError::driver("recording a frame's ready event"))?;
        self.ready = Some(event);
        Ok(())
    }

    /// Makes `stream` wait (on the device) until the frame is complete. A frame with no ready
    /// event was made in order on its stream and synchronised by whoever made it.
    pub fn wait_ready(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        match &self.ready {
            Some(event) => stream
                .wait(event)
                .map_err(DeviceError::driver("waiting for a frame's ready event")),
            None => Ok(()),
        }
    }

    /// Blocks the host until the frame is complete (a no-op without a ready event).
    pub fn synchronize_ready(&self) -> Result<(), DeviceError> {
        match &self.ready {
            Some(event) => event
                .synchronize()
                .map_err(DeviceError::driver("waiting for a frame to be complete")),
            None => Ok(()),
        }
    }

    /// Records, on `stream`, that its reads of the frame are submitted: the frame's memory is
    /// freed only after they are done.
    pub fn record_read(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        let mut reads = self.reads.lock().unwrap_or_else(PoisonError::into_inner);
        let event = reads.get_or_try_insert(stream_key(stream), || new_event(stream))?;
        event
            .record(stream)
            .map_err(DeviceError::driver("recording a frame's read event"))
    }

    /// Makes `owner` (the stream that frees the frame) wait for every recorded read. Called when
    /// the frame drops, before its memory is freed on `owner`.
    pub(crate) fn release_on(&mut self, owner: &Arc<CudaStream>) {
        let reads = self.reads.get_mut().unwrap_or_else(PoisonError::into_inner);
        for event in reads.values() {
            if let Err(e) = owner.wait(event) {
                // Drop cannot fail: the context keeps the error for its next checked call.
                log::warn!("freeing a frame without waiting for a reader: {e}");
                owner.context().record_err::<()>(Err(e));
            }
        }
    }
}

impl Drop for DeviceFrame {
    fn drop(&mut self) {
        // The memory is freed on the stream that allocated it (cudarc's `CudaSlice` drop, right
        // after this): that stream first waits for every stream that read the frame.
        self.sync.release_on(self.data.stream());
    }
}

/// A frame's cross-stream ordering (see the module documentation).
impl DeviceFrame {
    /// Records on `stream`, the one that wrote the frame, that the frame is complete once the
    /// work submitted so far is done.
    pub fn record_ready(&mut self, stream: &CudaStream) -> Result<(), DeviceError> {
        self.sync.record_ready(stream)
    }

    /// Makes `stream` wait on the device until the frame is complete (see
    /// [`DeviceFrame::record_ready`]); the host does not block.
    pub fn wait_ready(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        self.sync.wait_ready(stream)
    }

    /// Blocks the host until the frame is complete.
    pub fn synchronize_ready(&self) -> Result<(), DeviceError> {
        self.sync.synchronize_ready()
    }

    /// Records on `stream` that its reads of the frame are submitted: the memory is freed only
    /// after they are done, whichever stream frees it.
    pub fn record_read(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        self.sync.record_read(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_per_stream_made_once() {
        let mut made = 0;
        let mut reads: Recent<usize, u32> = Recent::default();
        for key in [7, 7, 9, 7, 9] {
            let e = reads
                .get_or_try_insert(key, || {
                    made += 1;
                    Ok::<_, ()>(key as u32 * 10)
                })
                .unwrap();
            assert_eq!(*e, key as u32 * 10);
        }
        assert_eq!(made, 2, "a second read on a stream re-records its event");
        assert_eq!(reads.len(), 2);
        assert_eq!(reads.values().copied().collect::<Vec<_>>(), vec![70, 90]);
    }

    #[test]
    fn a_failed_event_is_not_kept() {
        let mut reads: Recent<usize, u32> = Recent::default();
        assert_eq!(
            reads.get_or_try_insert(1, || Err("no event")),
            Err("no event")
        );
        assert!(reads.is_empty());
        assert_eq!(reads.get_or_try_insert(1, || Ok::<_, ()>(5)), Ok(&5));
        assert_eq!(reads.len(), 1);
    }

    #[test]
    fn a_frame_without_events_needs_no_device() {
        // No ready event: waiting is a no-op, so frames made in order on one stream (and the
        // tests' host uploads) need no event at all.
        let sync = FrameSync::default();
        assert!(sync.synchronize_ready().is_ok());
        assert!(sync.reads.lock().unwrap().is_empty());
    }
}
