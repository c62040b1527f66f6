//! The stages on frames without a model: NVDEC decoding with the conversion into planar RGB,
//! each of our kernels alone, and the encoder (NVENC, or the software encoder where the GPU has
//! none: then every frame is copied to the host, which the copy counters show).

use std::path::Path;

use super::{counting, dev, measure, pattern_on_device, sync, timed_launches, Outcome, Rig};
use crate::bench::measure::measure_prepared;
use crate::bench::workload::StageSpec;
use crate::colour::{Encoding, Matrix, Range, Siting};
use crate::cuda::device::{DeviceFrame, DeviceTiles, FrameLayout, PixelFormat, TileBatch};
use crate::nvcodec::decoder::NvdecError;
use crate::nvcodec::video_decoder::{cannot_decode, NvdecDecoder};
use crate::nvcodec::DEFAULT_CQ;
use crate::pipeline::cuda::interpolate::rife_layout;
use crate::pipeline::cuda::{FrameWriter, GpuError, ToDeviceRgb, WriterSetup};
use crate::pipeline::{FrameSink, PipelineError};
use crate::tiling::TilePlan;
use crate::timeline::Rational;
use crate::video::{
    ColourTags, Copies, Item, Source, VideoCodec, VideoError, VideoFormat, Window, YuvLayout,
    DEFAULT_MAX_PIXELS,
};

/// BT.709 limited range, 8 bits: what the job's HD frames are.
const HD: Encoding = Encoding {
    matrix: Matrix::Bt709,
    range: Range::Limited,
    bits: 8,
};

/// NVDEC and the conversion of every surface into RIFE's planar RGB f32 frame, the whole clip
/// per run (the source reopened each time, as `pipeline::run` opens it).
pub(super) fn decode(rig: &Rig<'_>, spec: &StageSpec) -> Result<Outcome, PipelineError> {
    let clip = spec.clip.as_deref().unwrap_or_default();
    let path = rig.clip_path(clip);
    let layout = rife_layout(spec.width as usize, spec.height as usize).map_err(GpuError::from)?;
    let open = |path: &Path| {
        let converter = ToDeviceRgb::new(rig.kernels.clone(), layout);
        let stream = rig.streams.decode.clone();
        Source::open_with(path, Window::default(), DEFAULT_MAX_PIXELS, |s| {
            NvdecDecoder::open(path, s, stream, converter)
        })
    };
    match open(&path) {
        Err(e) if cannot_decode(&e) || nvdec_missing(&e) => {
            return Ok(Outcome::Skipped(format!("NVDEC: {e}")))
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    let counted = counting(rig, || {
        measure(&spec.name, rig.settings, || {
            let mut source = open(&path)?;
            let mut frames = 0;
            while let Some(item) = source.next_item()? {
                if let Item::Frame(f) = item {
                    std::hint::black_box(&f.rgb);
                    frames += 1;
                }
            }
            sync(&rig.streams.decode)?;
            Ok(frames)
        })
    })?;
    let what = match rig.workload.clip(clip).and_then(|c| c.bits) {
        Some(bits) => format!("HEVC Main{bits}"),
        None => "H.264 8-bit".into(),
    };
    Ok(Outcome::measured(
        counted,
        Some(format!(
            "{what}: NVDEC, then our kernel into planar RGB f32"
        )),
    ))
}

/// Whether NVDEC's library could not be loaded (the driver's `libnvcuvid`).
fn nvdec_missing(e: &VideoError) -> bool {
    match e {
        VideoError::GpuDecode { source, .. } => {
            matches!(
                source.downcast_ref::<NvdecError>(),
                Some(NvdecError::Load(_))
            )
        }
        _ => false,
    }
}

/// A planar RGB f32 frame of `w` x `h`, unpadded.
fn rgb(w: usize, h: usize) -> Result<FrameLayout, PipelineError> {
    FrameLayout::planar(PixelFormat::RgbF32, w, h, 1).map_err(dev)
}

fn nv12(w: usize, h: usize) -> Result<FrameLayout, PipelineError> {
    FrameLayout::yuv420_aligned(PixelFormat::Nv12, w, h, 256).map_err(dev)
}

/// One of our kernels alone, `frames` launches per run.
pub(super) fn kernel(rig: &Rig<'_>, spec: &StageSpec) -> Result<Outcome, PipelineError> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let (stream, kernels) = (rig.stream(), &rig.kernels);
    let k = spec.frames.unwrap_or(1);
    let alloc = |l: FrameLayout| DeviceFrame::alloc_zeroed(stream, l).map_err(dev);
    let name = spec.name.as_str();
    let tiles = || {
        let t = spec
            .tiles
            .unwrap_or_else(crate::bench::workload_cuda::job_tiles);
        TilePlan::new(w, h, t.tile, t.pad)
    };
    let counted = match spec.kernel.as_deref() {
        Some("yuv_to_rgb") => {
            let src = alloc(nv12(w, h)?)?;
            let mut dst = alloc(rife_layout(w, h).map_err(GpuError::from)?)?;
            timed_launches(rig, name, stream, k, || {
                kernels
                    .yuv_to_rgb(stream, &src, HD, Siting::Left, &mut dst)
                    .map_err(dev)
            })
        }
        Some("rgb_to_yuv") => {
            let src = pattern_on_device(stream, rgb(w, h)?, 0)?;
            let mut dst = alloc(nv12(w, h)?)?;
            timed_launches(rig, name, stream, k, || {
                kernels
                    .rgb_to_yuv(stream, &src, HD, Siting::Left, &mut dst)
                    .map_err(dev)
            })
        }
        Some("resize_half") => {
            let src = pattern_on_device(stream, rgb(w, h)?, 0)?;
            let mut dst = alloc(rgb(w.div_ceil(2), h.div_ceil(2))?)?;
            timed_launches(rig, name, stream, k, || {
                kernels.resize_half(stream, &src, &mut dst).map_err(dev)
            })
        }
        Some("tile_extract") => {
            let plan = tiles();
            let src = pattern_on_device(stream, rgb(w, h)?, 0)?;
            let on_device = DeviceTiles::upload(stream, &plan).map_err(dev)?;
            let (n, sw, sh) = (plan.tiles.len(), plan.slot_width, plan.slot_height);
            let mut batch =
                TileBatch::alloc_zeroed(stream, PixelFormat::RgbF32, n, sw, sh).map_err(dev)?;
            timed_launches(rig, name, stream, k, || {
                kernels
                    .tile_extract(stream, &src, &on_device, &mut batch)
                    .map_err(dev)
            })
        }
        Some("tile_stitch") => {
            let plan = tiles();
            let s = spec.upscale.unwrap_or(2) as usize;
            let on_device = DeviceTiles::upload(stream, &plan).map_err(dev)?;
            let (n, sw, sh) = (plan.tiles.len(), plan.slot_width * s, plan.slot_height * s);
            let batch =
                TileBatch::alloc_zeroed(stream, PixelFormat::RgbF32, n, sw, sh).map_err(dev)?;
            let mut dst = alloc(rgb(w * s, h * s)?)?;
            timed_launches(rig, name, stream, k, || {
                kernels
                    .tile_stitch(stream, &batch, s, &on_device, &mut dst)
                    .map_err(dev)
            })
        }
        other => Err(GpuError::Unsupported(format!("no kernel stage {other:?}")).into()),
    }?;
    Ok(Outcome::measured(counted, None))
}

/// The encoder on `frames` output frames per run: 8 distinct pattern frames in turn, converted
/// by our kernel into NVENC's input and encoded (H.264), or copied to the host for the software
/// encoder. The writer opens before each timed run.
pub(super) fn encode(rig: &Rig<'_>, spec: &StageSpec) -> Result<Outcome, PipelineError> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    let stream = &rig.streams.encode;
    let layout = rgb(w, h)?;
    let frames = (0..8)
        .map(|i| pattern_on_device(stream, layout, i))
        .collect::<Result<Vec<_>, _>>()?;
    // The writer takes the copied streams from a source: the job's clip has none to copy.
    let source = Source::open(&rig.clip_path(crate::bench::JOB_CLIP), Window::default())?;
    let format = VideoFormat {
        width: spec.width,
        height: spec.height,
        layout: YuvLayout {
            shift: (1, 1),
            bits: 8,
        },
        tags: ColourTags::untagged(w, h, 8),
        rate: Rational::from_int(24),
        sample_aspect: Rational::ZERO,
    };
    let software = rig.workload.encode_settings();
    let path = rig.dir.join("encode.mp4");
    let count = spec.frames.unwrap_or(1);
    let open = || {
        let setup = WriterSetup {
            path: &path,
            container: "mp4",
            copies: Copies::of(&source),
            format,
            codec: VideoCodec::H264,
            cq: DEFAULT_CQ,
            software: &software,
        };
        FrameWriter::open(stream, &rig.kernels, setup)
    };
    let counted = counting(rig, || {
        measure_prepared(&spec.name, rig.settings, open, |mut writer| {
            for i in 0..count as usize {
                writer.write(&frames[i % frames.len()])?;
            }
            writer.finish()
        })
    })?;
    Ok(Outcome::measured(
        counted,
        Some(
            "H.264 from planar RGB f32: NVENC, or (no NVENC) the software encoder on the host \
             (see copies_per_frame: pixels_to_host)"
                .into(),
        ),
    ))
}
