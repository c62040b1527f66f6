//! The GPU gate itself: on a machine without a device it must skip, never fail or panic.

mod common;

#[test]
fn gate_opens_a_device_or_says_why_not() {
    if let Some(ctx) = common::gpu::cuda_device() {
        let name = ctx.name().expect("a device that opened has a name");
        assert!(!name.is_empty());
        eprintln!("device 0: {name}");
    }
}
