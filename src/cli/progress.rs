//! Progress bars with ETA (hidden with `--quiet` or when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use smoothscale::pipeline::Progress;

/// Where bars draw: stderr, or nowhere with `--quiet` (indicatif also hides them off a terminal).
pub fn draw_target(quiet: bool) -> ProgressDrawTarget {
    if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

/// A frame counter drawn on stderr.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, draw_target(quiet));
        Bar { bar }
    }

    pub fn done(&self) {
        self.bar.finish_and_clear();
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
    }
}
