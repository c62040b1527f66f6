//! RIFE on device frames: a TensorRT engine of the whole network (`img0`, `img1`, `timestep` →
//! `out`) built for the frame padded to 64, run on planar RGB f32 frames of exactly that layout.
//! Compiled and its pure parts tested on the CPU; not yet run on a GPU.
//!
//! The engine is the single graph, so RIFE's feature encoder runs twice per blended frame (once
//! per input); the CPU path runs it once per source frame through its split graphs. Building the
//! encoder and the rest as two engines needs two more graph shapes in `tensorrt::spec` and is not
//! done yet.
//!
//! Scene cuts are decided as on the CPU ([`scene::cut_repeat`]) on the metric of the decoded luma
//! (the `scene_difference` kernel), measured once per pair by [`GpuInterpolator::measure_cut`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, CudaView};

use super::engines::{engine_for_job, EngineEvent, JobEngine};
use super::error::{device, engine, expect_layout, GpuStageError};
use crate::cuda::device::{DeviceError, DeviceFrame, FrameLayout, Kernels, PixelFormat};
use crate::models::runtime::{ModelKind, RIFE_MULTIPLE};
use crate::pipeline::scene::{self, Nearer};
use crate::pipeline::Tiling;
use crate::tensorrt::builder::Toolchain;
use crate::tensorrt::spec::BuildOptions;
use crate::tensorrt::stage::ViewInput;
use crate::tensorrt::EngineCache;

const STAGE: &str = "RIFE";
/// Timestep tensors kept on the device (a job uses a handful: 1/N .. (N-1)/N, or many for an
/// exact retime, then the oldest is dropped).
const MAX_TIMESTEPS: usize = 16;
/// Pair metrics kept (the current pair is all the run loop needs).
const MAX_METRICS: usize = 4;

/// Small bounded memory of values by key, oldest dropped first.
#[derive(Debug)]
struct Recent<K, V> {
    entries: Vec<(K, V)>,
    capacity: usize,
}

impl<K: PartialEq, V> Recent<K, V> {
    fn new(capacity: usize) -> Self {
        Recent {
            entries: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, made by `make` and kept when missing.
    fn get_or_try_insert<E>(
        &mut self,
        key: K,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<&V, E> {
        let at = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let value = make()?;
                self.insert(key, value);
                self.entries.len() - 1
            }
        };
        Ok(&self.entries[at].1)
    }

    fn insert(&mut self, key: K, value: V) {
        self.entries.retain(|(k, _)| *k != key);
        if self.entries.len() == self.capacity {
            self.entries.remove(0);
        }
        self.entries.push((key, value));
    }
}

/// The planar RGB f32 layout RIFE's frames have for a `width` x `height` video: padded to 64, so
/// the three planes are exactly the engine's `1 x 3 x H x W` input.
pub fn rife_layout(width: usize, height: usize) -> Result<FrameLayout, GpuStageError> {
    FrameLayout::planar(PixelFormat::RgbF32, width, height, RIFE_MULTIPLE)
        .map_err(device(STAGE, format!("a {width}x{height} frame")))
}

/// RIFE interpolation of device frames through TensorRT.
pub struct GpuInterpolator {
    engine: JobEngine,
    model: PathBuf,
    layout: FrameLayout,
    cut_threshold: Option<f32>,
    cuts: usize,
    blends: usize,
    metrics: Recent<(usize, usize), f32>,
    timesteps: Recent<u32, CudaSlice<f32>>,
}

impl GpuInterpolator {
    /// Loads (or, with `build_missing`, first builds into `cache`) the RIFE engine of `model` for
    /// `width` x `height` frames. `cut_threshold`: the scene-cut threshold (`None`: interpolate
    /// every pair).
    pub fn new(
        toolchain: &Toolchain,
        model: &Path,
        (width, height): (usize, usize),
        options: BuildOptions,
        (cache, build_missing): (&EngineCache, bool),
        cut_threshold: Option<f32>,
        events: &mut dyn FnMut(EngineEvent<'_>),
    ) -> Result<Self, GpuStageError> {
        let job = (width, height, Tiling::default());
        let engine = engine_for_job(
            toolchain,
            model,
            job,
            options,
            (cache, build_missing),
            events,
        )?;
        if engine.network.kind != ModelKind::Rife {
            return Err(GpuStageError::WrongModel {
                path: model.to_path_buf(),
                wanted: "a RIFE model",
            });
        }
        Ok(GpuInterpolator {
            engine,
            model: model.to_path_buf(),
            layout: rife_layout(width, height)?,
            cut_threshold,
            cuts: 0,
            blends: 0,
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
        let timestep = self.timesteps.get_or_try_insert(t.to_bits(), || {
            stream
                .clone_htod(&[t])
                .map_err(DeviceError::driver("uploading the timestep"))
                .map_err(device(STAGE, format!("timestep {t}")))
        })?;
        let (h, w) = (
            self.layout.padded_height as i64,
            self.layout.padded_width as i64,
        );
        let image = [1, 3, h, w];
        let step = [1i64, 1, 1, 1];
        fn view(f: &DeviceFrame) -> Result<CudaView<'_, f32>, GpuStageError> {
            f.f32_view().map_err(device(STAGE, "viewing a frame"))
        }
        let inputs = [
            ViewInput {
                name: "img0",
                shape: &image,
                buffer: view(a)?,
            },
            ViewInput {
                name: "img1",
                shape: &image,
                buffer: view(b)?,
            },
            ViewInput {
                name: "timestep",
                shape: &step,
                buffer: timestep.as_view(),
            },
        ];
        let output = out.f32_view_mut().map_err(device(STAGE, "viewing out"))?;
        self.engine
            .stage
            .enqueue_views(stream, &inputs, &mut [("out", output)])
            .map_err(engine(
                &self.engine.stem,
                format!("frames {ia}, {ib} at t={t}"),
            ))?;
        self.blends += 1;
        Ok(())
    }

    /// Pairs found to be cuts, counted per output frame as the CPU interpolator does.
    pub fn cuts(&self) -> usize {
        self.cuts
    }

    /// How many times RIFE's feature encoder ran: twice per interpolated frame (single graph).
    pub fn encoder_runs(&self) -> usize {
        2 * self.blends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_values_are_found_and_the_oldest_dropped() {
        let mut r = Recent::new(2);
        r.insert((0, 1), 0.5);
        r.insert((1, 2), 0.25);
        assert_eq!(r.get(&(0, 1)), Some(&0.5));
        r.insert((1, 2), 0.75);
        assert_eq!((r.entries.len(), r.get(&(1, 2))), (2, Some(&0.75)));
        r.insert((2, 3), 0.0);
        assert_eq!(r.get(&(0, 1)), None);
        assert_eq!(r.get(&(2, 3)), Some(&0.0));
        let made: Result<&f64, ()> = r.get_or_try_insert((2, 3), || Err(()));
        assert_eq!(made, Ok(&0.0));
        assert_eq!(r.get_or_try_insert((5, 6), || Err("no")), Err("no"));
        assert_eq!(r.get_or_try_insert((5, 6), || Ok::<_, ()>(1.0)), Ok(&1.0));
        assert_eq!(r.get(&(1, 2)), None);
    }

    #[test]
    fn rife_frames_are_the_engine_input() {
        let l = rife_layout(1920, 1080).unwrap();
        assert_eq!((l.padded_width, l.padded_height), (1920, 1088));
        assert_eq!(l.format, PixelFormat::RgbF32);
        assert!(rife_layout(0, 4).is_err());
    }
}
