//! RIFE on device frames, as the CPU path runs it: two TensorRT engines built for the frame
//! padded to 64, the feature encoder (`img` → `out`, 4 feature planes) run once per source frame
//! into a device buffer kept while the frame's pairs last ([`FeatureCache`]), and the rest
//! (`img0`, `img1`, `feat0`, `feat1`, `timestep` → `out`) run per output frame. Frames are planar
//! RGB f32 of exactly the engines' input layout. Compiled and its pure parts tested on the CPU;
//! not yet run on a GPU.
//!
//! Scene cuts are decided as on the CPU ([`scene::cut_repeat`]) on the metric of the decoded luma
//! (the `scene_difference` kernel), measured once per pair by [`GpuInterpolator::measure_cut`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, CudaView};

use super::engines::{engines_for_job, read_model, EngineEvent, JobEngine};
use super::error::{device, engine, expect_layout, GpuStageError};
use crate::cuda::device::{DeviceError, DeviceFrame, FrameLayout, Kernels, PixelFormat};
use crate::models::onnx::FEATURE_CHANNELS;
use crate::models::runtime::{ModelKind, RIFE_MULTIPLE};
use crate::pipeline::scene::{self, Nearer};
use crate::pipeline::Tiling;
use crate::tensorrt::builder::Toolchain;
use crate::tensorrt::spec::{BuildOptions, Network};
use crate::tensorrt::stage::{StageMemory, ViewInput};
use crate::tensorrt::EngineCache;

#[path = "rife_cache.rs"]
mod cache;
use crate::recent::Recent;
pub use cache::FeatureCache;

const STAGE: &str = "RIFE";
/// Timestep tensors kept on the device (a job uses a handful: 1/N .. (N-1)/N, or many for an
/// exact retime, then the oldest is dropped).
const MAX_TIMESTEPS: usize = 16;
/// Pair metrics kept (the current pair is all the run loop needs).
const MAX_METRICS: usize = 4;

/// The planar RGB f32 layout RIFE's frames have for a `width` x `height` video: padded to 64, so
/// the three planes are exactly the engine's `1 x 3 x H x W` input.
pub fn rife_layout(width: usize, height: usize) -> Result<FrameLayout, GpuStageError> {
    FrameLayout::planar(PixelFormat::RgbF32, width, height, RIFE_MULTIPLE)
        .map_err(device(STAGE, format!("a {width}x{height} frame")))
}

/// RIFE interpolation of device frames through TensorRT.
pub struct GpuInterpolator {
    /// The feature encoder's engine, run once per source frame.
    encoder: JobEngine,
    /// The engine of the rest, run per output frame on two frames and their features.
    flow: JobEngine,
    model: PathBuf,
    layout: FrameLayout,
    cut_threshold: Option<f32>,
    cuts: usize,
    /// The features of the current pair's source frames (`1 x 4 x H x W` each).
    features: FeatureCache<CudaSlice<f32>>,
    metrics: Recent<(usize, usize), f32>,
    timesteps: Recent<u32, CudaSlice<f32>>,
}

fn view(f: &DeviceFrame) -> Result<CudaView<'_, f32>, GpuStageError> {
    f.f32_view().map_err(device(STAGE, "viewing a frame"))
}

impl GpuInterpolator {
    /// Loads (or, with `build_missing`, first builds into `cache`) the two RIFE engines of
    /// `model` (its feature encoder and the rest) for `width` x `height` frames. `cut_threshold`:
    /// the scene-cut threshold (`None`: interpolate every pair).
    pub fn new(
        toolchain: &Toolchain,
        model: &Path,
        (width, height): (usize, usize),
        options: BuildOptions,
        (cache, build_missing): (&EngineCache, bool),
        cut_threshold: Option<f32>,
        events: &mut dyn FnMut(EngineEvent<'_>),
    ) -> Result<Self, GpuStageError> {
        let loaded = read_model(model)?;
        // Checked before anything is built: an upscaler's engines take minutes for nothing.
        if Network::of(loaded.architecture).kind != ModelKind::Rife {
            return Err(GpuStageError::WrongModel {
                path: model.to_path_buf(),
                wanted: "a RIFE model",
            });
        }
        let job = (width, height, Tiling::default());
        let build = (cache, build_missing);
        let engines = engines_for_job(toolchain, (model, &loaded), job, options, build, events)?;
        let [encoder, flow]: [JobEngine; 2] =
            engines.try_into().map_err(|_| GpuStageError::WrongModel {
                path: model.to_path_buf(),
                wanted: "a RIFE model (run as two engines)",
            })?;
        Ok(GpuInterpolator {
            encoder,
            flow,
            model: model.to_path_buf(),
            layout: rife_layout(width, height)?,
            cut_threshold,
            cuts: 0,
            features: FeatureCache::new(),
            metrics: Recent::new(MAX_METRICS),
            timesteps: Recent::new(MAX_TIMESTEPS),
        })
    }

    /// The layout of every frame [`GpuInterpolator::blend`] takes and writes.
    pub fn frame_layout(&self) -> FrameLayout {
        self.layout
    }

    /// Whether pairs are checked for scene cuts (then [`GpuInterpolator::measure_cut`] must be
    /// called before each pair's first blend).
    pub fn detects_cuts(&self) -> bool {
        self.cut_threshold.is_some()
    }

    /// The device memory of the two engines.
    pub fn engine_memory(&self) -> [StageMemory; 2] {
        [self.encoder.stage.memory(), self.flow.stage.memory()]
    }

    /// Bytes of one frame's features (`1 x 4 x H x W` f32 at the padded size).
    pub fn feature_bytes(&self) -> u64 {
        let l = self.layout;
        (FEATURE_CHANNELS * l.padded_width * l.padded_height * 4) as u64
    }

    /// The model file.
    pub fn model(&self) -> &Path {
        &self.model
    }

    /// Measures the scene-cut metric of the pair of source frames `first` and `second` on their
    /// decoded (NV12 / P016) frames, for [`GpuInterpolator::blend`]; `None` (nothing measured)
    /// without a threshold. Waits for the stream (one number is read back).
    pub fn measure_cut(
        &mut self,
        kernels: &Kernels,
        stream: &Arc<CudaStream>,
        (first, a): (usize, &DeviceFrame),
        (second, b): (usize, &DeviceFrame),
    ) -> Result<Option<f32>, GpuStageError> {
        if self.cut_threshold.is_none() {
            return Ok(None);
        }
        let d = kernels
            .scene_difference(stream, a, b, scene::CELL)
            .map_err(device(
                STAGE,
                format!("scene metric of frames {first}, {second}"),
            ))?;
        self.metrics.insert((first, second), d);
        Ok(Some(d))
    }

    /// Writes into `out` the frame at `t` in (0, 1) between source frames `a` and `b` (each with
    /// its index in the source); across a scene cut, a copy of the nearer one. All three frames
    /// have [`GpuInterpolator::frame_layout`]. The work is ordered on `stream`.
    pub fn blend(
        &mut self,
        stream: &Arc<CudaStream>,
        (ia, a): (usize, &DeviceFrame),
        (ib, b): (usize, &DeviceFrame),
        t: f32,
        out: &mut DeviceFrame,
    ) -> Result<(), GpuStageError> {
        for (what, frame) in [
            ("the first frame", a),
            ("the second frame", b),
            ("out", &*out),
        ] {
            expect_layout(STAGE, what, frame.layout(), &self.layout)?;
        }
        if let Some(threshold) = self.cut_threshold {
            let d = *self
                .metrics
                .get(&(ia, ib))
                .ok_or(GpuStageError::CutNotMeasured {
                    first: ia,
                    second: ib,
                })?;
            if let Some(nearer) = scene::cut_repeat(d, threshold, t) {
                self.cuts += 1;
                log::debug!("scene cut (difference {d:.3}): frame repeated");
                let src = match nearer {
                    Nearer::First => a,
                    Nearer::Second => b,
                };
                return out
                    .copy_from(stream, src)
                    .map_err(device(STAGE, "repeating a frame across a cut"));
            }
        }
        let (h, w) = (
            self.layout.padded_height as i64,
            self.layout.padded_width as i64,
        );
        let (image, feat) = ([1, 3, h, w], [1, FEATURE_CHANNELS as i64, h, w]);
        let feature_len = FEATURE_CHANNELS * (h * w) as usize;
        let encoder = &mut self.encoder;
        let (fa, fb) = self.features.pair_or_encode((ia, ib), |index, spare| {
            let frame = if index == ia { a } else { b };
            let mut features = match spare {
                Some(buffer) => buffer,
                None => stream
                    .alloc_zeros::<f32>(feature_len)
                    .map_err(DeviceError::driver("allocating RIFE features"))
                    .map_err(device(STAGE, format!("features of frame {index}")))?,
            };
            let input = ViewInput {
                name: "img",
                shape: &image,
                buffer: view(frame)?,
            };
            encoder
                .stage
                .enqueue_views(stream, &[input], &mut [("out", features.as_view_mut())])
                .map_err(engine(&encoder.stem, format!("encoding frame {index}")))?;
            Ok::<_, GpuStageError>(features)
        })?;
        let timestep = self.timesteps.get_or_try_insert(t.to_bits(), || {
            stream
                .clone_htod(&[t])
                .map_err(DeviceError::driver("uploading the timestep"))
                .map_err(device(STAGE, format!("timestep {t}")))
        })?;
        let step = [1i64, 1, 1, 1];
        let input = |name, shape, buffer| ViewInput {
            name,
            shape,
            buffer,
        };
        let inputs = [
            input("img0", &image[..], view(a)?),
            input("img1", &image, view(b)?),
            input("feat0", &feat, fa.as_view()),
            input("feat1", &feat, fb.as_view()),
            input("timestep", &step, timestep.as_view()),
        ];
        let output = out.f32_view_mut().map_err(device(STAGE, "viewing out"))?;
        self.flow
            .stage
            .enqueue_views(stream, &inputs, &mut [("out", output)])
            .map_err(engine(
                &self.flow.stem,
                format!("frames {ia}, {ib} at t={t}"),
            ))?;
        Ok(())
    }

    /// Pairs found to be cuts, counted per output frame as the CPU interpolator does.
    pub fn cuts(&self) -> usize {
        self.cuts
    }

    /// How many times RIFE's feature encoder ran: once per source frame of an interpolated pair.
    pub fn encoder_runs(&self) -> usize {
        self.features.encodes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rife_frames_are_the_engine_input() {
        let l = rife_layout(1920, 1080).unwrap();
        assert_eq!((l.padded_width, l.padded_height), (1920, 1088));
        assert_eq!(l.format, PixelFormat::RgbF32);
        assert!(rife_layout(0, 4).is_err());
    }
}
