//! The CUDA backend's three streams and how frames cross between them.
//!
//! - **decode:** NVDEC maps each surface on it and our kernel converts the surface into a new
//!   planar RGB frame (or the software decoder's frame is uploaded on it);
//! - **models:** scene luma, RIFE and the upscaler (TensorRT enqueues), each output frame
//!   allocated and written on it;
//! - **encode:** our RGB → NV12/P010 kernel into NVENC's registered input buffer, and NVENC
//!   itself (`nvEncSetIOCudaStreams` points it at this stream).
//!
//! A frame crosses from its producer's stream to a reader's stream by events, not by blocking the
//! host: the producer records the frame's ready event after its last write, and a reader goes
//! through [`reading`] (or a [`Reading`] guard), which makes its stream wait on the ready events of the frames it reads
//! and, after submitting the reads, records a read event per frame so the memory is freed (on the
//! allocating stream, when the frame drops) only after those reads (see
//! [`crate::cuda::device::sync`]).
//!
//! None of this has run on a GPU yet.

use std::sync::Arc;

use cudarc::driver::CudaStream;

use crate::cuda::device::{DeviceError, DeviceFrame, Gpu};

/// The run's streams, one per stage.
#[derive(Debug, Clone)]
pub struct Streams {
    /// NVDEC's mapping and the conversion into RGB frames (or the software decoder's uploads).
    pub decode: Arc<CudaStream>,
    /// Scene luma, RIFE and the upscaler.
    pub models: Arc<CudaStream>,
    /// The conversion into NVENC's input and NVENC (or the host copies without NVENC).
    pub encode: Arc<CudaStream>,
}

impl Streams {
    /// Three new streams on `gpu`.
    pub fn new(gpu: &Gpu) -> Result<Self, DeviceError> {
        Ok(Streams {
            decode: gpu.new_stream()?,
            models: gpu.new_stream()?,
            encode: gpu.new_stream()?,
        })
    }
}

/// A frame whose use is ordered across streams by events, as [`DeviceFrame`] is (a trait so the
/// order of [`reading`] is tested without a GPU).
pub trait CrossStream<S: ?Sized> {
    /// Makes `stream` wait on the device until the frame's producer is done.
    fn wait_ready(&self, stream: &S) -> Result<(), DeviceError>;
    /// Records on `stream` that its reads of the frame are submitted.
    fn record_read(&self, stream: &S) -> Result<(), DeviceError>;
}

impl CrossStream<CudaStream> for DeviceFrame {
    fn wait_ready(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        DeviceFrame::wait_ready(self, stream)
    }

    fn record_read(&self, stream: &CudaStream) -> Result<(), DeviceError> {
        DeviceFrame::record_read(self, stream)
    }
}

/// Reads of `inputs` on `stream` in progress: [`Reading::begin`] makes `stream` wait for every
/// input to be ready; [`Reading::end`] (or the drop, on an early return) records on `stream`
/// that each input was read, so its memory is freed only after these reads. Recording on drop
/// too matters: failed work may have submitted some reads before failing.
pub struct Reading<'a, S: ?Sized, F: CrossStream<S> + ?Sized> {
    stream: &'a S,
    inputs: Vec<&'a F>,
    ended: bool,
}

impl<'a, S: ?Sized, F: CrossStream<S> + ?Sized> Reading<'a, S, F> {
    /// Makes `stream` wait (on the device) for `inputs`.
    pub fn begin(stream: &'a S, inputs: &[&'a F]) -> Result<Self, DeviceError> {
        for input in inputs {
            input.wait_ready(stream)?;
        }
        Ok(Reading {
            stream,
            inputs: inputs.to_vec(),
            ended: false,
        })
    }

    /// Records every input's read; the first failure, after all are tried.
    pub fn end(mut self) -> Result<(), DeviceError> {
        self.ended = true;
        self.record()
    }

    fn record(&self) -> Result<(), DeviceError> {
        let mut recorded = Ok(());
        for input in &self.inputs {
            if let Err(e) = input.record_read(self.stream) {
                recorded = recorded.and(Err(e));
            }
        }
        recorded
    }
}

impl<S: ?Sized, F: CrossStream<S> + ?Sized> Drop for Reading<'_, S, F> {
    fn drop(&mut self) {
        if !self.ended {
            if let Err(e) = self.record() {
                // An early return is already reporting its own error.
                log::warn!("{e}");
            }
        }
    }
}

/// Submits `work`, which reads `inputs` on `stream`, between [`Reading::begin`] and
/// [`Reading::end`]. The reads are recorded even when `work` fails; the work's error is the one
/// returned.
pub fn reading<S, F, R, E>(
    stream: &S,
    inputs: &[&F],
    work: impl FnOnce() -> Result<R, E>,
) -> Result<R, E>
where
    S: ?Sized,
    F: CrossStream<S> + ?Sized,
    E: From<DeviceError>,
{
    let reads = Reading::begin(stream, inputs)?;
    let result = work();
    let recorded = reads.end();
    let value = result?;
    recorded?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// What happened, in order, on the one fake stream.
    type Log = RefCell<Vec<String>>;

    struct Fake {
        name: &'static str,
        fail_read: bool,
    }

    impl CrossStream<Log> for Fake {
        fn wait_ready(&self, log: &Log) -> Result<(), DeviceError> {
            log.borrow_mut().push(format!("wait {}", self.name));
            Ok(())
        }

        fn record_read(&self, log: &Log) -> Result<(), DeviceError> {
            log.borrow_mut().push(format!("read {}", self.name));
            if self.fail_read {
                return Err(DeviceError::Layout(format!("no event for {}", self.name)));
            }
            Ok(())
        }
    }

    fn fake(name: &'static str) -> Fake {
        Fake {
            name,
            fail_read: false,
        }
    }

    #[test]
    fn waits_before_the_work_and_records_reads_after_it() {
        let log = Log::default();
        let (a, b) = (fake("a"), fake("b"));
        let got = reading(&log, &[&a, &b], || {
            log.borrow_mut().push("work".into());
            Ok::<_, DeviceError>(7)
        });
        assert_eq!(got.unwrap(), 7);
        assert_eq!(
            *log.borrow(),
            ["wait a", "wait b", "work", "read a", "read b"]
        );
    }

    #[test]
    fn a_failed_work_still_records_its_reads() {
        let log = Log::default();
        let a = fake("a");
        let got: Result<(), DeviceError> = reading(&log, &[&a], || {
            log.borrow_mut().push("work".into());
            Err(DeviceError::Layout("launch failed".into()))
        });
        assert!(got.unwrap_err().to_string().contains("launch failed"));
        assert_eq!(*log.borrow(), ["wait a", "work", "read a"]);
    }

    #[test]
    fn a_failed_read_event_is_reported_after_every_input_is_recorded() {
        let log = Log::default();
        let a = Fake {
            name: "a",
            fail_read: true,
        };
        let b = fake("b");
        let got = reading(&log, &[&a, &b], || Ok::<_, DeviceError>(()));
        assert!(got.unwrap_err().to_string().contains("no event for a"));
        assert_eq!(
            *log.borrow(),
            ["wait a", "wait b", "read a", "read b"],
            "b's read is recorded although a's failed"
        );
    }

    #[test]
    fn an_early_return_records_the_reads_when_the_guard_drops() {
        let log = Log::default();
        let (a, b) = (fake("a"), fake("b"));
        let stage = || -> Result<(), DeviceError> {
            let _reads = Reading::begin(&log, &[&a, &b])?;
            log.borrow_mut().push("work".into());
            Err(DeviceError::Layout("engine failed".into()))
        };
        assert!(stage().is_err());
        assert_eq!(
            *log.borrow(),
            ["wait a", "wait b", "work", "read a", "read b"]
        );
        // Ended explicitly, the reads are recorded once.
        log.borrow_mut().clear();
        Reading::begin(&log, &[&a]).unwrap().end().unwrap();
        assert_eq!(*log.borrow(), ["wait a", "read a"]);
    }
}
