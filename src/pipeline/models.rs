//! The model stages of a run: RIFE between source frames, then the upscaler, on the CPU runner.
//!
//! Model files are the user's (`--rife-model`, `--upscale-model`) or found by name in a models
//! folder: `$SMOOTHSCALE_MODELS`, else `$XDG_DATA_HOME/smoothscale/models`
//! (`~/.local/share/smoothscale/models`), laid out as `scripts/fetch-models` writes it.

use std::path::{Path, PathBuf};

use super::{limits, scene, PipelineError};
use crate::frame::RgbFrame;
use crate::models::runtime::Cancel;
use crate::models::runtime::{Encoded, Model, ModelKind};
use crate::models::weights::Tensor;
use crate::tensorrt::jobs::tile_batches;
use crate::tiling::{extract_tile_range, stitch_tile_range, TilePlan};

/// The RIFE checkpoint's place in a models folder.
pub const RIFE_FILE: &str = "rife-v4.25/flownet.pkl";
/// Upscalers in the order they are preferred for 2x (an x2 model, else x4 resized by 0.5).
pub const UPSCALE_2X_FILES: [&str; 2] = [
    "realesrgan/RealESRGAN_x2plus.pth",
    "realesrgan/realesrgan-x4plus.param",
];
/// The upscaler for 4x.
pub const UPSCALE_4X_FILE: &str = "realesrgan/realesrgan-x4plus.param";

/// The models folders searched, in order.
pub fn model_dirs() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut dirs = Vec::new();
    dirs.extend(env("SMOOTHSCALE_MODELS"));
    if let Some(data) = env("XDG_DATA_HOME").or_else(|| env("HOME").map(|h| h.join(".local/share")))
    {
        dirs.push(data.join("smoothscale/models"));
    }
    dirs
}

/// `explicit`, or the first of `names` found in a models folder.
pub fn find_model(
    explicit: Option<&Path>,
    names: &[&str],
    what: &'static str,
) -> Result<PathBuf, PipelineError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let dirs = model_dirs();
    for name in names {
        for dir in &dirs {
            let path = dir.join(name);
            if path.is_file() {
                return Ok(path);
            }
        }
    }
    let looked = dirs
        .iter()
        .map(|d| d.join(names[0]).display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Err(PipelineError::NoModel { what, looked })
}

fn to_tensor(frame: &RgbFrame) -> Tensor {
    Tensor {
        shape: vec![1, 3, frame.height(), frame.width()],
        data: frame.as_chw().to_vec(),
    }
}

fn to_frame(t: Tensor) -> Result<RgbFrame, PipelineError> {
    let (h, w) = match t.shape[..] {
        [1, 3, h, w] => (h, w),
        _ => return Err(PipelineError::ModelOutput(format!("shape {:?}", t.shape))),
    };
    RgbFrame::from_chw(w, h, t.data).ok_or_else(|| PipelineError::ModelOutput("data length".into()))
}

/// Frame interpolation with RIFE, pairs across a scene cut excepted.
pub struct Interpolator {
    model: Model,
    /// Cut metric above which a pair is not interpolated (`None`: never).
    cut_threshold: Option<f32>,
    /// Pairs found to be cuts.
    pub cuts: usize,
    /// The encoded forms of the (at most two) source frames of the current pair, by index.
    encoded: Vec<(usize, Encoded)>,
}

impl Interpolator {
    pub fn new(
        path: &Path,
        threads: usize,
        cut_threshold: Option<f32>,
    ) -> Result<Self, PipelineError> {
        let model = Model::load(path, threads)?;
        if model.kind() != ModelKind::Rife {
            return Err(PipelineError::WrongModel(
                path.to_path_buf(),
                "a RIFE model",
            ));
        }
        Ok(Interpolator {
            model,
            cut_threshold,
            cuts: 0,
            encoded: Vec::with_capacity(2),
        })
    }

    /// Lets `cancel` stop a model call that is running.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        self.model.set_cancel(cancel);
    }

    /// Bytes of the model's weights.
    pub fn weight_bytes(&self) -> u64 {
        self.model.weight_bytes()
    }

    /// Estimated peak bytes of one interpolation of `pixels`-pixel frames (0 when unknown).
    pub fn working_bytes(&self, pixels: u64) -> u64 {
        self.model
            .architecture()
            .map_or(0, |a| limits::model_bytes_per_pixel(&a) * pixels)
    }

    /// The frame at `t` in (0, 1) between source frames `a` and `b` (each with its index in the
    /// source); across a cut, the nearer of the two. A source frame is encoded once for all the
    /// pairs and timesteps it is part of.
    pub fn blend(
        &mut self,
        (ia, a): (usize, &RgbFrame),
        (ib, b): (usize, &RgbFrame),
        t: f32,
    ) -> Result<RgbFrame, PipelineError> {
        if let Some(threshold) = self.cut_threshold {
            let d = scene::difference(a, b);
            if let Some(nearer) = scene::cut_repeat(d, threshold, t) {
                self.cuts += 1;
                log::debug!("scene cut (difference {d:.3}): frame repeated");
                return Ok(match nearer {
                    scene::Nearer::First => a.clone(),
                    scene::Nearer::Second => b.clone(),
                });
            }
        }
        self.encoded.retain(|(i, _)| *i == ia || *i == ib);
        for (index, frame) in [(ia, a), (ib, b)] {
            if !self.encoded.iter().any(|(i, _)| *i == index) {
                let encoded = self.model.encode(&to_tensor(frame))?;
                self.encoded.push((index, encoded));
            }
        }
        let find = |index| self.encoded.iter().find(|(i, _)| *i == index).map(|e| &e.1);
        let (Some(ea), Some(eb)) = (find(ia), find(ib)) else {
            return Err(PipelineError::ModelOutput(
                "an encoded frame went missing".into(),
            ));
        };
        to_frame(self.model.interpolate_encoded(ea, eb, t)?)
    }

    /// How many times the RIFE feature encoder ran.
    pub fn encoder_runs(&self) -> usize {
        self.model.encoder_runs()
    }
}

/// How frames are cut for the upscaler: `tile` input pixels square (0: whole frames), each with
/// `pad` pixels of context, `batch` tiles per model call. Decided per job from `--tile`
/// ([`super::tiles::choose`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    pub tile: usize,
    pub pad: usize,
    pub batch: usize,
}

impl Tiling {
    /// Whether a `width` x `height` frame is upscaled whole: tiling off, or the frame within one
    /// tile.
    pub fn is_whole(&self, width: usize, height: usize) -> bool {
        self.tile == 0 || (self.tile >= width && self.tile >= height)
    }

    /// Input pixels of the largest model call on `width` x `height` frames: the frame, or a
    /// batch of padded tiles.
    pub fn call_pixels(&self, width: usize, height: usize) -> u64 {
        if self.is_whole(width, height) {
            return (width * height) as u64;
        }
        let plan = TilePlan::new(width, height, self.tile, self.pad);
        (plan.slot_width * plan.slot_height * self.batch.clamp(1, plan.tiles.len())) as u64
    }
}

impl Default for Tiling {
    /// Whole frames, with the default pad should tiles be asked for.
    fn default() -> Self {
        Tiling {
            tile: 0,
            pad: super::tiles::DEFAULT_PAD,
            batch: 1,
        }
    }
}

/// Super-resolution by a fixed factor, with a model of that scale or of twice it (then resized
/// by 0.5, as Real-ESRGAN's `--outscale` does), on whole frames or on tiles with context.
pub struct Upscaler {
    model: Model,
    factor: usize,
    path: PathBuf,
    tiling: Tiling,
    /// The model's own scale, learned on the first frame.
    native: Option<usize>,
}

impl Upscaler {
    /// Loads the model, to cut frames as `tiling` says (until [`Upscaler::set_tiling`]).
    pub fn new(
        path: &Path,
        factor: usize,
        tiling: Tiling,
        threads: usize,
    ) -> Result<Self, PipelineError> {
        let model = Model::load(path, threads)?;
        if !matches!(model.kind(), ModelKind::Upscaler { .. }) {
            return Err(PipelineError::WrongModel(
                path.to_path_buf(),
                "an upscaling model",
            ));
        }
        Ok(Upscaler {
            model,
            factor,
            path: path.to_path_buf(),
            tiling,
            native: None,
        })
    }

    /// How frames are cut from now on.
    pub fn set_tiling(&mut self, tiling: Tiling) {
        self.tiling = tiling;
    }

    pub fn tiling(&self) -> Tiling {
        self.tiling
    }

    /// Lets `cancel` stop a model call that is running.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        self.model.set_cancel(cancel);
    }

    /// Bytes of the model's weights.
    pub fn weight_bytes(&self) -> u64 {
        self.model.weight_bytes()
    }

    /// The network, when read from a checkpoint (`None` for an `.onnx` file).
    pub fn architecture(&self) -> Option<crate::models::checkpoint::Architecture> {
        self.model.architecture()
    }

    /// The model's own scale: known from a checkpoint, learned from the first output of an
    /// `.onnx` file (until then, the factor).
    pub fn native_scale(&self) -> usize {
        self.native
            .or_else(|| self.model.architecture().map(|a| a.scale()))
            .unwrap_or(self.factor)
    }

    /// The model's raw output for the whole of `frame`, tile by tile when tiling is on: each
    /// call's tiles are cut out, upscaled and stitched into the output before the next call.
    fn run_model(&mut self, frame: &RgbFrame) -> Result<RgbFrame, PipelineError> {
        let (w, h) = (frame.width(), frame.height());
        let Tiling { tile, pad, batch } = self.tiling;
        if self.tiling.is_whole(w, h) {
            return to_frame(self.model.upscale(&to_tensor(frame))?);
        }
        let plan = TilePlan::new(w, h, tile, pad);
        let (sw, sh) = (plan.slot_width, plan.slot_height);
        let mut output: Option<(usize, Vec<f32>)> = None;
        for range in tile_batches(plan.tiles.len(), batch) {
            let input = Tensor {
                shape: vec![range.len(), 3, sh, sw],
                data: extract_tile_range(&plan, range.clone(), frame.as_chw(), 3),
            };
            let out = self.model.upscale(&input)?;
            let scale = out.shape.get(3).map_or(0, |ow| ow / sw);
            let (scale, planes) = output.get_or_insert_with(|| (scale, Vec::new()));
            let expected = input.data.len() * *scale * *scale;
            if *scale == 0 || out.data.len() != expected || out.shape.get(2) != Some(&(sh * *scale))
            {
                return Err(PipelineError::ModelOutput(format!(
                    "{} tile values of shape {:?}, expected {expected}",
                    out.data.len(),
                    out.shape
                )));
            }
            if planes.is_empty() {
                *planes = vec![0.0; 3 * w * h * *scale * *scale];
            }
            stitch_tile_range(&plan, range, &out.data, *scale, 3, planes);
        }
        let (scale, data) = output.ok_or_else(|| PipelineError::ModelOutput("no tiles".into()))?;
        RgbFrame::from_chw(w * scale, h * scale, data)
            .ok_or_else(|| PipelineError::ModelOutput("stitched size".into()))
    }

    /// Estimated peak bytes of one model call on `width`x`height` frames with `tiling` (0 when
    /// unknown, for an `.onnx` file).
    pub fn working_bytes(&self, (width, height): (usize, usize), tiling: &Tiling) -> u64 {
        let pixels = tiling.call_pixels(width, height);
        self.model
            .architecture()
            .map_or(0, |a| limits::model_bytes_per_pixel(&a) * pixels)
    }

    /// The output size factor.
    pub fn factor(&self) -> usize {
        self.factor
    }

    pub fn upscale(&mut self, frame: &RgbFrame) -> Result<RgbFrame, PipelineError> {
        let out = self.run_model(frame)?;
        let native = out.width() / frame.width().max(1);
        let first = self.native.is_none();
        self.native = Some(native);
        let resize = scale_resize(&self.path, native, self.factor, first).map_err(|e| {
            PipelineError::WrongScale {
                path: e.path,
                native: e.native,
                wanted: e.wanted,
            }
        })?;
        Ok(match resize {
            ScaleResize::None => out,
            ScaleResize::Half => out.resize_half(),
        })
    }
}

/// What a model's output needs to give the wanted factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleResize {
    /// The model scales by the factor itself.
    None,
    /// The model scales by twice the factor: resize its output by 0.5.
    Half,
}

/// A model scaling by neither the factor nor twice it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleMismatch {
    /// The model file.
    pub path: PathBuf,
    /// Its scale.
    pub native: usize,
    /// The factor asked for.
    pub wanted: usize,
}

/// How the output of a x`native` model (`path`) gives `factor`x, shared by the CPU and CUDA
/// upscalers; `announce` logs (once per run, by the caller) that an x4 model is resized for 2x.
pub fn scale_resize(
    path: &Path,
    native: usize,
    factor: usize,
    announce: bool,
) -> Result<ScaleResize, ScaleMismatch> {
    if native == factor {
        Ok(ScaleResize::None)
    } else if native == 2 * factor {
        if announce {
            log::info!(
                "{} is a x{native} model: its output is resized by 0.5 for {factor}x",
                path.display()
            );
        }
        Ok(ScaleResize::Half)
    } else {
        Err(ScaleMismatch {
            path: path.to_path_buf(),
            native,
            wanted: factor,
        })
    }
}

#[cfg(test)]
#[path = "models_tests.rs"]
mod tests;
