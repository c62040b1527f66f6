//! The command line: argument parsing, logging, progress bars and exit codes.

mod batch;
mod bench;
mod calibrate;
#[cfg(test)]
mod docs_tests;
mod doctor;
mod engine_build;
mod export_onnx;
mod options;
mod progress;
mod run;
mod signals;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code of a runtime failure (bad usage exits with 2, through clap).
const FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "smoothscale",
    version,
    about = "Make videos smoother and sharper: RIFE frame interpolation and Real-ESRGAN upscaling"
)]
struct Cli {
    /// More log output (-v: info, -vv: debug, -vvv: trace, FFmpeg's own log included).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors; no progress bars.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Process one video: IN → OUT.
    Run(Box<run::RunArgs>),
    /// Process every video of a folder, skipping those already done (`--watch`: keep polling).
    Batch(Box<batch::BatchArgs>),
    /// Write the ONNX graph of a model file.
    ExportOnnx(export_onnx::ExportOnnxArgs),
    /// Measure an upscaler's fp8 calibration on a clip (on the CPU), with a quality report.
    Calibrate(calibrate::CalibrateArgs),
    /// Build the TensorRT engine of a model for this GPU (or find it in the engine cache).
    EngineBuild(engine_build::EngineBuildArgs),
    /// Time each stage on a fixed synthetic workload; compare with a baseline.
    Bench(bench::BenchArgs),
    /// Run golden cases through the CPU runner and compare with the reference outputs.
    Verify(verify::VerifyArgs),
    /// Check the drivers, GPUs, libraries, models and encoders; say what to install (exits 0).
    Doctor(doctor::DoctorArgs),
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Run(args) => run::run(args, cli.quiet, cli.verbose),
        Command::Batch(args) => batch::run(args, cli.quiet, cli.verbose),
        Command::ExportOnnx(args) => export_onnx::run(args),
        Command::Calibrate(args) => calibrate::run(args, cli.quiet, cli.verbose),
        Command::EngineBuild(args) => engine_build::run(args, cli.quiet),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args, cli.quiet),
        Command::Doctor(args) => doctor::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(FAILURE)
        }
    }
}

/// The error and its causes on one line, skipping a cause whose text the line already holds
/// (library errors often quote their source in their own message).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.is_empty() {
            line = text;
        } else if !line.contains(&text) {
            line = format!("{line}: {text}");
        }
    }
    line.replace('\n', " ")
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Warn,
        (false, 1) => log::LevelFilter::Info,
        (false, 2) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .parse_env("SMOOTHSCALE_LOG")
        .format_timestamp(None)
        .init();
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write: {source}")]
    struct Quoting {
        source: std::io::Error,
    }

    #[test]
    fn causes_are_joined_once_on_one_line() {
        let io = || std::io::Error::other("disk full\nreally");
        let quoted = anyhow::Error::new(Quoting { source: io() });
        assert_eq!(one_line(&quoted), "cannot write: disk full really");
        let wrapped = anyhow::Error::new(io()).context("saving out.mp4");
        assert_eq!(one_line(&wrapped), "saving out.mp4: disk full really");
    }
}
