//! `smoothscale calibrate`: measures an upscaler's fp8 calibration on a clip, on the CPU, and
//! writes it with its quality report (the work is in `smoothscale::models::calibration`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use smoothscale::models::calibration::samples::{DEFAULT_CROP, DEFAULT_FRAMES, MIN_FRAMES};
use smoothscale::models::calibration::{calibrate, Calibration, Progress, Settings};
use smoothscale::models::checkpoint;
use smoothscale::tensorrt::builder::model_sha256;

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The upscaler's model file (Real-ESRGAN .pth, or ncnn .param beside its .bin).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// A clip like the ones the engine will upscale.
    #[arg(long, value_name = "CLIP")]
    clip: PathBuf,
    /// Where to write the calibration (JSON).
    #[arg(long, value_name = "FILE.json")]
    out: PathBuf,
    /// Frames taken, spread over the clip, one crop each; every third is held out for the
    /// quality report.
    #[arg(long, default_value_t = DEFAULT_FRAMES as u32,
          value_parser = clap::value_parser!(u32).range(MIN_FRAMES as i64..=1000))]
    frames: u32,
    /// Crop side in input pixels.
    #[arg(long, default_value_t = DEFAULT_CROP as u32,
          value_parser = clap::value_parser!(u32).range(8..=2048))]
    crop: u32,
    /// CPU threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: &CalibrateArgs, quiet: bool, verbose: u8) -> anyhow::Result<ExitCode> {
    smoothscale::video::init(verbose >= 3)?;
    smoothscale::models::runtime::init()?;
    let loaded = checkpoint::load(&args.model)
        .with_context(|| format!("cannot load {}", args.model.display()))?;
    let sha = model_sha256(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let settings = Settings {
        frames: args.frames as usize,
        crop: args.crop as usize,
        threads: args.threads,
    };
    let bar = ProgressBar::with_draw_target(None, super::progress::draw_target(quiet));
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(format!("reading frames of {}", args.clip.display()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let cal = calibrate((&loaded, &sha), &args.clip, settings, &mut |p| match p {
        Progress::Sampled { samples, side } => {
            bar.set_message(format!("graph runs ({samples} crops of {side}x{side})"));
        }
        Progress::Ran { done, total } => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    let cal = cal?;
    cal.write(&args.out)?;
    print_report(&cal, &args.out);
    Ok(ExitCode::SUCCESS)
}

/// The calibration's report, in words.
fn print_report(cal: &Calibration, out: &std::path::Path) {
    println!(
        "{} ({}): {} fp8 convolutions calibrated on {} crops of {}x{} from {}",
        out.display(),
        cal.architecture,
        cal.ranges.len(),
        cal.samples,
        cal.crop,
        cal.crop,
        cal.clip
    );
    println!("quality {}", cal.quality);
    if let Some(warning) = cal.quality.warning() {
        log::warn!("{warning}");
    }
    println!(
        "build the engine with: smoothscale engine-build --model MODEL --precision fp8 \
         --calibration {} ...",
        out.display()
    );
}
