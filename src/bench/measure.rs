//! Timing a stage: warm-up runs, then timed runs, their median.

use std::time::Instant;

use super::stages::{StageResult, StageStatus};
use super::Settings;
use crate::pipeline::PipelineError;

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Runs `warmup` untimed and `repeat` timed calls of `run`, which returns the frames it made.
pub(super) fn measure(
    name: &str,
    settings: Settings,
    mut run: impl FnMut() -> Result<u64, PipelineError>,
) -> Result<StageResult, PipelineError> {
    measure_prepared(name, settings, || Ok(()), |()| run())
}

/// [`measure`] where each run first needs `prepare` (untimed: opening an encoder session, say).
pub(super) fn measure_prepared<S>(
    name: &str,
    settings: Settings,
    mut prepare: impl FnMut() -> Result<S, PipelineError>,
    mut run: impl FnMut(S) -> Result<u64, PipelineError>,
) -> Result<StageResult, PipelineError> {
    for _ in 0..settings.warmup {
        run(prepare()?)?;
    }
    let mut runs_s = Vec::new();
    let mut frames = 0;
    for _ in 0..settings.repeat.max(1) {
        let prepared = prepare()?;
        let start = Instant::now();
        frames = run(prepared)?;
        runs_s.push(start.elapsed().as_secs_f64());
    }
    let median_s = median(&runs_s);
    let per_frame_s = median_s.filter(|_| frames > 0).map(|m| m / frames as f64);
    Ok(StageResult {
        name: name.into(),
        status: StageStatus::Measured,
        reason: None,
        frames,
        runs_s,
        median_s,
        per_frame_s,
        frames_per_s: per_frame_s.filter(|s| *s > 0.0).map(|s| 1.0 / s),
        host_peak_bytes: None,
        device_peak_bytes: None,
        gpu: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
