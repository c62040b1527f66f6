//! Stopping model calls that are running. ONNX Runtime checks a run's terminate flag between the
//! graph's nodes, so a call ends within one node of [`Cancel::cancel`] (milliseconds for the
//! tile-sized convolutions of a default run) instead of at its end.

use std::sync::Arc;

use ort::session::RunOptions;

use super::{environment, RuntimeError};

/// The run options every session of a job runs with; cancelling them stops those sessions' calls
/// now and refuses later ones. Clones share one flag.
#[derive(Clone)]
pub struct Cancel {
    options: Arc<RunOptions>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel").finish_non_exhaustive()
    }
}

impl Cancel {
    /// New run options (loading the ONNX Runtime library if it is not loaded yet).
    pub fn new() -> Result<Self, RuntimeError> {
        environment()?;
        let options = RunOptions::new().map_err(|e| RuntimeError::Ort(e.to_string()))?;
        Ok(Cancel {
            options: Arc::new(options),
        })
    }

    /// Stops every call running with these options, and every later one.
    pub fn cancel(&self) {
        if let Err(e) = self.options.terminate() {
            log::warn!("cannot stop the running model call: {e}");
        }
    }

    pub(super) fn options(&self) -> &RunOptions {
        &self.options
    }
}
