//! Presentation times for the pictures NVDEC's parser hands back in display order.
//!
//! Packets go into `cuvidParseVideoData` in decode order, each with a timestamp; the parser's
//! display callback later reports each picture with the timestamp of the packet it came from, in
//! display order. [`DisplayClock`] keeps the timestamps that were sent and not yet shown, keyed by
//! pts, and gives every displayed picture its time: the parser's own when it is one we sent, else
//! the earliest pending one (display order is pts order). Pictures the decoder never shows (the
//! ones whose pts the display has passed) are counted, not leaked. Times are in the stream's time
//! base, passed to the parser unscaled.

use std::collections::BTreeMap;

/// A displayed picture's time, and whether it had to be inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Presentation time in the stream's time base.
    pub pts: i64,
    /// `false` when the parser reported a timestamp we sent; `true` when it did not and the
    /// time was taken from the pending ones or extrapolated.
    pub inferred: bool,
}

/// Why a displayed picture's time could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The parser showed a picture earlier than one already shown.
    #[error("the decoder displayed pts {pts} after pts {last}: display order went backwards")]
    Backwards { pts: i64, last: i64 },
}

/// The timestamps in flight between `cuvidParseVideoData` and the display callback.
#[derive(Debug, Clone)]
pub struct DisplayClock {
    /// Sent and not yet shown: pts → how many pictures carry it.
    pending: BTreeMap<i64, u32>,
    /// The latest time given to a submitted packet (sent or guessed).
    last_submitted: Option<i64>,
    /// The latest time shown.
    last_shown: Option<i64>,
    /// One frame's duration in the time base, for packets and pictures without a time.
    frame_duration: i64,
    dropped: u64,
}

impl DisplayClock {
    /// A clock for a stream whose frames last `frame_duration` time-base units (at least 1).
    pub fn new(frame_duration: i64) -> Self {
        DisplayClock {
            pending: BTreeMap::new(),
            last_submitted: None,
            last_shown: None,
            frame_duration: frame_duration.max(1),
            dropped: 0,
        }
    }

    /// Records a packet sent to the parser and returns the timestamp to send with it
    /// (`CUVIDSOURCEDATAPACKET::timestamp`, with `CUVID_PKT_TIMESTAMP`). A packet without a pts
    /// gets its dts, else one frame after the previous packet's time.
    pub fn submit(&mut self, pts: Option<i64>, dts: Option<i64>) -> i64 {
        let time = pts.or(dts).unwrap_or_else(|| match self.last_submitted {
            Some(last) => last.saturating_add(self.frame_duration),
            None => 0,
        });
        *self.pending.entry(time).or_insert(0) += 1;
        self.last_submitted = Some(self.last_submitted.map_or(time, |last| last.max(time)));
        time
    }

    /// The parser displays a picture with `timestamp` (`CUVIDPARSERDISPINFO::timestamp`): returns
    /// its presentation time. Pending times earlier than it belong to pictures that will never
    /// be shown; they are dropped and counted.
    pub fn display(&mut self, timestamp: i64) -> Result<Shown, TimestampError> {
        let (pts, inferred) = if self.pending.contains_key(&timestamp) {
            (timestamp, false)
        } else if let Some((&earliest, _)) = self.pending.iter().next() {
            (earliest, true)
        } else {
            let next = self
                .last_shown
                .map_or(timestamp, |last| last.saturating_add(self.frame_duration));
            (next, true)
        };
        if let Some(last) = self.last_shown {
            if pts < last {
                return Err(TimestampError::Backwards { pts, last });
            }
        }
        // Everything before `pts` was skipped by the decoder.
        let later = self.pending.split_off(&pts);
        self.dropped += self.pending.values().map(|&n| u64::from(n)).sum::<u64>();
        self.pending = later;
        if let Some(count) = self.pending.get_mut(&pts) {
            *count -= 1;
            if *count == 0 {
                self.pending.remove(&pts);
            }
        }
        self.last_shown = Some(pts);
        Ok(Shown { pts, inferred })
    }

    /// Pictures sent and not yet shown.
    pub fn pending(&self) -> usize {
        self.pending.values().map(|&n| n as usize).sum()
    }

    /// Pictures the decoder passed over without showing them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordered_b_frames_come_out_with_their_own_times() {
        // I P B B in decode order; the parser shows them in pts order.
        let mut clock = DisplayClock::new(1);
        for (pts, dts) in [(0, -2), (3, -1), (1, 0), (2, 1)] {
            assert_eq!(clock.submit(Some(pts), Some(dts)), pts);
        }
        for pts in 0..4 {
            let shown = clock.display(pts).unwrap();
            assert_eq!(
                shown,
                Shown {
                    pts,
                    inferred: false
                }
            );
        }
        assert_eq!(clock.pending(), 0);
        assert_eq!(clock.dropped(), 0);
    }

    #[test]
    fn packets_without_pts_use_dts_then_extrapolate() {
        let mut clock = DisplayClock::new(512);
        assert_eq!(clock.submit(None, Some(0)), 0);
        assert_eq!(clock.submit(None, None), 512);
        assert_eq!(clock.submit(None, None), 1024);
        assert_eq!(clock.pending(), 3);
    }

    #[test]
    fn unknown_parser_timestamps_take_the_earliest_pending_time() {
        let mut clock = DisplayClock::new(10);
        clock.submit(Some(100), None);
        clock.submit(Some(110), None);
        let shown = clock.display(0).unwrap();
        assert_eq!(
            shown,
            Shown {
                pts: 100,
                inferred: true
            }
        );
        assert_eq!(clock.display(110).unwrap().pts, 110);
        // Nothing pending: one frame after the last shown.
        assert_eq!(
            clock.display(-5).unwrap(),
            Shown {
                pts: 120,
                inferred: true
            }
        );
    }

    #[test]
    fn skipped_pictures_are_counted_not_kept() {
        let mut clock = DisplayClock::new(1);
        for pts in 0..5 {
            clock.submit(Some(pts), None);
        }
        assert_eq!(clock.display(0).unwrap().pts, 0);
        assert_eq!(clock.display(3).unwrap().pts, 3);
        assert_eq!(clock.dropped(), 2);
        assert_eq!(clock.pending(), 1);
    }

    #[test]
    fn duplicate_times_are_shown_once_each() {
        let mut clock = DisplayClock::new(1);
        clock.submit(Some(7), None);
        clock.submit(Some(7), None);
        assert!(!clock.display(7).unwrap().inferred);
        assert!(!clock.display(7).unwrap().inferred);
        assert_eq!(clock.pending(), 0);
    }

    #[test]
    fn display_going_backwards_is_an_error() {
        let mut clock = DisplayClock::new(1);
        clock.submit(Some(5), None);
        clock.submit(Some(2), None);
        assert_eq!(clock.display(5).unwrap().pts, 5);
        // 2 was dropped when 5 was shown; a late 2 with nothing pending is extrapolated forward.
        assert_eq!(
            clock.display(2).unwrap(),
            Shown {
                pts: 6,
                inferred: true
            }
        );
        clock.submit(Some(3), None);
        assert_eq!(
            clock.display(3).unwrap_err(),
            TimestampError::Backwards { pts: 3, last: 6 }
        );
    }
}
