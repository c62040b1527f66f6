//! Timing a stage's runs on the device: the runs with the copies they made and the device
//! memory they used, launches of a kernel or engine ended by a stream synchronisation, and the
//! frames they run on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cudarc::driver::CudaStream;

use super::Rig;
use crate::bench::measure::measure;
use crate::bench::stages::StageResult;
use crate::cuda::device::{CopyTotals, DeviceError, DeviceFrame, FrameLayout, Gpu};
use crate::pipeline::cuda::GpuError;
use crate::pipeline::PipelineError;

/// What a stage's runs (warm-up included, setup not) did besides taking time.
pub(super) struct Counted {
    pub result: StageResult,
    /// Host↔device bytes.
    pub copies: CopyTotals,
    /// The most device memory in use (device-wide) while they ran.
    pub device_peak: Option<u64>,
}

/// Device memory in use now, device-wide (`cuMemGetInfo`).
fn device_used(gpu: &Gpu) -> Option<u64> {
    let free = gpu.free_memory()?;
    Some(gpu.info().memory_bytes.saturating_sub(free))
}

/// `runs`, with the host↔device bytes they copied and the device memory in use sampled every
/// 10 ms meanwhile (from a second thread) and once at the end.
pub(super) fn counting(
    rig: &Rig<'_>,
    runs: impl FnOnce() -> Result<StageResult, PipelineError>,
) -> Result<Counted, PipelineError> {
    let (stop, peak) = (AtomicBool::new(false), AtomicU64::new(0));
    let gpu = &rig.gpu;
    let sample = || {
        if let Some(used) = device_used(gpu) {
            peak.fetch_max(used, Ordering::Relaxed);
        }
    };
    let before = CopyTotals::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                sample();
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let result = runs();
        sample();
        stop.store(true, Ordering::Relaxed);
        result
    })?;
    let device_peak = Some(peak.load(Ordering::Relaxed)).filter(|&p| p > 0);
    Ok(Counted {
        result,
        copies: CopyTotals::now().since(&before),
        device_peak,
    })
}

/// A device error as a stage error.
pub(super) fn dev(e: DeviceError) -> PipelineError {
    GpuError::from(e).into()
}

/// Waits for `stream`.
pub(super) fn sync(stream: &CudaStream) -> Result<(), PipelineError> {
    stream
        .synchronize()
        .map_err(DeviceError::driver("waiting for the stream"))
        .map_err(dev)
}

/// A planar RGB f32 frame of `layout` holding the workload's pattern frame `index`, uploaded
/// (before the timed runs) and marked ready on `stream`.
pub(super) fn pattern_on_device(
    stream: &Arc<CudaStream>,
    layout: FrameLayout,
    index: u32,
) -> Result<DeviceFrame, PipelineError> {
    let frame = crate::bench::pattern_frame(layout.width, layout.height, index);
    let multiple = layout.padded_width / layout.width.max(1);
    let planar = if layout.padded_width == layout.width && layout.padded_height == layout.height {
        frame.as_chw().to_vec()
    } else {
        frame.pad_chw(multiple.max(1)).data
    };
    let bytes: Vec<u8> = planar.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut device = DeviceFrame::copy_from_host(stream, layout, &bytes).map_err(dev)?;
    device.record_ready(stream).map_err(dev)?;
    Ok(device)
}

/// Times `k` calls of `launch` per run of stage `name`, each run ending in a wait for `stream`
/// (see [`counting`]).
pub(super) fn timed_launches(
    rig: &Rig<'_>,
    name: &str,
    stream: &CudaStream,
    k: u32,
    mut launch: impl FnMut() -> Result<(), PipelineError>,
) -> Result<Counted, PipelineError> {
    counting(rig, || {
        measure(name, rig.settings, || {
            for _ in 0..k {
                launch()?;
            }
            sync(stream)?;
            Ok(u64::from(k))
        })
    })
}
