//! `--backend auto` on a machine with every CUDA piece: the job runs on the GPU, and a CUDA
//! pipeline that fails before writing its first output frame (an engine that does not build, a
//! GPU out of memory, NVDEC or NVENC refusing the stream) hands the job to the CPU. Nothing is
//! lost: no frame was written, and the output file only appears when a run completes.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{PipelineError, Progress};
use crate::video::VideoError;

/// Passes progress on, counting the frames written.
pub struct Counted<'a> {
    inner: &'a dyn Progress,
    frames: AtomicU64,
}

impl<'a> Counted<'a> {
    pub fn new(inner: &'a dyn Progress) -> Self {
        Counted {
            inner,
            frames: AtomicU64::new(0),
        }
    }

    /// Output frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }
}

impl Progress for Counted<'_> {
    fn start(&self, expected_frames: Option<u64>) {
        self.inner.start(expected_frames);
    }

    fn frame(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.inner.frame();
    }
}

/// Whether a failed CUDA run is run again on the CPU: only when falling back is allowed, no
/// output frame was written yet, and the failure is the GPU pipeline's own (not the input's, the
/// output's or an interruption, which the CPU would meet the same way).
pub fn to_cpu(allowed: bool, frames_written: u64, error: &PipelineError) -> bool {
    let gpu_failure = matches!(
        error,
        PipelineError::Gpu(_) | PipelineError::Video(VideoError::GpuDecode { .. })
    );
    allowed && frames_written == 0 && gpu_failure
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::cuda::GpuError;

    struct Nothing;
    impl Progress for Nothing {
        fn start(&self, _: Option<u64>) {}
        fn frame(&self) {}
    }

    fn gpu() -> PipelineError {
        PipelineError::Gpu(GpuError::Unsupported("no engine".into()))
    }

    #[test]
    fn only_an_early_gpu_failure_under_auto_falls_back() {
        let decode = || {
            PipelineError::Video(VideoError::GpuDecode {
                path: "in.mp4".into(),
                source: Box::new(std::io::Error::other("NVDEC")),
            })
        };
        // (allowed, frames written, error, falls back)
        let table: [(bool, u64, PipelineError, bool); 7] = [
            (true, 0, gpu(), true),
            (true, 0, decode(), true),
            (false, 0, gpu(), false),
            (true, 1, gpu(), false),
            (true, 0, PipelineError::Interrupted(130), false),
            (true, 0, PipelineError::ModelOutput("shape".into()), false),
            (
                true,
                0,
                PipelineError::Video(VideoError::BadStream("in.mp4".into(), "truncated")),
                false,
            ),
        ];
        for (allowed, written, error, expected) in table {
            assert_eq!(
                to_cpu(allowed, written, &error),
                expected,
                "{allowed} {written} {error}"
            );
        }
    }

    #[test]
    fn frames_are_counted_and_passed_on() {
        let counted = Counted::new(&Nothing);
        assert_eq!(counted.frames(), 0);
        counted.start(Some(3));
        counted.frame();
        counted.frame();
        assert_eq!(counted.frames(), 2);
    }
}
