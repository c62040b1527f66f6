//! The CUDA path's model stages on a GPU (`smoothscale::pipeline::cuda`): RIFE blends and
//! Real-ESRGAN upscales (whole frames, tiles, and an x4 model for 2x) of the real frames of the
//! shared golden cases, with the real weights, compared with the CPU path's `Interpolator` and
//! `Upscaler` on the same frames (PSNR >= 40 dB); scene cuts repeating the nearer frame; and the
//! upscaler's engine calls replayed from captured CUDA graphs giving exactly the plain output.
//! Skipped, with the reason, without a CUDA device, TensorRT, ONNX Runtime (the CPU path) or the
//! shared data. Not yet run on a GPU.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::CudaStream;
use smoothscale::cuda::device::{DeviceFrame, FrameLayout, Gpu, Kernels, PixelFormat};
use smoothscale::frame::RgbFrame;
use smoothscale::models::golden::{psnr, GoldenSet};
use smoothscale::models::weights::Tensor;
use smoothscale::pipeline::cuda::engines::EngineEvent;
use smoothscale::pipeline::cuda::{GpuInterpolator, GpuStageError, GpuUpscaler};
use smoothscale::pipeline::{Interpolator, Tiling, Upscaler};
use smoothscale::tensorrt::builder::Toolchain;
use smoothscale::tensorrt::spec::BuildOptions;
use smoothscale::tensorrt::{EngineCache, EnginePrecision};

struct Rig {
    tc: Toolchain,
    kernels: Kernels,
    stream: Arc<CudaStream>,
    set: GoldenSet,
    cache_dir: tempfile::TempDir,
}

fn shared_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The device, TensorRT, the CPU runtime and the golden cases, or `None` after saying why not.
fn setup() -> Option<Rig> {
    let ctx = common::gpu::cuda_device()?;
    let tc = match Toolchain::probe() {
        Ok(t) => t,
        Err(e) => {
            common::gpu::skip(&format!("no TensorRT ({e})"));
            return None;
        }
    };
    if let Err(e) = smoothscale::models::runtime::init() {
        common::gpu::skip(&format!("no ONNX Runtime for the CPU reference ({e})"));
        return None;
    }
    let set = match GoldenSet::load(&shared_root().join("golden")) {
        Ok(set) => set,
        Err(e) => {
            common::gpu::skip(&format!("no golden data ({e})"));
            return None;
        }
    };
    let gpu = Gpu::from_context(ctx).expect("GPU");
    let kernels = Kernels::load(&gpu).expect("kernels");
    let stream = gpu.new_stream().expect("stream");
    let cache_dir = tempfile::tempdir().expect("temp dir");
    Some(Rig {
        tc,
        kernels,
        stream,
        set,
        cache_dir,
    })
}

impl Rig {
    /// fp16 (the run's default; a strongly typed build from the half-precision graph on any
    /// TensorRT); level 1 builds fast.
    fn options(&self) -> BuildOptions {
        BuildOptions {
            precision: EnginePrecision::Fp16,
            opt_level: 1,
            ..BuildOptions::default()
        }
    }

    /// `case`'s input frame, and an upscaler of its weights for that frame's size.
    fn upscaler(&self, case: &str, factor: usize, tiling: Tiling) -> (RgbFrame, GpuUpscaler) {
        let (frame, model) = self.frame(case, "input");
        let job = (frame.width(), frame.height(), factor, tiling);
        let cache = self.cache();
        let gpu = GpuUpscaler::new(
            &self.tc,
            &self.stream,
            &model,
            job,
            self.options(),
            (&cache, true),
            &mut no_events,
        )
        .expect("upscaler engine");
        (frame, gpu)
    }

    fn cache(&self) -> EngineCache {
        EngineCache::new(self.cache_dir.path())
    }

    /// A golden case's tensor as a frame, and the case's weights.
    fn frame(&self, case: &str, key: &str) -> (RgbFrame, PathBuf) {
        let case = self.set.cases.iter().find(|c| c.name == case).expect(case);
        let t: Tensor = self.set.tensor(case, key).expect("tensor");
        let frame = RgbFrame::from_chw(t.shape[3], t.shape[2], t.data).expect("frame");
        (frame, case.weights_path(&shared_root()).expect("weights"))
    }

    fn upload(&self, layout: FrameLayout, frame: &RgbFrame) -> DeviceFrame {
        let mut host = vec![0f32; layout.bytes() / 4];
        for c in 0..3 {
            for (y, row) in frame.plane(c).chunks(frame.width()).enumerate() {
                let at = c * layout.plane_stride() + y * layout.row_stride();
                host[at..at + row.len()].copy_from_slice(row);
            }
        }
        let bytes: Vec<u8> = host.iter().flat_map(|v| v.to_le_bytes()).collect();
        DeviceFrame::copy_from_host(&self.stream, layout, &bytes).expect("upload")
    }

    fn download(&self, frame: &DeviceFrame) -> RgbFrame {
        let l = *frame.layout();
        let bytes = frame.copy_to_host(&self.stream).expect("download");
        let all: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut data = Vec::with_capacity(3 * l.width * l.height);
        for c in 0..3 {
            for y in 0..l.height {
                let at = c * l.plane_stride() + y * l.row_stride();
                data.extend_from_slice(&all[at..at + l.width]);
            }
        }
        RgbFrame::from_chw(l.width, l.height, data).expect("frame")
    }
}

fn no_events(_: EngineEvent<'_>) {}

fn assert_close(what: &str, got: &RgbFrame, want: &RgbFrame) {
    assert_eq!(
        (got.width(), got.height()),
        (want.width(), want.height()),
        "{what}"
    );
    let db = psnr(got.as_chw(), want.as_chw());
    eprintln!("{what}: {db:.2} dB against the CPU path");
    assert!(db >= 40.0, "{what}: {db:.2} dB, under 40");
}

#[test]
fn rife_blends_like_the_cpu_path_and_repeats_frames_across_cuts() {
    let Some(rig) = setup() else { return };
    let (a, model) = rig.frame("rife_plant_320x240_t0.5", "img0");
    let (b, _) = rig.frame("rife_plant_320x240_t0.5", "img1");
    let (w, h) = (a.width(), a.height());
    let cache = rig.cache();
    let new = |threshold| {
        let events = &mut no_events;
        let job = (&cache, true);
        GpuInterpolator::new(
            &rig.tc,
            &model,
            (w, h),
            rig.options(),
            job,
            threshold,
            events,
        )
    };
    let mut gpu = new(None).expect("RIFE engine");
    let mut cpu = Interpolator::new(&model, 0, None).expect("CPU RIFE");
    let layout = gpu.frame_layout();
    let (da, db) = (rig.upload(layout, &a), rig.upload(layout, &b));
    let mut out = DeviceFrame::alloc_zeroed(&rig.stream, layout).unwrap();
    for t in [0.25f32, 0.5] {
        gpu.blend(&rig.stream, (0, &da), (1, &db), t, &mut out)
            .unwrap();
        let want = cpu.blend((0, &a), (1, &b), t).unwrap();
        assert_close(&format!("RIFE t={t}"), &rig.download(&out), &want);
    }
    // The encoder engine ran once per source frame, not once per frame and timestep.
    assert_eq!(gpu.encoder_runs(), 2);

    // A cut: the metric of black against white luma is 1, over any threshold below it.
    let mut cutting = new(Some(0.5)).expect("RIFE engine, cached");
    let nv12 = FrameLayout::yuv420_aligned(PixelFormat::Nv12, w, h, 256).unwrap();
    let luma = |v: u8| {
        let mut host = vec![128u8; nv12.bytes()];
        host[..nv12.chroma_offset()].fill(v);
        DeviceFrame::copy_from_host(&rig.stream, nv12, &host).unwrap()
    };
    let blend = |g: &mut GpuInterpolator, t: f32, out: &mut DeviceFrame| {
        g.blend(&rig.stream, (0, &da), (1, &db), t, out)
    };
    assert!(matches!(
        blend(&mut cutting, 0.25, &mut out),
        Err(GpuStageError::CutNotMeasured { .. })
    ));
    let d = cutting
        .measure_cut(&rig.kernels, &rig.stream, (0, &luma(16)), (1, &luma(235)))
        .unwrap();
    assert!(d.is_some_and(|d| d > 0.5), "{d:?}");
    blend(&mut cutting, 0.25, &mut out).unwrap();
    assert_eq!(
        rig.download(&out).as_chw(),
        a.as_chw(),
        "t=0.25 repeats the first"
    );
    blend(&mut cutting, 0.75, &mut out).unwrap();
    assert_eq!(
        rig.download(&out).as_chw(),
        b.as_chw(),
        "t=0.75 repeats the second"
    );
    assert_eq!((cutting.cuts(), cutting.encoder_runs()), (2, 0));
}

/// Upscales `case`'s input on both paths with `factor` and `tiling` and compares; the device
/// source padded to `multiple` (a RIFE output: 64), or as `layouts().input` when 0.
fn upscale_case(rig: &Rig, case: &str, factor: usize, tiling: Tiling, multiple: usize) {
    let (frame, mut gpu) = rig.upscaler(case, factor, tiling);
    let (w, h) = (frame.width(), frame.height());
    assert_eq!(gpu.factor(), factor);
    let layouts = gpu.layouts();
    let input = match multiple {
        0 => layouts.input,
        m => FrameLayout::planar(PixelFormat::RgbF32, w, h, m).unwrap(),
    };
    let src = rig.upload(input, &frame);
    let mut out = DeviceFrame::alloc_zeroed(&rig.stream, layouts.output).unwrap();
    gpu.upscale(&rig.kernels, &rig.stream, &src, &mut out)
        .unwrap();
    let want = Upscaler::new(gpu.model(), factor, tiling, 0)
        .and_then(|mut u| u.upscale(&frame))
        .expect("CPU upscale");
    let what = format!(
        "{case} {factor}x tile {} source padded to {multiple}",
        tiling.tile
    );
    assert_close(&what, &rig.download(&out), &want);
}

#[test]
fn whole_frame_upscales_match_the_cpu_path() {
    let Some(rig) = setup() else { return };
    let whole = Tiling {
        tile: 0,
        ..Tiling::default()
    };
    upscale_case(&rig, "srvgg_animevideov3_dog_64x48", 4, whole, 0);
    upscale_case(&rig, "esrgan_x4plus_anime6b_dog_48x40", 4, whole, 0);
    // A source padded as RIFE's outputs are: the padding is not read.
    upscale_case(&rig, "esrgan_x4plus_anime6b_dog_48x40", 4, whole, 64);
    // An x4 model for 2x: the resize_half kernel against the CPU's resize.
    upscale_case(&rig, "esrgan_x4plus_anime6b_dog_48x40", 2, whole, 0);
}

#[test]
fn tiled_upscales_match_the_cpu_path_with_the_same_tiles() {
    let Some(rig) = setup() else { return };
    let tiles = Tiling {
        tile: 16,
        pad: 8,
        batch: 4,
    };
    // 48x40 in 16-pixel tiles: 12 tiles, three engine calls of 4.
    upscale_case(&rig, "esrgan_x4plus_anime6b_dog_48x40", 4, tiles, 0);
    upscale_case(&rig, "esrgan_x4plus_anime6b_dog_48x40", 2, tiles, 64);
}

/// Upscales `case`'s input 4x once with plain enqueues, then three times with CUDA-graph capture
/// on, into the same output (cleared before each call): every output is exactly the plain one,
/// and graphs were launched.
fn graph_case(rig: &Rig, case: &str, tiling: Tiling) {
    let (frame, mut gpu) = rig.upscaler(case, 4, tiling);
    let layouts = gpu.layouts();
    let src = rig.upload(layouts.input, &frame);
    let zeros = DeviceFrame::alloc_zeroed(&rig.stream, layouts.output).unwrap();
    let mut out = DeviceFrame::alloc_zeroed(&rig.stream, layouts.output).unwrap();
    let mut run = |gpu: &mut GpuUpscaler| {
        out.copy_from(&rig.stream, &zeros).unwrap();
        gpu.upscale(&rig.kernels, &rig.stream, &src, &mut out)
            .unwrap();
        rig.download(&out)
    };
    gpu.set_graph_capture(false);
    let plain = run(&mut gpu);
    assert_eq!(gpu.graph_stats().launches, 0);
    gpu.set_graph_capture(true);
    for i in 0..3 {
        let got = run(&mut gpu);
        assert!(
            got.as_chw() == plain.as_chw(),
            "{case} tile {}: call {i} with capture differs from the plain enqueue",
            tiling.tile
        );
    }
    let stats = gpu.graph_stats();
    eprintln!("{case} tile {}: {stats:?}", tiling.tile);
    assert_eq!(stats.off, None, "capture was turned off");
    assert!(stats.captures >= 1 && stats.launches >= 1, "{stats:?}");
}

#[test]
fn graph_launched_upscales_equal_plain_enqueues() {
    let Some(rig) = setup() else { return };
    let whole = Tiling {
        tile: 0,
        ..Tiling::default()
    };
    // One call per frame: plain, plain and capture, launch.
    graph_case(&rig, "srvgg_animevideov3_dog_64x48", whole);
    // 64x48 in 16-pixel tiles: 12 tiles, three calls of 4 on the same slots per frame.
    let tiles = Tiling {
        tile: 16,
        pad: 8,
        batch: 4,
    };
    graph_case(&rig, "srvgg_animevideov3_dog_64x48", tiles);
}
