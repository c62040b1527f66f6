//! The capture decisions against a fake runner that records what it was asked to do.

use std::cell::Cell;
use std::rc::Rc;

use super::*;

/// A graph that counts its drops, so the tests see when one is released.
struct FakeGraph {
    id: u32,
    dropped: Rc<Cell<u32>>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.dropped.set(self.dropped.get() + 1);
    }
}

#[derive(Default)]
struct Fake {
    calls: Vec<String>,
    captures: u32,
    dropped: Rc<Cell<u32>>,
    fail_plain: bool,
    fail_capture: bool,
    fail_launch: bool,
}

impl GraphRunner for Fake {
    type Graph = FakeGraph;
    type Error = &'static str;

    fn plain(&mut self) -> Result<(), &'static str> {
        self.calls.push("plain".into());
        if self.fail_plain {
            return Err("plain failed");
        }
        Ok(())
    }

    fn capture(&mut self) -> Result<FakeGraph, String> {
        self.calls.push("capture".into());
        if self.fail_capture {
            return Err("enqueueV3 under capture failed".into());
        }
        self.captures += 1;
        Ok(FakeGraph {
            id: self.captures,
            dropped: self.dropped.clone(),
        })
    }

    fn launch(&mut self, graph: &FakeGraph) -> Result<(), &'static str> {
        self.calls.push(format!("launch {}", graph.id));
        if self.fail_launch {
            return Err("launch failed");
        }
        Ok(())
    }
}

fn key(address: u64) -> GraphKey {
    GraphKey {
        stream: 7,
        shapes: vec![("input".into(), vec![4, 3, 64, 64])],
        buffers: vec![
            ("input".into(), address, 4 * 3 * 64 * 64),
            ("out".into(), address + 0x10_0000, 4 * 3 * 128 * 128),
        ],
    }
}

fn enabled() -> CapturedEnqueue<FakeGraph> {
    let mut c = CapturedEnqueue::disabled();
    c.enable("test stage");
    c
}

/// Runs `keys` in order and returns the steps.
fn steps(c: &mut CapturedEnqueue<FakeGraph>, fake: &mut Fake, keys: &[u64]) -> Vec<GraphStep> {
    keys.iter()
        .map(|&k| c.run(key(k), fake).expect("call"))
        .collect()
}

use GraphStep::{Launch, Plain, PlainThenCapture};

#[test]
fn disabled_capture_always_enqueues_plainly() {
    let mut c = CapturedEnqueue::disabled();
    let mut fake = Fake::default();
    assert_eq!(steps(&mut c, &mut fake, &[1, 1, 1]), [Plain, Plain, Plain]);
    assert_eq!(fake.calls, ["plain", "plain", "plain"]);
    let s = c.stats();
    assert!(!s.enabled);
    assert_eq!((s.plain, s.captures, s.launches, &s.off), (3, 0, 0, &None));
}

#[test]
fn repeated_bindings_enqueue_then_capture_then_launch() {
    let mut c = enabled();
    let mut fake = Fake::default();
    let got = steps(&mut c, &mut fake, &[1, 1, 1, 1]);
    assert_eq!(got, [Plain, PlainThenCapture, Launch, Launch]);
    // The capture follows a plain enqueue with the same bindings in the same call.
    assert_eq!(
        fake.calls,
        ["plain", "plain", "capture", "launch 1", "launch 1"]
    );
    let s = c.stats();
    assert_eq!((s.plain, s.captures, s.launches), (2, 1, 2));
    assert_eq!(fake.dropped.get(), 0);
}

#[test]
fn changed_bindings_drop_the_graph_and_capture_again_when_they_repeat() {
    let mut c = enabled();
    let mut fake = Fake::default();
    let got = steps(&mut c, &mut fake, &[1, 1, 1, 2, 2, 2, 1]);
    assert_eq!(
        got,
        [
            Plain,
            PlainThenCapture,
            Launch,
            Plain,
            PlainThenCapture,
            Launch,
            Plain
        ]
    );
    assert_eq!(
        fake.calls[4..],
        ["plain", "plain", "capture", "launch 2", "plain"]
    );
    // Graph 1 went when the bindings changed, graph 2 when they changed back: the first
    // bindings' graph is not launched again without a new capture.
    assert_eq!(fake.dropped.get(), 2);
    let mut other = key(2);
    other.stream = 8;
    assert_eq!(c.run(other, &mut fake), Ok(Plain), "another stream");
}

#[test]
fn a_shape_change_alone_is_new_bindings() {
    let mut c = enabled();
    let mut fake = Fake::default();
    steps(&mut c, &mut fake, &[1, 1]);
    let mut partial = key(1);
    partial.shapes[0].1[0] = 2;
    assert_eq!(c.run(partial.clone(), &mut fake), Ok(Plain));
    assert_eq!(c.run(partial, &mut fake), Ok(PlainThenCapture));
    assert_eq!(fake.dropped.get(), 1);
}

#[test]
fn bindings_that_change_every_call_never_capture() {
    let mut c = enabled();
    let mut fake = Fake::default();
    let got = steps(&mut c, &mut fake, &[1, 2, 3, 1, 2, 3]);
    assert!(got.iter().all(|s| *s == Plain), "{got:?}");
    assert!(!fake.calls.iter().any(|c| c == "capture"));
    assert_eq!(c.stats().off, None);
}

#[test]
fn a_failed_capture_turns_capture_off_for_good() {
    let mut c = enabled();
    let mut fake = Fake {
        fail_capture: true,
        ..Fake::default()
    };
    let got = steps(&mut c, &mut fake, &[1, 1, 1, 2, 2, 2]);
    assert_eq!(got, [Plain, PlainThenCapture, Plain, Plain, Plain, Plain]);
    assert_eq!(fake.calls.iter().filter(|c| *c == "capture").count(), 1);
    let s = c.stats();
    assert_eq!(
        s.off,
        Some(GraphOff::CaptureFailed(
            "enqueueV3 under capture failed".into()
        ))
    );
    assert_eq!((s.plain, s.captures, s.launches), (6, 0, 0));
}

#[test]
fn bindings_that_keep_changing_back_stop_capturing_after_the_limit() {
    let mut c = enabled();
    let mut fake = Fake::default();
    // Two calls per binding, alternating: every second call would capture.
    let keys: Vec<u64> = (0..40).map(|i| (i / 2) % 2).collect();
    let got = steps(&mut c, &mut fake, &keys);
    let captures = got.iter().filter(|s| **s == PlainThenCapture).count() as u64;
    assert_eq!(captures, MAX_CAPTURES);
    assert_eq!(c.stats().captures, MAX_CAPTURES);
    assert_eq!(c.stats().off, Some(GraphOff::BindingsChange));
    assert!(got[got.len() - 8..].iter().all(|s| *s == Plain), "{got:?}");
}

#[test]
fn a_failed_plain_enqueue_is_an_error_and_forgets_the_bindings() {
    let mut c = enabled();
    let mut fake = Fake {
        fail_plain: true,
        ..Fake::default()
    };
    assert_eq!(c.run(key(1), &mut fake), Err("plain failed"));
    fake.fail_plain = false;
    // The failed call does not count as the first enqueue with these bindings.
    assert_eq!(steps(&mut c, &mut fake, &[1, 1]), [Plain, PlainThenCapture]);
    assert_eq!(c.stats().plain, 2);
}

#[test]
fn a_failed_launch_is_an_error_and_drops_the_graph() {
    let mut c = enabled();
    let mut fake = Fake::default();
    steps(&mut c, &mut fake, &[1, 1]);
    fake.fail_launch = true;
    assert_eq!(c.run(key(1), &mut fake), Err("launch failed"));
    assert_eq!(fake.dropped.get(), 1);
    fake.fail_launch = false;
    let got = steps(&mut c, &mut fake, &[1, 1, 1]);
    assert_eq!(got, [Plain, PlainThenCapture, Launch]);
    assert_eq!(fake.calls.last().map(String::as_str), Some("launch 2"));
}

#[test]
fn disabling_drops_the_graph_and_enabling_again_captures_anew() {
    let mut c = enabled();
    let mut fake = Fake::default();
    steps(&mut c, &mut fake, &[1, 1]);
    c.disable();
    assert_eq!(fake.dropped.get(), 1);
    assert_eq!(steps(&mut c, &mut fake, &[1, 1]), [Plain, Plain]);
    c.enable("test stage");
    assert_eq!(
        steps(&mut c, &mut fake, &[1, 1]),
        [PlainThenCapture, Launch]
    );
    assert_eq!(c.stats().captures, 2);
}
