//! `--watch`: which files of a polled folder are ready, i.e. have kept their size and
//! modification time for a while (a copy in progress keeps changing them) and were not handled
//! in that state already.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Size and modification time (ns) of a file.
pub type Stamp = (u64, u64);

/// Tracks the files of a watched folder between polls.
#[derive(Debug)]
pub struct Settler {
    settle: Duration,
    /// Last stamp seen and since when it has not changed.
    seen: HashMap<String, (Stamp, Instant)>,
    /// The stamp each file had when it was last handled.
    handled: HashMap<String, Stamp>,
}

impl Settler {
    pub fn new(settle: Duration) -> Self {
        Settler {
            settle,
            seen: HashMap::new(),
            handled: HashMap::new(),
        }
    }

    /// Notes `name`'s stamp at `now`; true when it has been stable for the settle time and was
    /// not handled with this stamp.
    pub fn observe(&mut self, name: &str, stamp: Stamp, now: Instant) -> bool {
        let since = match self.seen.get(name) {
            Some((old, since)) if *old == stamp => *since,
            _ => now,
        };
        self.seen.insert(name.to_string(), (stamp, since));
        now.duration_since(since) >= self.settle && self.handled.get(name) != Some(&stamp)
    }

    /// Marks `name` as handled in its last observed state (a later change makes it ready again).
    pub fn handled(&mut self, name: &str) {
        if let Some((stamp, _)) = self.seen.get(name) {
            self.handled.insert(name.to_string(), *stamp);
        }
    }

    /// Forgets files that are gone.
    pub fn retain(&mut self, present: &[&str]) {
        self.seen.retain(|k, _| present.contains(&k.as_str()));
        self.handled.retain(|k, _| present.contains(&k.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_stable_and_again_after_a_change() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let mut w = Settler::new(Duration::from_secs(3));
        assert!(!w.observe("a.mp4", (10, 1), s(0)));
        assert!(!w.observe("a.mp4", (20, 2), s(2)), "still growing");
        assert!(!w.observe("a.mp4", (20, 2), s(4)));
        assert!(w.observe("a.mp4", (20, 2), s(5)), "stable for 3 s");
        w.handled("a.mp4");
        assert!(!w.observe("a.mp4", (20, 2), s(9)), "handled already");
        assert!(
            !w.observe("a.mp4", (30, 3), s(10)),
            "replaced: settles again"
        );
        assert!(w.observe("a.mp4", (30, 3), s(13)));
        w.retain(&[]);
        assert!(
            !w.observe("a.mp4", (30, 3), s(14)),
            "forgotten, so seen anew"
        );
    }
}
