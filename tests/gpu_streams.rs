//! Frames handed between CUDA streams by their events alone (`src/cuda/device/sync.rs`), as the
//! CUDA pipeline's decode, model and encode streams do: a reader on another stream sees the
//! producer's finished frame, and a frame read on two streams is freed after both. Without a CUDA
//! device every test prints `skipped: ...` and passes.

mod common;

use std::sync::Arc;

use cudarc::driver::CudaStream;
use smoothscale::cuda::device::{DeviceFrame, FrameLayout, Gpu, PixelFormat};

/// Two streams of the first device, or `None` after the skip line.
fn two_streams() -> Option<(Arc<CudaStream>, Arc<CudaStream>)> {
    let context = common::gpu::cuda_device()?;
    let gpu = Gpu::from_context(context).expect("device properties");
    eprintln!("{}", gpu.info());
    Some((gpu.new_stream().unwrap(), gpu.new_stream().unwrap()))
}

/// A 4K planar RGB f32 frame (about 100 MB) and its bytes, a pattern with no zero run.
fn pattern() -> (FrameLayout, Vec<u8>) {
    let layout = FrameLayout::planar(PixelFormat::RgbF32, 3840, 2160, 1).unwrap();
    let bytes = (0..layout.bytes() / 4)
        .flat_map(|i| (1.0 + (i % 1021) as f32).to_ne_bytes())
        .collect();
    (layout, bytes)
}

/// The producer queues a long chain of copies into `mid` on stream A and records it ready; the
/// consumer on stream B copies `mid` after waiting on that event only (no host wait in between).
/// Had B not waited, it would start while A still works and read the zeros `mid` began with.
#[test]
fn a_reader_on_another_stream_sees_the_finished_frame() {
    let Some((a, b)) = two_streams() else { return };
    let (layout, bytes) = pattern();
    let src = DeviceFrame::copy_from_host(&a, layout, &bytes).unwrap();
    a.synchronize().unwrap();
    let mut mid = DeviceFrame::alloc_zeroed(&a, layout).unwrap();
    for _ in 0..20 {
        mid.copy_from(&a, &src).unwrap();
    }
    mid.record_ready(&a).unwrap();
    let mut out = DeviceFrame::alloc_zeroed(&b, layout).unwrap();
    out.copy_from(&b, &mid).unwrap();
    mid.record_read(&b).unwrap();
    out.record_ready(&b).unwrap();
    let got = out.copy_to_host(&b).unwrap();
    assert!(got == bytes, "the reader saw an unfinished frame");
}

/// A frame allocated on A and read on B and A is dropped right after the reads are queued: its
/// memory goes back only after both, so a frame allocated next (likely at the same address) and
/// written on A cannot change what B copied.
#[test]
fn a_frame_read_on_two_streams_is_freed_after_both() {
    let Some((a, b)) = two_streams() else { return };
    let (layout, bytes) = pattern();
    let mut shared = DeviceFrame::copy_from_host(&a, layout, &bytes).unwrap();
    shared.record_ready(&a).unwrap();
    let mut on_b = DeviceFrame::alloc_zeroed(&b, layout).unwrap();
    for _ in 0..10 {
        on_b.copy_from(&b, &shared).unwrap();
    }
    shared.record_read(&b).unwrap();
    on_b.record_ready(&b).unwrap();
    drop(shared);
    // Reuses the freed memory on A: zeroes it, which must come after B's copies.
    let reused = DeviceFrame::alloc_zeroed(&a, layout).unwrap();
    let got = on_b.copy_to_host(&b).unwrap();
    assert!(
        got == bytes,
        "the frame was freed while another stream read it"
    );
    drop(reused);
}

/// The run makes the default memory pool keep freed frames (`Gpu::keep_freed_memory`): the
/// release threshold reads back as unlimited, and a frame freed and allocated again after a
/// synchronisation still holds what is written into it.
#[test]
fn the_memory_pool_keeps_freed_frames() {
    let Some(context) = common::gpu::cuda_device() else {
        return;
    };
    let gpu = Gpu::from_context(context).expect("device properties");
    let before = gpu.pool_release_threshold().unwrap();
    let kept = gpu.keep_freed_memory().unwrap();
    eprintln!(
        "{}: threshold before {before:?}, pool kept: {kept}",
        gpu.info()
    );
    if !kept {
        assert_eq!(before, None, "a device with pools must keep freed memory");
        return;
    }
    assert_eq!(gpu.pool_release_threshold().unwrap(), Some(u64::MAX));
    let stream = gpu.new_stream().unwrap();
    let (layout, bytes) = pattern();
    for _ in 0..3 {
        let frame = DeviceFrame::copy_from_host(&stream, layout, &bytes).unwrap();
        assert_eq!(frame.copy_to_host(&stream).unwrap(), bytes);
        drop(frame);
        stream.synchronize().unwrap();
    }
}
