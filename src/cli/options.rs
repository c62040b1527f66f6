//! The processing options shared by `run` and `batch`, and the pipeline job they make.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use smoothscale::cuda::backend::{self, Requested};
use smoothscale::doctor::probe::probe_cuda_pieces;
use smoothscale::models::calibration::Calibration;
use smoothscale::pipeline::fit::{Fit, OutputSize};
use smoothscale::pipeline::{self, Job, TileSize};
use smoothscale::tensorrt::spec::BuildOptions;
use smoothscale::tensorrt::EnginePrecision;
use smoothscale::timeline::{RateMode, Rational};
use smoothscale::video::{VideoCodec, Window};

/// `bench --backend`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Backend {
    /// The best available backend (today: the CPU).
    Auto,
    /// FFmpeg software decode and encode, models on the CPU.
    Cpu,
    /// The `cuda-1088p` workload on GPU 0 (not yet run on a GPU); `--plan` runs nothing.
    Cuda,
}

/// `run`/`batch --backend`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProcessBackend {
    /// CUDA where every piece the job needs is present (then the CPU if the CUDA pipeline fails
    /// before its first frame), else the CPU, saying why not CUDA.
    Auto,
    /// FFmpeg software decode and encode, models on the CPU.
    Cpu,
    /// NVDEC, CUDA kernels, TensorRT and NVENC (software encoding where the GPU has no NVENC);
    /// refused (exit 1) naming what is missing. Not yet run on a GPU.
    Cuda,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FitArg {
    Crop,
    Pad,
    Scale,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Codec {
    H264,
    Hevc,
}

/// How each video is processed.
#[derive(Debug, Args)]
pub struct ProcessOptions {
    /// Interpolate to N times the frame rate with RIFE (`2x`, `4x`, any `Nx` up to 16x).
    #[arg(long, value_parser = parse_multiple)]
    interpolate: Option<u32>,
    /// Retime to exactly F frames per second with RIFE (`60`, `59.94`, `60000/1001`); with
    /// --interpolate too, the output is this exact retime.
    #[arg(long, value_parser = parse_fps)]
    target_fps: Option<Rational>,
    /// Upscale by 2 or 4 with Real-ESRGAN (after interpolation).
    #[arg(long, value_parser = parse_upscale)]
    upscale: Option<u32>,
    /// Exact output size after the models, e.g. `3840x2160` (see --fit).
    #[arg(long, value_parser = parse_size_wxh, value_name = "WxH")]
    size: Option<(u32, u32)>,
    /// How --size is reached: `crop` the centre (no resampling), `pad` with black borders, or
    /// `scale` (Lanczos; the sample aspect ratio keeps the picture's shape).
    #[arg(long, value_enum, default_value = "crop", requires = "size")]
    fit: FitArg,
    /// RIFE v4.25 checkpoint (flownet.pkl, or an .onnx export); default: found in the models folder.
    #[arg(long, value_name = "FILE")]
    rife_model: Option<PathBuf>,
    /// Upscaler (Real-ESRGAN .pth, ncnn .param, or .onnx); default: found in the models folder.
    #[arg(long, value_name = "FILE")]
    upscale_model: Option<PathBuf>,
    /// Scene-cut threshold: pairs whose 4x-reduced luma differs by more (mean absolute, 0–1) are
    /// not interpolated; 0 turns detection off.
    #[arg(long, default_value_t = 0.12)]
    scene_threshold: f32,
    /// Upscale in tiles of N input pixels (0: whole frames); `auto`: whole frames when they fit
    /// the memory limit, else the largest tile that fits. Tiles are batched as memory allows.
    #[arg(long, default_value = "auto", value_parser = parse_tile, value_name = "auto|N")]
    tile: TileSize,
    /// Pixels of context around each tile (cropped after the model); 64 keeps seams under 1/255
    /// for both upscaler families.
    #[arg(long, default_value_t = pipeline::tiles::DEFAULT_PAD)]
    tile_pad: usize,
    /// CPU threads for the models (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Where to run.
    #[arg(long, value_enum, default_value = "auto")]
    backend: ProcessBackend,
    /// Start of the part to process: seconds (`12.5`) or `[hh:]mm:ss[.frac]`.
    #[arg(long, value_parser = parse_time)]
    start: Option<Rational>,
    /// Length of the part to process, same forms as --start.
    #[arg(long, value_parser = parse_time)]
    duration: Option<Rational>,
    /// Output codec (default: the input's when it is H.264 or HEVC, else H.264).
    #[arg(long, value_enum)]
    codec: Option<Codec>,
    /// Constant rate factor of the software encoder (lower is better quality).
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(0..=51))]
    crf: u8,
    /// Software encoder preset (ultrafast … veryslow).
    #[arg(long, default_value = "medium")]
    preset: String,
    /// NVENC constant quality with --backend cuda (1–51, lower is better quality).
    #[arg(long, default_value_t = smoothscale::nvcodec::DEFAULT_CQ,
          value_parser = clap::value_parser!(u8).range(1..=51))]
    cq: u8,
    /// With --backend cuda and --upscale: build and use an fp8 upscaler engine with this
    /// calibration (`smoothscale calibrate`; needs compute capability 8.9 or newer).
    #[arg(long, value_name = "CAL.json", requires = "upscale")]
    fp8_calibration: Option<PathBuf>,
    /// With --backend cuda: stop with the `engine-build` command to run instead of building a
    /// missing or outdated TensorRT engine (builds take minutes).
    #[arg(long)]
    no_build: bool,
    /// Refuse frames of more pixels than this (default 40M; also SMOOTHSCALE_MAX_PIXELS).
    #[arg(long, value_parser = parse_limit, value_name = "PIXELS")]
    max_pixels: Option<u64>,
    /// Refuse jobs estimated to hold more memory than this, e.g. `8G`; on the CUDA backend the
    /// GPU working set, engines included (default: 80% of the machine's memory; also
    /// SMOOTHSCALE_MAX_MEMORY).
    #[arg(long, value_parser = parse_limit, value_name = "BYTES")]
    max_memory: Option<u64>,
}

impl ProcessOptions {
    /// Decides the backend (`cuda::backend::decide`, the decision `doctor` reports), or the
    /// error of `--backend cuda`.
    fn decide_backend(&self) -> anyhow::Result<backend::Backend> {
        let requested = match self.backend {
            ProcessBackend::Auto => Requested::Auto,
            ProcessBackend::Cpu => Requested::Cpu,
            ProcessBackend::Cuda => Requested::Cuda,
        };
        let with_models =
            self.interpolate.is_some() || self.target_fps.is_some() || self.upscale.is_some();
        Ok(backend::decide(requested, with_models, probe_cuda_pieces)?)
    }

    /// Checks the options, finds the models (and loads the model runtime when there are any)
    /// and makes the job for `input` → `output`.
    pub fn job(&self, input: PathBuf, output: PathBuf, overwrite: bool) -> anyhow::Result<Job> {
        if self.duration.is_some_and(|d| !d.is_positive()) {
            anyhow::bail!("--duration must be greater than zero");
        }
        let backend = self.decide_backend()?;
        log::info!("backend: {}", backend.name());
        let rate = match (self.interpolate, self.target_fps) {
            (Some(n), Some(fps)) => {
                log::info!(
                    "--interpolate {n}x is not needed with --target-fps {fps}: the output is an \
                     exact retime to {fps} fps"
                );
                RateMode::Fps(fps)
            }
            (Some(n), None) => RateMode::Multiply(n),
            (None, Some(fps)) => RateMode::Fps(fps),
            (None, None) => RateMode::Keep,
        };
        let rife = match rate {
            RateMode::Keep => None,
            _ => Some(pipeline::find_model(
                self.rife_model.as_deref(),
                &[pipeline::RIFE_FILE],
                "RIFE",
            )?),
        };
        let upscale = match self.upscale {
            None => None,
            Some(factor) => {
                let names: &[&str] = if factor == 2 {
                    &pipeline::UPSCALE_2X_FILES
                } else {
                    &[pipeline::UPSCALE_4X_FILE]
                };
                Some((
                    factor as usize,
                    pipeline::find_model(self.upscale_model.as_deref(), names, "upscaling")?,
                ))
            }
        };
        let mut limits = pipeline::Limits::from_env()?;
        if let Some(pixels) = self.max_pixels {
            limits.max_frame_pixels = pixels;
        }
        if let Some(bytes) = self.max_memory {
            limits.max_memory = bytes;
        }
        let upscale_engine = match &self.fp8_calibration {
            None => BuildOptions::default(),
            Some(_) if backend != backend::Backend::Cuda => {
                anyhow::bail!("--fp8-calibration is for --backend cuda (TensorRT fp8 engines)")
            }
            Some(path) => BuildOptions {
                precision: EnginePrecision::Fp8,
                ..BuildOptions::default()
            }
            .with_calibration(path.clone(), Calibration::read(path)?),
        };
        let gpu = (backend == backend::Backend::Cuda).then_some(pipeline::GpuOptions {
            cq: self.cq,
            build_engines: !self.no_build,
            upscale_engine,
            fallback_to_cpu: matches!(self.backend, ProcessBackend::Auto),
        });
        if gpu.is_none() && (rife.is_some() || upscale.is_some()) {
            smoothscale::models::runtime::init()?;
        }
        Ok(Job {
            input,
            output,
            rate,
            window: Window {
                start: self.start,
                duration: self.duration,
            },
            codec: self.codec.map(|c| match c {
                Codec::H264 => VideoCodec::H264,
                Codec::Hevc => VideoCodec::Hevc,
            }),
            crf: self.crf,
            preset: self.preset.clone(),
            overwrite,
            models: pipeline::ModelOptions {
                rife,
                upscale,
                cut_threshold: (self.scene_threshold > 0.0).then_some(self.scene_threshold),
                tiles: pipeline::TileRequest {
                    size: self.tile,
                    pad: self.tile_pad,
                },
                threads: self.threads,
            },
            size: self.size.map(|(width, height)| OutputSize {
                width,
                height,
                fit: match self.fit {
                    FitArg::Crop => Fit::Crop,
                    FitArg::Pad => Fit::Pad,
                    FitArg::Scale => Fit::Scale,
                },
            }),
            limits,
            gpu,
        })
    }
}

/// `3840x2160`: both sides from 16 to 16384.
fn parse_size_wxh(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not a size like 3840x2160 (16 to 16384 pixels a side)");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (16..=16384).contains(v))
    };
    Ok((side(w).ok_or_else(bad)?, side(h).ok_or_else(bad)?))
}

/// `auto`, or a tile size in pixels (0: whole frames).
fn parse_tile(text: &str) -> Result<TileSize, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(TileSize::Auto);
    }
    match text.trim().parse::<usize>() {
        Ok(0) => Ok(TileSize::Whole),
        Ok(n) if n >= 16 => Ok(TileSize::Pixels(n)),
        _ => Err(format!(
            "`{text}` is not a tile size (auto, 0 for whole frames, or 16 pixels or more)"
        )),
    }
}

/// A positive size with an optional K/M/G/T suffix.
fn parse_limit(text: &str) -> Result<u64, String> {
    pipeline::parse_size(text).ok_or_else(|| format!("`{text}` is not a size like 8G or 40000000"))
}

/// `2x` → 2 (also `2`); from 2 to 16.
fn parse_multiple(text: &str) -> Result<u32, String> {
    let n: u32 = text
        .trim()
        .trim_end_matches(['x', 'X'])
        .parse()
        .map_err(|_| format!("`{text}` is not a multiple like 2x"))?;
    if (2..=16).contains(&n) {
        Ok(n)
    } else {
        Err(format!("`{text}`: the multiple must be from 2x to 16x"))
    }
}

/// `2x` or `4x`.
fn parse_upscale(text: &str) -> Result<u32, String> {
    match text.trim().trim_end_matches(['x', 'X']) {
        "2" => Ok(2),
        "4" => Ok(4),
        _ => Err(format!("`{text}`: upscaling is 2x or 4x")),
    }
}

/// A positive frame rate up to 1000.
fn parse_fps(text: &str) -> Result<Rational, String> {
    Rational::parse(text)
        .filter(|r| r.is_positive() && *r <= Rational::from_int(1000))
        .ok_or_else(|| format!("`{text}` is not a frame rate (e.g. 60, 59.94 or 60000/1001)"))
}

/// Parses `12.5`, `90`, `1:30`, `01:02:03.25` into seconds, exactly.
fn parse_time(text: &str) -> Result<Rational, String> {
    let bad = || format!("`{text}` is not a time (use seconds like 12.5, or [hh:]mm:ss[.frac])");
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    let mut total = Rational::ZERO;
    for (i, part) in parts.iter().enumerate() {
        let value = Rational::parse(part)
            .filter(|v| *v >= Rational::ZERO)
            .ok_or_else(bad)?;
        let last = i + 1 == parts.len();
        if !last && (part.contains('.') || part.contains('/')) {
            return Err(bad());
        }
        total = total * Rational::from_int(if i == 0 { 1 } else { 60 }) + value;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_exactly() {
        assert_eq!(parse_time("12.5"), Ok(Rational::new(25, 2).unwrap()));
        assert_eq!(parse_time("1:30"), Ok(Rational::from_int(90)));
        assert_eq!(
            parse_time("01:02:03.25"),
            Ok(Rational::new(14893, 4).unwrap())
        );
        for bad in ["", "-1", "1:2:3:4", "1.5:00", "abc", "1e3"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn model_options_parse() {
        assert_eq!(parse_multiple("2x"), Ok(2));
        assert_eq!(parse_multiple("4"), Ok(4));
        assert!(
            parse_multiple("1x").is_err()
                && parse_multiple("17x").is_err()
                && parse_multiple("x").is_err()
        );
        assert_eq!(parse_upscale("4x"), Ok(4));
        assert!(parse_upscale("3x").is_err());
        assert_eq!(
            parse_fps("60000/1001"),
            Rational::new(60000, 1001).ok_or(String::new())
        );
        assert!(parse_fps("0").is_err() && parse_fps("-5").is_err());
        assert_eq!(parse_size_wxh("3840x2160"), Ok((3840, 2160)));
        for bad in ["3840", "0x2160", "3840x", "x", "99999x10", "3840x2160x2"] {
            assert!(parse_size_wxh(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_tile("auto"), Ok(TileSize::Auto));
        assert_eq!(parse_tile("0"), Ok(TileSize::Whole));
        assert_eq!(parse_tile("512"), Ok(TileSize::Pixels(512)));
        assert!(parse_tile("8").is_err() && parse_tile("-1").is_err() && parse_tile("x").is_err());
    }
}
