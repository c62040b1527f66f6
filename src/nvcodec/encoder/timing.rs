//! The encoder's bookkeeping that needs no GPU: which input/bitstream slot each frame uses and
//! which slots hold finished output ([`SlotRing`]), and the decode timestamps of the packets
//! ([`DtsClock`]).

use std::collections::VecDeque;
use std::ops::Range;

/// A ring of `size` input/bitstream slot pairs. In synchronous mode NVENC holds frames back
/// (B-frames, lookahead) and then releases several at once, in submission order. A released
/// frame's output need not be taken at once: locking its bitstream blocks the host until the GPU
/// has encoded it, so the encoder leaves the newest few released frames in their slots
/// ([`SlotRing::take_released`]) and the host runs ahead of the encode stream by that many frames.
#[derive(Debug, Clone)]
pub struct SlotRing {
    size: usize,
    /// Frames submitted.
    sent: u64,
    /// Frames NVENC has released (their output can be locked).
    released: u64,
    /// Frames whose output has been taken.
    got: u64,
}

impl SlotRing {
    pub fn new(size: usize) -> Self {
        SlotRing {
            size: size.max(1),
            sent: 0,
            released: 0,
            got: 0,
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The slot the next frame goes into, or `None` when every slot still holds a frame whose
    /// output has not been taken.
    pub fn next_slot(&self) -> Option<usize> {
        ((self.sent - self.got) < self.size as u64)
            .then_some((self.sent % self.size as u64) as usize)
    }

    /// Records that the frame in [`SlotRing::next_slot`] was submitted.
    pub fn submitted(&mut self) {
        self.sent += 1;
    }

    /// NVENC released every frame submitted so far (`nvEncEncodePicture` succeeded, or the end
    /// of the stream was sent).
    pub fn release_all(&mut self) {
        self.released = self.sent;
    }

    /// The released slots to read now, oldest first, which count as taken from now on: all but
    /// the newest `keep` released frames, and more if that is what frees a slot for the next
    /// frame. `keep` 0 takes every released frame.
    pub fn take_released(&mut self, keep: usize) -> Vec<usize> {
        let ready = self.released - self.got;
        let beyond_keep = ready.saturating_sub(keep as u64);
        // The next frame needs `in_flight < size`.
        let to_free = (self.sent - self.got + 1).saturating_sub(self.size as u64);
        let take = beyond_keep.max(to_free).min(ready);
        let range: Range<u64> = self.got..self.got + take;
        self.got += take;
        range.map(|i| (i % self.size as u64) as usize).collect()
    }

    /// Frames submitted so far.
    pub fn submitted_count(&self) -> u64 {
        self.sent
    }

    /// Frames submitted and not yet finished.
    pub fn in_flight(&self) -> usize {
        (self.sent - self.got) as usize
    }
}

/// Decode timestamps for packets that come out with B-frames reordered: packet `k` gets the
/// presentation time of input `k - delay` (inputs arrive in presentation order), and the first
/// `delay` packets count back from the first input by one frame each, so dts never exceeds pts
/// and always increases.
#[derive(Debug, Clone)]
pub struct DtsClock {
    delay: u32,
    frame_duration: i64,
    first: Option<i64>,
    inputs: VecDeque<i64>,
    received: u64,
    emitted: u64,
}

impl DtsClock {
    /// `delay` is the number of B-frames between references (`frameIntervalP - 1`).
    pub fn new(delay: u32, frame_duration: i64) -> Self {
        DtsClock {
            delay,
            frame_duration: frame_duration.max(1),
            first: None,
            inputs: VecDeque::new(),
            received: 0,
            emitted: 0,
        }
    }

    /// A frame submitted with `pts`.
    pub fn input(&mut self, pts: i64) {
        self.first.get_or_insert(pts);
        self.inputs.push_back(pts);
        self.received += 1;
    }

    /// The dts of the next packet out; `None` when more packets came out than frames went in.
    pub fn next_dts(&mut self) -> Option<i64> {
        let k = self.emitted;
        if k >= self.received {
            return None;
        }
        let first = self.first?;
        let delay = u64::from(self.delay);
        let dts = if k < delay {
            first - (delay - k) as i64 * self.frame_duration
        } else {
            self.inputs.pop_front()?
        };
        self.emitted += 1;
        Some(dts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cycle_and_finish_in_submission_order() {
        let mut ring = SlotRing::new(3);
        for expected in [0, 1] {
            assert_eq!(ring.next_slot(), Some(expected));
            ring.submitted();
        }
        ring.release_all();
        assert_eq!(ring.take_released(0), vec![0, 1]);
        assert_eq!((ring.in_flight(), ring.submitted_count()), (0, 2));
        for expected in [2, 0, 1] {
            assert_eq!(ring.next_slot(), Some(expected));
            ring.submitted();
        }
        // Every slot holds a frame NVENC has not released.
        assert_eq!(ring.next_slot(), None);
        assert!(ring.take_released(0).is_empty(), "nothing released yet");
        ring.release_all();
        assert_eq!(ring.take_released(0), vec![2, 0, 1]);
        assert_eq!(ring.next_slot(), Some(2));
        assert!(ring.take_released(0).is_empty());
    }

    #[test]
    fn released_frames_are_taken_late_but_never_block_the_next_slot() {
        let mut ring = SlotRing::new(6);
        // Two frames held back by NVENC, then released with the third.
        for _ in 0..3 {
            ring.submitted();
        }
        ring.release_all();
        assert!(
            ring.take_released(3).is_empty(),
            "three released, three kept"
        );
        ring.submitted();
        ring.release_all();
        assert_eq!(
            ring.take_released(3),
            vec![0],
            "the oldest beyond the newest three"
        );
        assert_eq!(ring.in_flight(), 3);
        // NVENC holds three more back: the ring is full unless released frames are taken.
        for _ in 0..3 {
            assert!(ring.next_slot().is_some());
            ring.submitted();
        }
        assert_eq!(ring.in_flight(), 6);
        assert_eq!(ring.next_slot(), None);
        assert_eq!(
            ring.take_released(3),
            vec![1],
            "back-pressure: one released frame taken although three may be kept"
        );
        assert_eq!(ring.next_slot(), Some(1));
        // The end of the stream takes everything.
        ring.release_all();
        assert_eq!(ring.take_released(0), vec![2, 3, 4, 5, 0]);
        assert_eq!(ring.in_flight(), 0);
    }

    #[test]
    fn frames_not_released_are_never_taken() {
        let mut ring = SlotRing::new(2);
        ring.submitted();
        ring.submitted();
        // Full, but NVENC still holds both: nothing can be read (the encoder reports no free
        // input rather than locking a frame NVENC has not released).
        assert!(ring.take_released(0).is_empty());
        assert_eq!(ring.next_slot(), None);
    }

    #[test]
    fn dts_of_ipbb_output_stays_below_pts_and_increases() {
        // Inputs 0..6 (duration 1); NVENC with two B-frames emits I0 P3 B1 B2 P6 B4 B5.
        let mut clock = DtsClock::new(2, 1);
        for pts in 0..7 {
            clock.input(pts);
        }
        let pts_out = [0, 3, 1, 2, 6, 4, 5];
        let dts: Vec<i64> = pts_out.iter().map(|_| clock.next_dts().unwrap()).collect();
        assert_eq!(dts, vec![-2, -1, 0, 1, 2, 3, 4]);
        for (d, p) in dts.iter().zip(pts_out) {
            assert!(*d <= p);
        }
        assert_eq!(clock.next_dts(), None);
    }

    #[test]
    fn without_b_frames_dts_is_pts() {
        let mut clock = DtsClock::new(0, 512);
        assert_eq!(clock.next_dts(), None);
        for pts in [0, 512, 1536] {
            clock.input(pts);
            assert_eq!(clock.next_dts(), Some(pts));
        }
    }
}
