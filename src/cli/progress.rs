//! Progress: a bar with ETA on a terminal; without one (systemd, CI, a log file) a plain line
//! about every 10 s with the frames done, the rate and the ETA; nothing with `--quiet`.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use smoothscale::pipeline::Progress;

/// How often the plain progress line is printed (`SMOOTHSCALE_PROGRESS_INTERVAL`, in seconds,
/// overrides it; the tests use a short one).
const LINE_INTERVAL: Duration = Duration::from_secs(10);

/// Where bars draw: stderr, or nowhere with `--quiet` (indicatif also hides them off a terminal).
pub fn draw_target(quiet: bool) -> ProgressDrawTarget {
    if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

/// A frame counter: drawn on a terminal, printed as lines elsewhere.
pub struct Bar {
    bar: ProgressBar,
    lines: Option<Lines>,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, draw_target(quiet));
        let lines = (!quiet && !std::io::stderr().is_terminal()).then(|| Lines::start(interval()));
        Bar { bar, lines }
    }

    pub fn done(&self) {
        self.bar.finish_and_clear();
        if let Some(lines) = &self.lines {
            lines.stop();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(mut lines) = self.lines.take() {
            lines.stop();
            if let Some(thread) = lines.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Progress for Bar {
    fn start(&self, expected_frames: Option<u64>) {
        let template = match expected_frames {
            Some(n) => {
                self.bar.set_length(n);
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} frames {per_sec} ETA {eta}"
            }
            None => "{spinner} [{elapsed_precise}] {pos} frames {per_sec}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style);
        }
        if let Some(lines) = &self.lines {
            lines.counts.start(expected_frames);
        }
    }

    fn frame(&self) {
        self.bar.inc(1);
        // The expected count is an estimate from the container: grow it rather than overflow.
        if self
            .bar
            .length()
            .is_some_and(|len| self.bar.position() > len)
        {
            self.bar.set_length(self.bar.position());
        }
        if let Some(lines) = &self.lines {
            lines.counts.done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn interval() -> Duration {
    std::env::var("SMOOTHSCALE_PROGRESS_INTERVAL")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(LINE_INTERVAL, Duration::from_secs_f64)
}

/// Frames done and expected (0: not known), and when counting began.
struct Counts {
    done: AtomicU64,
    total: AtomicU64,
    since: Mutex<Option<Instant>>,
}

impl Counts {
    fn start(&self, expected: Option<u64>) {
        self.total.store(expected.unwrap_or(0), Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// `progress: 12/48 frames (25%), 0.35 frames/s, ETA 1m43s`, or `None` before the start.
    fn line(&self) -> Option<String> {
        let since = (*self.since.lock().unwrap_or_else(|e| e.into_inner()))?;
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed).max(done);
        Some(progress_line(done, total, since.elapsed()))
    }
}

/// One progress line for `done` of `total` frames (0: unknown) after `elapsed`.
fn progress_line(done: u64, total: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    };
    if total == 0 {
        return format!("progress: {done} frames, {rate:.2} frames/s");
    }
    let percent = done * 100 / total;
    let eta = if done == 0 || rate <= 0.0 {
        "unknown".to_string()
    } else {
        duration_text(((total - done) as f64 / rate).round() as u64)
    };
    format!("progress: {done}/{total} frames ({percent}%), {rate:.2} frames/s, ETA {eta}")
}

/// `1h02m03s`, `4m05s`, `6s`.
fn duration_text(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

/// The thread printing progress lines until stopped.
struct Lines {
    counts: Arc<Counts>,
    stopped: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Lines {
    fn start(every: Duration) -> Self {
        let counts = Arc::new(Counts {
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            since: Mutex::new(None),
        });
        let stopped = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = {
            let (counts, stopped) = (counts.clone(), stopped.clone());
            std::thread::spawn(move || {
                let (lock, wake) = &*stopped;
                let mut stop = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    let (guard, _) = wake
                        .wait_timeout_while(stop, every, |s| !*s)
                        .unwrap_or_else(|e| e.into_inner());
                    stop = guard;
                    if *stop {
                        return;
                    }
                    if let Some(line) = counts.line() {
                        eprintln!("{line}");
                    }
                }
            })
        };
        Lines {
            counts,
            stopped,
            thread: Some(thread),
        }
    }

    fn stop(&self) {
        let (lock, wake) = &*self.stopped;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_give_frames_rate_and_eta() {
        assert_eq!(
            progress_line(12, 48, Duration::from_secs(30)),
            "progress: 12/48 frames (25%), 0.40 frames/s, ETA 1m30s"
        );
        assert_eq!(
            progress_line(0, 48, Duration::from_secs(30)),
            "progress: 0/48 frames (0%), 0.00 frames/s, ETA unknown"
        );
        assert_eq!(
            progress_line(7, 0, Duration::from_secs(2)),
            "progress: 7 frames, 3.50 frames/s"
        );
        assert_eq!(duration_text(3723), "1h02m03s");
        assert_eq!(duration_text(6), "6s");
    }
}
