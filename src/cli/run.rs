//! `smoothscale run IN OUT`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use smoothscale::pipeline::{self, PipelineError};
use smoothscale::video;

use super::options::ProcessOptions;
use super::progress::Bar;
use super::signals;

/// Exit code of bad usage, as clap gives it.
const USAGE: u8 = 2;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Input video (anything FFmpeg reads: MP4, MOV, MKV, WebM, …).
    input: PathBuf,
    /// Output video (.mp4, .m4v, .mov or .mkv); written only when complete.
    output: PathBuf,
    #[command(flatten)]
    options: ProcessOptions,
    /// Replace OUT if it exists.
    #[arg(long)]
    overwrite: bool,
    /// Write a JSON summary of the run to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

pub fn run(args: &RunArgs, quiet: bool, verbose: u8) -> anyhow::Result<ExitCode> {
    video::init(verbose >= 3)?;
    let job = args
        .options
        .job(args.input.clone(), args.output.clone(), args.overwrite)?;
    let stop = signals::stop_flag()?;
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
        Err(PipelineError::Fit(e)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(USAGE))
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
