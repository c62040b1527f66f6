//! Stopping a run promptly. The run loop checks the stop flag between frames; a model call in
//! progress on the CPU (seconds for a whole frame) is stopped from a watcher thread, which
//! cancels the models' run options as soon as the flag is set, and the call's error is then
//! reported as the interruption it is.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{PipelineError, StopFlag};
use crate::models::runtime::Cancel;

/// How often the watcher looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Runs `work`, cancelling `cancel` from a watcher thread once `stop` is set. A failure while
/// `stop` is set is the interruption, whatever the interrupted call reported.
pub fn cancelling<R>(
    stop: &StopFlag,
    cancel: Option<Cancel>,
    work: impl FnOnce() -> Result<R, PipelineError>,
) -> Result<R, PipelineError> {
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        if let Some(cancel) = cancel {
            scope.spawn(|| watch(stop, &done, cancel));
        }
        let result = work();
        done.store(true, Ordering::Relaxed);
        result
    });
    result.map_err(|e| match stop.load(Ordering::Relaxed) {
        0 => e,
        signal => PipelineError::Interrupted(signal),
    })
}

/// Polls `stop` until `done`; cancels `cancel` once when `stop` is set.
fn watch(stop: &StopFlag, done: &AtomicBool, cancel: Cancel) {
    while !done.load(Ordering::Relaxed) {
        if stop.load(Ordering::Relaxed) != 0 {
            cancel.cancel();
            return;
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_the_flag_is_the_interruption() {
        let stop = StopFlag::new(0);
        let failed = cancelling(&stop, None, || -> Result<(), _> {
            Err(PipelineError::ModelOutput("terminated".into()))
        });
        assert!(matches!(failed, Err(PipelineError::ModelOutput(_))));
        stop.store(143, Ordering::Relaxed);
        let failed = cancelling(&stop, None, || -> Result<(), _> {
            Err(PipelineError::ModelOutput("terminated".into()))
        });
        assert!(matches!(failed, Err(PipelineError::Interrupted(143))));
    }
}
