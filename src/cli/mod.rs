//! The command line: argument parsing, logging, progress bars and exit codes.

mod bench;
mod export_onnx;
mod progress;
mod run;
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
    /// Write the ONNX graph of a model file.
    ExportOnnx(export_onnx::ExportOnnxArgs),
    /// Time each stage on a fixed synthetic workload; compare with a baseline.
    Bench(bench::BenchArgs),
    /// Run golden cases through the CPU runner and compare with the reference outputs.
    Verify(verify::VerifyArgs),
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Run(args) => run::run(args, cli.quiet, cli.verbose),
        Command::ExportOnnx(args) => export_onnx::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args, cli.quiet),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes, joined.
            eprintln!("error: {e:#}");
            ExitCode::from(FAILURE)
        }
    }
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
