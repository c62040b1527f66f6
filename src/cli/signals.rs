//! Ctrl-C and SIGTERM: a flag the pipeline checks at every frame, set to the exit code.

use std::sync::Arc;

use anyhow::Context as _;

use smoothscale::pipeline::StopFlag;

/// A stop flag set to 130 on SIGINT and 143 on SIGTERM.
pub fn stop_flag() -> anyhow::Result<Arc<StopFlag>> {
    let stop = Arc::new(StopFlag::new(0));
    for (signal, code) in [
        (signal_hook::consts::SIGINT, 130),
        (signal_hook::consts::SIGTERM, 143),
    ] {
        signal_hook::flag::register_usize(signal, Arc::clone(&stop), code)
            .context("cannot install the signal handler")?;
    }
    Ok(stop)
}
