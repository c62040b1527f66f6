//! Ctrl-C and SIGTERM: a flag the pipeline checks at every frame (and its watcher thread, which
//! cancels a running model call), set to the exit code. Should the run not have ended
//! [`GRACE`] after the signal (a TensorRT engine build, a slow encoder flush), the temporary
//! outputs are removed and the process exits with that code anyway.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use smoothscale::pipeline::StopFlag;

/// How long a run has to stop by itself after a signal.
const GRACE: Duration = Duration::from_millis(900);

/// The exit code of a signal: 128 + its number.
fn exit_code(signal: i32) -> usize {
    128 + signal as usize
}

/// A stop flag set to 130 on SIGINT and 143 on SIGTERM, with the deadline described above.
pub fn stop_flag() -> anyhow::Result<Arc<StopFlag>> {
    let stop = Arc::new(StopFlag::new(0));
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).context("cannot install the signal handler")?;
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            let code = exit_code(signal);
            flag.store(code, Ordering::Relaxed);
            std::thread::sleep(GRACE);
            let removed = smoothscale::video::remove_pending_partials();
            eprintln!(
                "interrupted: stopped after {} ms, {removed} temporary file(s) removed",
                GRACE.as_millis()
            );
            std::process::exit(i32::try_from(code).unwrap_or(130));
        })
        .context("cannot start the signal thread")?;
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(exit_code(SIGINT), 130);
        assert_eq!(exit_code(SIGTERM), 143);
    }
}
