use super::*;
use crate::nvcodec::decoder::plan::{decode_surfaces, DISPLAY_HEADROOM};

/// Reference frames the simulated stream keeps (H.264/HEVC allow up to 16).
const REFS: usize = 16;

/// Decode order of a hierarchical-B (B-pyramid) stream of GOPs of 8 in display order, every
/// picture a reference: 0, 8, 4, 2, 1, 3, 6, 5, 7, 16, 12, 10, 9, 11, 14, 13, 15, ...
fn pyramid_decode_order(gops: usize) -> Vec<usize> {
    let mut order = vec![0];
    for g in 0..gops {
        let base = g * 8;
        order.extend([8, 4, 2, 1, 3, 6, 5, 7].map(|o| base + o));
    }
    order
}

/// A parser as NVIDIA's behaves as far as surfaces go: it decodes each picture into a surface
/// neither referenced nor waiting for display (round-robin, as the old `cudaDecodeGL` sample's
/// frame queue assumes), keeps the last `REFS` pictures as references, and displays a picture in
/// display order once more than `REFS` wait (the DPB's bumping), the rest at the end of stream.
struct Parser {
    surfaces: u32,
    next: u32,
    /// (display number, surface) of pictures decoded and not displayed.
    waiting: Vec<(usize, u32)>,
    /// Surfaces of the reference pictures, oldest first.
    refs: VecDeque<u32>,
}

impl Parser {
    fn new(surfaces: u32) -> Self {
        Parser {
            surfaces,
            next: 0,
            waiting: Vec::new(),
            refs: VecDeque::new(),
        }
    }

    fn busy(&self, s: u32) -> bool {
        self.refs.contains(&s) || self.waiting.iter().any(|&(_, w)| w == s)
    }

    /// Decodes display number `n`: the surface it goes into, checked by the queue first.
    fn decode(&mut self, n: usize, queue: &DisplayQueue<usize>) -> Result<(), QueueError> {
        let s = (0..self.surfaces)
            .map(|i| (self.next + i) % self.surfaces)
            .find(|&s| !self.busy(s))
            .expect("the decoder has a free surface");
        self.next = (s + 1) % self.surfaces;
        queue.check_decode(key(s))?;
        self.waiting.push((n, s));
        self.refs.push_back(s);
        if self.refs.len() > REFS {
            self.refs.pop_front();
        }
        Ok(())
    }

    /// Displays, in display order, until at most `keep` pictures wait.
    fn display(&mut self, keep: usize, queue: &mut DisplayQueue<usize>) -> Result<(), QueueError> {
        self.waiting.sort_unstable();
        while self.waiting.len() > keep {
            let (n, s) = self.waiting.remove(0);
            queue.push(key(s), self.surfaces, n)?;
        }
        Ok(())
    }
}

fn key(picture: u32) -> SurfaceKey {
    SurfaceKey {
        decoder: 0,
        picture: picture as i32,
    }
}

/// Runs a stream through the parser; the caller takes every displayed picture out after each
/// packet when `take` says so. Returns the display order seen and the largest queue.
fn run(take: bool, gops: usize) -> Result<(Vec<usize>, usize), QueueError> {
    // min_num_decode_surfaces for 16 references: the DPB plus the picture being decoded.
    let mut parser = Parser::new(decode_surfaces((REFS + 1) as u8));
    let mut queue = DisplayQueue::default();
    let (mut shown, mut largest) = (Vec::new(), 0);
    let mut drain = |queue: &mut DisplayQueue<usize>, largest: &mut usize| {
        *largest = (*largest).max(queue.len());
        while let Some(n) = queue.pop() {
            shown.push(n);
        }
    };
    for n in pyramid_decode_order(gops) {
        parser.decode(n, &queue)?;
        parser.display(REFS, &mut queue)?;
        if take {
            drain(&mut queue, &mut largest);
        }
    }
    // End of stream: every picture still waiting is shown in one go.
    parser.display(0, &mut queue)?;
    drain(&mut queue, &mut largest);
    Ok((shown, largest))
}

#[test]
fn end_of_stream_flush_of_sixteen_references_and_a_b_pyramid_passes() {
    let (shown, largest) = run(true, 8).expect("the stream decodes");
    assert_eq!(
        shown,
        (0..=64).collect::<Vec<_>>(),
        "every picture, in display order"
    );
    // The flush shows all 16 held pictures at once: more than the old fixed limit allowed.
    assert_eq!(largest, REFS);
    assert!(largest > DISPLAY_HEADROOM as usize);
}

#[test]
fn a_caller_that_never_takes_frames_out_is_stopped_before_a_surface_is_overwritten() {
    let err = run(false, 8).expect_err("the parser runs out of untouched surfaces");
    assert!(
        matches!(err, QueueError::SurfaceStillQueued { .. }),
        "{err:?}"
    );
}

#[test]
fn the_queue_never_holds_more_pictures_than_surfaces() {
    let mut queue = DisplayQueue::default();
    for p in 0..4 {
        queue.push(key(p), 4, p).unwrap();
    }
    assert_eq!(
        queue.push(key(4), 4, 4),
        Err(QueueError::Backlog {
            queued: 5,
            surfaces: 4
        })
    );
    // Another decoder's surfaces are counted apart (a new sequence).
    let other = SurfaceKey {
        decoder: 1,
        picture: 0,
    };
    queue.push(other, 4, 9).unwrap();
    assert_eq!(
        queue.check_decode(other),
        Err(QueueError::SurfaceStillQueued { picture: 0 })
    );
    assert_eq!(queue.check_decode(key(7)), Ok(()));
    assert_eq!(queue.pop(), Some(0));
    assert_eq!(queue.check_decode(key(0)), Ok(()));
}
