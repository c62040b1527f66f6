//! The frame timeline: which output frame is made from which source frames.
//!
//! Backend-free and exact. Source frames arrive with their real presentation times (variable frame
//! rate included); output frame `k` is shown at `origin + k / rate`. Each output frame is either a
//! source frame or a blend of a consecutive source pair `(i, i + 1)` at a timestep `t` in `(0, 1)`,
//! so `--target-fps 60` from 24 fps is an exact retime and a gap in a variable-rate source is filled
//! by the same rule. The plan is streamed: each pushed source frame releases the output frames that
//! fall before it, so the pipeline never needs more than two decoded frames in hand.

mod rational;

pub use rational::Rational;

/// How the output frame rate relates to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateMode {
    /// Same nominal rate, source frames only (a faithful re-encode; variable rate becomes constant).
    Keep,
    /// `n` times the nominal rate, new frames interpolated.
    Multiply(u32),
    /// An exact target rate in frames per second, new frames interpolated.
    Fps(Rational),
}

/// What one output frame is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Source frame `i`, as it is.
    Source(usize),
    /// Interpolated between source frames `first` and `first + 1` at timestep `t` in `(0, 1)`.
    Blend { first: usize, t: Rational },
}

/// One planned output frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFrame {
    /// Output frame number, from 0.
    pub index: u64,
    /// Presentation time relative to the first source frame, in seconds.
    pub time: Rational,
    pub content: Content,
}

/// Why a source timestamp was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    #[error("frame time {time} s is not after the previous frame's {previous} s")]
    NotIncreasing { time: Rational, previous: Rational },
    #[error("output frame rate {0} is not positive")]
    BadRate(Rational),
}

/// The streaming planner. Push source times in display order, then `finish` with the end time.
#[derive(Debug, Clone)]
pub struct Timeline {
    rate: Rational,
    interpolate: bool,
    tolerance: Rational,
    origin: Option<Rational>,
    last: Option<(usize, Rational)>,
    next: u64,
}

impl Timeline {
    /// A planner producing `rate` frames per second. `interpolate` allows blended frames;
    /// without it each output frame is the nearest source frame. Output times within `tolerance`
    /// of a source frame use that frame as it is (timestamps are rounded to their time base).
    pub fn new(
        rate: Rational,
        interpolate: bool,
        tolerance: Rational,
    ) -> Result<Self, TimelineError> {
        if !rate.is_positive() {
            return Err(TimelineError::BadRate(rate));
        }
        let period = Rational::ONE / rate;
        let cap = period / Rational::from_int(4);
        Ok(Timeline {
            rate,
            interpolate,
            tolerance: tolerance.max(Rational::ZERO).min(cap),
            origin: None,
            last: None,
            next: 0,
        })
    }

    /// The planner for `mode` over a source whose nominal rate is `nominal_rate`.
    pub fn for_mode(
        mode: RateMode,
        nominal_rate: Rational,
        tolerance: Rational,
    ) -> Result<Self, TimelineError> {
        match mode {
            RateMode::Keep => Timeline::new(nominal_rate, false, tolerance),
            RateMode::Multiply(n) => {
                Timeline::new(nominal_rate * Rational::from_int(n.into()), true, tolerance)
            }
            RateMode::Fps(fps) => Timeline::new(fps, true, tolerance),
        }
    }

    /// Output frames per second.
    pub fn rate(&self) -> Rational {
        self.rate
    }

    /// The number of source frames accepted so far.
    pub fn sources(&self) -> usize {
        self.last.map_or(0, |(i, _)| i + 1)
    }

    /// Accepts the next source frame (absolute time in seconds) and returns the output frames
    /// that are now decided. The frame's index is `sources() - 1` after the call.
    pub fn push(&mut self, time: Rational) -> Result<Vec<OutputFrame>, TimelineError> {
        let origin = *self.origin.get_or_insert(time);
        let index = match self.last {
            Some((_, previous)) if time <= previous => {
                return Err(TimelineError::NotIncreasing { time, previous })
            }
            Some((i, _)) => i + 1,
            None => 0,
        };
        let before = self.last;
        self.last = Some((index, time));
        let mut out = Vec::new();
        while let Some(t) = self.next_time(origin).filter(|t| *t <= time) {
            let content = match before {
                None => Content::Source(index),
                Some((i, s0)) => self.between(t, (i, s0), (index, time)),
            };
            out.push(self.emit(t - origin, content));
        }
        Ok(out)
    }

    /// Ends the source at `end` (absolute time: the last frame's time plus its duration) and
    /// returns the remaining output frames, holding the last source frame.
    pub fn finish(&mut self, end: Rational) -> Vec<OutputFrame> {
        let (Some(origin), Some((last, _))) = (self.origin, self.last) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(t) = self.next_time(origin).filter(|t| *t < end) {
            out.push(self.emit(t - origin, Content::Source(last)));
        }
        out
    }

    fn next_time(&self, origin: Rational) -> Option<Rational> {
        let k = i64::try_from(self.next).ok()?;
        Some(origin + Rational::from_int(k) / self.rate)
    }

    fn emit(&mut self, time: Rational, content: Content) -> OutputFrame {
        let frame = OutputFrame {
            index: self.next,
            time,
            content,
        };
        self.next += 1;
        frame
    }

    /// The content of output time `t` with `s0 < t <= s1`.
    fn between(
        &self,
        t: Rational,
        (i, s0): (usize, Rational),
        (j, s1): (usize, Rational),
    ) -> Content {
        let (d0, d1) = (t - s0, s1 - t);
        if !self.interpolate {
            return Content::Source(if d1 < d0 { j } else { i });
        }
        if d0 <= self.tolerance && d0 <= d1 {
            Content::Source(i)
        } else if d1 <= self.tolerance {
            Content::Source(j)
        } else {
            Content::Blend {
                first: i,
                t: d0 / (s1 - s0),
            }
        }
    }
}

/// Plans a whole source at once: `times` in display order, `end` as for [`Timeline::finish`].
pub fn plan(
    mode: RateMode,
    nominal_rate: Rational,
    tolerance: Rational,
    times: &[Rational],
    end: Rational,
) -> Result<Vec<OutputFrame>, TimelineError> {
    let mut timeline = Timeline::for_mode(mode, nominal_rate, tolerance)?;
    let mut out = Vec::new();
    for &time in times {
        out.extend(timeline.push(time)?);
    }
    out.extend(timeline.finish(end));
    Ok(out)
}

#[cfg(test)]
mod tests;
