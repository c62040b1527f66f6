//! `smoothscale engine-build`: builds (or finds in the cache) the TensorRT engines a run of a
//! model uses on this GPU: one for an upscaler, two for RIFE (its feature encoder and the rest).
//! The work is in `smoothscale::tensorrt`; this is arguments, messages and a spinner.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use smoothscale::models::calibration::Calibration;
use smoothscale::pipeline::cuda::engines::{ensure_prepared, prepare_engines, EngineEvent};
use smoothscale::pipeline::find_model;
use smoothscale::tensorrt::builder::{PreparedEngine, Toolchain};
use smoothscale::tensorrt::profile::BuildProfile;
use smoothscale::tensorrt::spec::{EngineShape, MAX_BATCH};
use smoothscale::tensorrt::EnginePrecision;
use smoothscale::tensorrt::{default_cache_dir, EngineCache};

/// Exit code of bad usage, as clap uses.
const USAGE: u8 = 2;

#[derive(Debug, Args)]
pub struct EngineBuildArgs {
    /// The model file (RIFE flownet.pkl, Real-ESRGAN .pth, ncnn .param beside its .bin); default:
    /// the profile's `model`, looked up in the models folder.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Whole-frame engine: input height (RIFE: a multiple of 64).
    #[arg(long, requires = "width", conflicts_with = "tile", value_parser = clap::value_parser!(u32).range(1..=16384))]
    height: Option<u32>,
    /// Whole-frame engine: input width (RIFE: a multiple of 64).
    #[arg(long, requires = "height", conflicts_with = "tile", value_parser = clap::value_parser!(u32).range(1..=16384))]
    width: Option<u32>,
    /// Tiled upscaler engine: tile side in input pixels.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16384))]
    tile: Option<u32>,
    /// Tiled engine: context pixels on each side of a tile (default 0).
    #[arg(
        long = "tile-pad",
        value_name = "P",
        requires = "tile",
        conflicts_with = "height"
    )]
    tile_pad: Option<u32>,
    /// Tiled engine: largest batch of tiles per call (the engine takes 1 to B; default 1).
    #[arg(long, value_name = "B", requires = "tile", conflicts_with = "height", value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH as i64))]
    batch: Option<u32>,
    /// Kernel precision (default fp16; bf16 needs TensorRT 10; fp8 needs --calibration and an
    /// upscaler).
    #[arg(long, value_parser = ["fp32", "fp16", "bf16", "fp8"])]
    precision: Option<String>,
    /// fp8: the calibration to build with (`smoothscale calibrate` writes it).
    #[arg(long, value_name = "CAL.json")]
    calibration: Option<PathBuf>,
    /// The engine cache to write into (default: $SMOOTHSCALE_ENGINE_CACHE, else
    /// ~/.cache/smoothscale/engines).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Builder workspace limit in MiB (default 4096).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..))]
    workspace: Option<u64>,
    /// Builder optimization level, 0 (fast build) to 5 (default 3).
    #[arg(long = "opt-level", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=5))]
    opt_level: Option<u8>,
    /// A build profile (engines/*.profile); flags override its settings.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
}

/// One `error:` line and the usage exit code.
fn usage(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(USAGE))
}

pub fn run(args: &EngineBuildArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(path) => BuildProfile::read(path)?,
        None => BuildProfile::default(),
    };
    let shape = match (args.height, args.width, args.tile) {
        (Some(h), Some(w), _) => Some(EngineShape::Frame {
            height: h as usize,
            width: w as usize,
        }),
        (_, _, Some(tile)) => Some(EngineShape::Tiles {
            tile: tile as usize,
            pad: args.tile_pad.unwrap_or(0) as usize,
            batch: args.batch.unwrap_or(1) as usize,
        }),
        _ => profile.shape,
    };
    let Some(shape) = shape else {
        return usage("give --height and --width, or --tile, or a --profile that sets them");
    };
    let precision: Option<EnginePrecision> = match &args.precision {
        Some(p) => Some(p.parse().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let mut options = profile.options(precision, args.workspace, args.opt_level);
    match (&args.calibration, options.precision) {
        (None, EnginePrecision::Fp8) => {
            return usage(
                "--precision fp8 needs --calibration CAL.json (made by `smoothscale calibrate \
                 --model MODEL --clip CLIP --out CAL.json`)",
            )
        }
        (Some(_), p) if p != EnginePrecision::Fp8 => {
            return usage(&format!("--calibration is for --precision fp8, not {p}"))
        }
        (Some(path), _) => {
            let cal = Calibration::read(path)?;
            println!(
                "fp8 calibration {} ({} convolutions, {} crops of {}): quality {}",
                path.display(),
                cal.ranges.len(),
                cal.samples,
                cal.clip,
                cal.quality
            );
            if let Some(warning) = cal.quality.warning() {
                log::warn!("{warning}");
            }
            options = options.with_calibration(path.clone(), cal);
        }
        (None, _) => {}
    }
    if args.model.is_none() && profile.model.is_none() {
        return usage("give --model, or a --profile that names one");
    }
    let cache = match args.out.clone().or_else(default_cache_dir) {
        Some(dir) => EngineCache::new(dir),
        None => return usage("no engine cache folder: give --out, or set HOME"),
    };

    // TensorRT and the GPU first: without them nothing else is worth reading.
    let toolchain = Toolchain::probe()?;
    let target = toolchain.target();
    // Looked up (not read) only now, so a missing TensorRT is reported first.
    let model = match (&args.model, &profile.model) {
        (Some(m), _) => m.clone(),
        (None, Some(m)) if m.is_absolute() => m.clone(),
        (None, Some(m)) => {
            let name = m.to_string_lossy();
            find_model(None, &[name.as_ref()], "requested")?
        }
        (None, None) => return usage("give --model, or a --profile that names one"),
    };
    println!(
        "TensorRT {} on {} (compute capability {})",
        target.tensorrt_version, target.gpu_name, target.compute_capability
    );
    let engines = prepare_engines(&model, shape, options.clone(), target)?;
    if engines.len() > 1 {
        println!(
            "{} engines: RIFE's feature encoder (run once per source frame) and the rest (run \
             per output frame)",
            engines.len()
        );
    }
    for prepared in &engines {
        println!(
            "{} ({}): engine {} ({shape}, {}, workspace {} MiB, optimization level {})",
            model.display(),
            prepared.architecture,
            prepared.stem,
            options.precision,
            options.workspace_mib,
            options.opt_level
        );
        build_engine(&toolchain, &model, prepared, &cache, quiet)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds one prepared engine into `cache` unless it is there, saying what happens.
fn build_engine(
    toolchain: &Toolchain,
    model: &Path,
    prepared: &PreparedEngine,
    cache: &EngineCache,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut spinner = None;
    let built = ensure_prepared(
        toolchain,
        model,
        prepared,
        cache,
        true,
        &mut |event| match event {
            EngineEvent::Cached { plan } => println!(
                "cached: {} matches this model, graph, TensorRT, GPU, shapes, precision and \
                 options; nothing to build",
                plan.display()
            ),
            EngineEvent::Building { reason, estimate } => {
                match reason {
                    None => println!("not in the cache {}: building", cache.dir().display()),
                    Some(reason) => println!("rebuilding: {reason}"),
                }
                let bar = spinner_bar(quiet);
                bar.set_message(format!("building {}: {estimate}", prepared.stem));
                spinner = Some(bar);
            }
            EngineEvent::Finished => {
                if let Some(bar) = spinner.take() {
                    bar.finish_and_clear();
                }
            }
        },
    )?;
    if let Some(built) = built {
        println!(
            "built {} ({:.1} MiB) in {:.0} s{}",
            built.plan.display(),
            built.plan_bytes as f64 / (1u64 << 20) as f64,
            built.seconds,
            if built.timing_cache_reused {
                ", reusing the timing cache"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// A spinner with the elapsed time on stderr (hidden with --quiet or off a terminal).
fn spinner_bar(quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, super::progress::draw_target(quiet));
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
