//! `smoothscale bench`: time the stages on a fixed synthetic workload, write JSON, compare with a
//! baseline. `--backend cuda` runs the `cuda-1088p` workload on the GPU (not yet run on a GPU);
//! `--plan` prints what that workload costs and the floors of a GPU, running nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use smoothscale::bench::{self, plan, roofline, BenchReport, Machine, Settings, Workload};
use smoothscale::video;

use super::options::Backend;

#[path = "bench_lines.rs"]
mod lines;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Where to run: the CPU workload (`auto`, `cpu`) or the GPU's (`cuda`).
    #[arg(long, value_enum, default_value = "auto")]
    backend: Backend,
    /// Print the CUDA workload's FLOPs, bytes and floor per stage on a GPU, and the whole clip's
    /// floor against the original script's 900 s; runs nothing, on any machine.
    #[arg(long)]
    plan: bool,
    /// The GPU of `--plan` (thor, h100, h100-pcie, h100-nvl, h200, h200-nvl, l40s, rtx4090,
    /// a100, a100-80gb, a100-80gb-pcie); default: this machine's.
    #[arg(long, value_name = "NAME", requires = "plan")]
    gpu: Option<String>,
    /// A previous `--json` file of the same workload and machine: exit 1 if a stage got slower.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Allowed slow-down per stage against the baseline, in percent.
    #[arg(long, value_name = "PCT", default_value_t = 15.0, value_parser = parse_tolerance)]
    tolerance: f64,
    /// Timed runs of each stage (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeat: u32,
    /// Untimed runs of each stage first.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=100))]
    warmup: u32,
    /// CPU threads for the models (0: one per core); part of the CPU workload.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn parse_tolerance(text: &str) -> Result<f64, String> {
    text.trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| format!("`{text}` is not a percentage of 0 or more"))
}

/// `--plan`: the roofline row of `--gpu`, or of this machine's GPU.
fn plan(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let known = roofline::keys().join(", ");
    let (peak, chosen) = match &args.gpu {
        Some(key) => {
            let peak = roofline::by_key(key).with_context(|| {
                format!("no GPU `{key}` in the roofline table (known: {known})")
            })?;
            let chosen = format!("--gpu {}", peak.key);
            (peak, chosen)
        }
        None => {
            let gpu = Machine::detect().gpu.with_context(|| {
                format!("no GPU on this machine to plan for: name one with --gpu ({known})")
            })?;
            let name = gpu.name.unwrap_or_default();
            let cc = gpu.compute_capability.as_deref().and_then(|c| {
                let (major, minor) = c.split_once('.')?;
                Some((major.parse().ok()?, minor.parse().ok()?))
            });
            let peak = cc
                .and_then(|cc| roofline::lookup(&name, cc))
                .with_context(|| {
                    format!(
                        "{name}: {} (name a GPU with --gpu: {known})",
                        roofline::NO_PEAK
                    )
                })?;
            (peak, "this machine's GPU".into())
        }
    };
    print!("{}", plan::render(&Workload::cuda_1088p(), &peak, &chosen));
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let backend = match args.backend {
        Backend::Auto | Backend::Cpu => bench::Backend::Cpu,
        Backend::Cuda => bench::Backend::Cuda,
    };
    if args.plan {
        if backend != bench::Backend::Cuda {
            eprintln!("error: --plan describes the CUDA workload: add --backend cuda");
            return Ok(ExitCode::from(2));
        }
        return plan(args);
    }
    video::init(false)?;
    let settings = Settings {
        repeat: args.repeat,
        warmup: args.warmup,
    };
    let workload = match backend {
        bench::Backend::Cpu => Workload::cpu_small(args.threads),
        bench::Backend::Cuda => Workload::cuda_1088p(),
    };
    let machine = Machine::detect();
    let report = BenchReport::empty(backend, settings, machine, workload.clone());
    // Checked before the work, so that a wrong baseline fails at once.
    let baseline = match &args.baseline {
        Some(path) => {
            let baseline = BenchReport::load(path)?;
            bench::check_compatible(&baseline, &report)?;
            Some(baseline)
        }
        None => None,
    };
    if backend == bench::Backend::Cuda {
        // Before the clips are drawn: without a GPU, say what is missing at once.
        let device = bench::gpu::check_device()?;
        if !quiet {
            println!("{device}");
        }
    }
    if !quiet {
        println!("{}", lines::header(&report));
    }
    let print = |s: &bench::StageResult| {
        if !quiet {
            println!("{}", lines::stage(&workload, s));
        }
    };
    let report = match backend {
        bench::Backend::Cpu => bench::run(report, print)?,
        bench::Backend::Cuda => bench::gpu::run(report, print)?,
    };
    if !quiet {
        println!("{}", lines::summary(&report));
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let regressions: Vec<String> = match &baseline {
        Some(baseline) => {
            let comparison = bench::compare(baseline, &report, args.tolerance);
            print!("{}", comparison.table());
            comparison
                .regressions()
                .iter()
                .map(|r| format!("{} ({:+.1}%)", r.stage, r.change_pct.unwrap_or(0.0)))
                .collect()
        }
        None => Vec::new(),
    };
    let failed: Vec<&str> = report
        .stages
        .iter()
        .filter(|s| s.status == bench::StageStatus::Failed)
        .map(|s| s.name.as_str())
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "stages failed (see their reasons above or in the JSON): {}",
            failed.join(", ")
        );
    }
    if regressions.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::bail!(
        "slower than the baseline by more than {}%: {}",
        args.tolerance,
        regressions.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_parses_percentages() {
        assert_eq!(parse_tolerance("15"), Ok(15.0));
        assert_eq!(parse_tolerance("2.5%"), Ok(2.5));
        assert!(parse_tolerance("-1").is_err() && parse_tolerance("inf").is_err());
        assert!(parse_tolerance("x").is_err());
    }
}
