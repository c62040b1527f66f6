//! `smoothscale run IN OUT`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use smoothscale::pipeline::{self, Job, PipelineError, StopFlag};
use smoothscale::timeline::{RateMode, Rational};
use smoothscale::video::{self, VideoCodec, Window};

use super::progress::Bar;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Backend {
    /// The best available backend (today: the CPU).
    Auto,
    /// FFmpeg software decode and encode, models on the CPU.
    Cpu,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Codec {
    H264,
    Hevc,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input video (anything FFmpeg reads: MP4, MOV, MKV, WebM, …).
    input: PathBuf,
    /// Output video (.mp4, .m4v, .mov or .mkv); written only when complete.
    output: PathBuf,
    /// Interpolate to N times the frame rate with RIFE (`2x`, `4x`, any `Nx` up to 16x).
    #[arg(long, value_parser = parse_multiple, conflicts_with = "target_fps")]
    interpolate: Option<u32>,
    /// Retime to exactly F frames per second with RIFE (`60`, `59.94`, `60000/1001`).
    #[arg(long, value_parser = parse_fps)]
    target_fps: Option<Rational>,
    /// Upscale by 2 or 4 with Real-ESRGAN (after interpolation).
    #[arg(long, value_parser = parse_upscale)]
    upscale: Option<u32>,
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
    /// Upscale in tiles of N input pixels (0: whole frames), batched.
    #[arg(long, default_value_t = 0)]
    tile: usize,
    /// Pixels of context around each tile (cropped after the model).
    #[arg(long, default_value_t = 32)]
    tile_pad: usize,
    /// CPU threads for the models (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Where to run.
    #[arg(long, value_enum, default_value = "auto")]
    backend: Backend,
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
    /// Replace OUT if it exists.
    #[arg(long)]
    overwrite: bool,
    /// Write a JSON summary of the run to this file.
    #[arg(long)]
    report: Option<PathBuf>,
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

pub fn run(args: &RunArgs, quiet: bool, verbose: u8) -> anyhow::Result<ExitCode> {
    video::init(verbose >= 3)?;
    if args.duration.is_some_and(|d| !d.is_positive()) {
        anyhow::bail!("--duration must be greater than zero");
    }
    match args.backend {
        Backend::Auto | Backend::Cpu => log::info!("backend: cpu"),
    }
    let rate = match (args.interpolate, args.target_fps) {
        (Some(n), _) => RateMode::Multiply(n),
        (None, Some(fps)) => RateMode::Fps(fps),
        (None, None) => RateMode::Keep,
    };
    let rife = match rate {
        RateMode::Keep => None,
        _ => Some(pipeline::find_model(
            args.rife_model.as_deref(),
            &[pipeline::RIFE_FILE],
            "RIFE",
        )?),
    };
    let upscale = match args.upscale {
        None => None,
        Some(factor) => {
            let names: &[&str] = if factor == 2 {
                &pipeline::UPSCALE_2X_FILES
            } else {
                &[pipeline::UPSCALE_4X_FILE]
            };
            Some((
                factor as usize,
                pipeline::find_model(args.upscale_model.as_deref(), names, "upscaling")?,
            ))
        }
    };
    if rife.is_some() || upscale.is_some() {
        smoothscale::models::runtime::init()?;
    }
    let job = Job {
        input: args.input.clone(),
        output: args.output.clone(),
        rate,
        window: Window {
            start: args.start,
            duration: args.duration,
        },
        codec: args.codec.map(|c| match c {
            Codec::H264 => VideoCodec::H264,
            Codec::Hevc => VideoCodec::Hevc,
        }),
        crf: args.crf,
        preset: args.preset.clone(),
        overwrite: args.overwrite,
        models: pipeline::ModelOptions {
            rife,
            upscale,
            cut_threshold: (args.scene_threshold > 0.0).then_some(args.scene_threshold),
            tiling: pipeline::Tiling {
                tile: args.tile,
                pad: args.tile_pad,
                ..pipeline::Tiling::default()
            },
            threads: args.threads,
        },
    };
    let stop = Arc::new(StopFlag::new(0));
    for (signal, code) in [
        (signal_hook::consts::SIGINT, 130),
        (signal_hook::consts::SIGTERM, 143),
    ] {
        signal_hook::flag::register_usize(signal, Arc::clone(&stop), code)
            .context("cannot install the signal handler")?;
    }
    let bar = Bar::new(quiet);
    let result = pipeline::run(&job, &bar, &stop);
    bar.done();
    match result {
        Ok(report) => {
            log::info!(
                "wrote {} ({} frames in {:.1} s, {:.1} frames/s)",
                report.output.display(),
                report.output_frames,
                report.elapsed_s,
                report.output_frames_per_s
            );
            if let Some(path) = &args.report {
                let text = serde_json::to_string_pretty(&report)?;
                std::fs::write(path, text + "\n")
                    .with_context(|| format!("cannot write the report {}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PipelineError::Interrupted(code)) => {
            eprintln!(
                "interrupted: nothing was written to {}",
                job.output.display()
            );
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(130)))
        }
        Err(e) => Err(e.into()),
    }
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
    }
}
