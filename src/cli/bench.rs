//! `smoothscale bench`: time the stages on a fixed synthetic workload, write JSON, compare with a
//! baseline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use smoothscale::bench::{
    self, BenchReport, Machine, Settings, StageResult, StageStatus, Workload,
};
use smoothscale::video;

use super::options::Backend;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Where to run (only the CPU exists today).
    #[arg(long, value_enum, default_value = "auto")]
    backend: Backend,
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
    /// CPU threads for the models (0: one per core); part of the workload.
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

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
}

fn line(workload: &Workload, s: &StageResult) -> String {
    let size = workload
        .stages
        .iter()
        .find(|spec| spec.name == s.name)
        .map_or(String::new(), |spec| {
            format!("{}x{}", spec.width, spec.height)
        });
    match (s.status, s.per_frame_s) {
        (StageStatus::Measured, Some(per_frame)) => format!(
            "{:<18} {size:>8}  {per_frame:.5} s/frame  {:8.2} frames/s  {} frames/run  peak {}",
            s.name,
            s.frames_per_s.unwrap_or(0.0),
            s.frames,
            mib(s.host_peak_bytes)
        ),
        _ => format!(
            "{:<18} {size:>8}  skipped: {}",
            s.name,
            s.reason.as_deref().unwrap_or("no frames")
        ),
    }
}

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    video::init(false)?;
    let backend = match args.backend {
        Backend::Auto | Backend::Cpu => bench::Backend::Cpu,
    };
    let settings = Settings {
        repeat: args.repeat,
        warmup: args.warmup,
    };
    let workload = Workload::cpu_small(args.threads);
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
    if !quiet {
        let m = &report.machine;
        println!(
            "workload {} on {} ({} CPUs, {}), {} timed runs after {} warm-up",
            workload.name,
            m.cpu_model.as_deref().unwrap_or("unknown CPU"),
            m.logical_cpus.map_or("?".into(), |n| n.to_string()),
            m.gpu
                .as_ref()
                .and_then(|g| g.name.as_deref())
                .unwrap_or("no GPU"),
            settings.repeat,
            settings.warmup
        );
    }
    let report = bench::run(report, |s| {
        if !quiet {
            println!("{}", line(&workload, s));
        }
    })?;
    if !quiet {
        println!(
            "peak host memory {}, {:.1} s in all",
            mib(report.memory.host_peak_bytes),
            report.elapsed_s
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let Some(baseline) = baseline else {
        return Ok(ExitCode::SUCCESS);
    };
    let comparison = bench::compare(&baseline, &report, args.tolerance);
    print!("{}", comparison.table());
    let regressions: Vec<String> = comparison
        .regressions()
        .iter()
        .map(|r| format!("{} ({:+.1}%)", r.stage, r.change_pct.unwrap_or(0.0)))
        .collect();
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
