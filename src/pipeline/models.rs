//! The model stages of a run: RIFE between source frames, then the upscaler, on the CPU runner.
//!
//! Model files are the user's (`--rife-model`, `--upscale-model`) or found by name in a models
//! folder: `$SMOOTHSCALE_MODELS`, else `$XDG_DATA_HOME/smoothscale/models`
//! (`~/.local/share/smoothscale/models`), laid out as `scripts/fetch-models` writes it.

use std::path::{Path, PathBuf};

use super::{limits, scene, PipelineError};
use crate::frame::RgbFrame;
use crate::models::runtime::{Encoded, Model, ModelKind};
use crate::models::weights::Tensor;
use crate::tiling::{extract_tiles, stitch_tiles, TilePlan};

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
/// `pad` pixels of context, `batch` tiles per model call.
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
}

impl Default for Tiling {
    /// Whole frames (the CPU has the memory; tiles only cost seams). With tiles, 64 pixels of
    /// context keep seams under 1/255 for RRDBNet too (`tests/tiling_seams.rs`).
    fn default() -> Self {
        Tiling {
            tile: 0,
            pad: 64,
            batch: 4,
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

    /// The model's raw output for the whole of `frame`, tile by tile when tiling is on.
    fn run_model(&mut self, frame: &RgbFrame) -> Result<RgbFrame, PipelineError> {
        let (w, h) = (frame.width(), frame.height());
        let Tiling { tile, pad, batch } = self.tiling;
        if self.tiling.is_whole(w, h) {
            return to_frame(self.model.upscale(&to_tensor(frame))?);
        }
        let plan = TilePlan::new(w, h, tile, pad);
        let (sw, sh) = (plan.slot_width, plan.slot_height);
        let slots = extract_tiles(&plan, frame.as_chw(), 3);
        let per_slot = 3 * sw * sh;
        let mut outputs = Vec::new();
        let mut scale = 0;
        for chunk in slots.chunks(per_slot * batch.max(1)) {
            let input = Tensor {
                shape: vec![chunk.len() / per_slot, 3, sh, sw],
                data: chunk.to_vec(),
            };
            let out = self.model.upscale(&input)?;
            scale = out.shape.get(3).map_or(0, |ow| ow / sw);
            outputs.extend_from_slice(&out.data);
        }
        let expected = plan.tiles.len() * per_slot * scale * scale;
        if scale == 0 || outputs.len() != expected {
            return Err(PipelineError::ModelOutput(format!(
                "{} tile values, expected {expected}",
                outputs.len()
            )));
        }
        let data = stitch_tiles(&plan, &outputs, scale, 3);
        RgbFrame::from_chw(w * scale, h * scale, data)
            .ok_or_else(|| PipelineError::ModelOutput("stitched size".into()))
    }

    /// Estimated peak bytes of one model call on `width`x`height` frames (0 when unknown): the
    /// whole frame, or a batch of padded tiles.
    pub fn working_bytes(&self, width: usize, height: usize) -> u64 {
        let Tiling { tile, pad, batch } = self.tiling;
        let pixels = if self.tiling.is_whole(width, height) {
            width * height
        } else {
            let plan = TilePlan::new(width, height, tile, pad);
            plan.slot_width * plan.slot_height * batch.max(1).min(plan.tiles.len())
        };
        self.model
            .architecture()
            .map_or(0, |a| limits::model_bytes_per_pixel(&a) * pixels as u64)
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
