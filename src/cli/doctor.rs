//! `smoothscale doctor`: what this machine has for each backend and what to install; exits 0.

use std::process::ExitCode;

use clap::Args;

use smoothscale::doctor;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON (schema `smoothscale-doctor/1`) instead of text.
    #[arg(long)]
    json: bool,
}

/// Probes and prints. Every finding, missing pieces included, is part of the report, so this
/// always succeeds.
pub fn run(args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    // Registers FFmpeg's codecs and keeps its own log quiet; the encoders are looked up anyway.
    if let Err(e) = smoothscale::video::init(false) {
        log::warn!("{e}");
    }
    let report = doctor::gather();
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            // Unreachable in practice (plain data); still no non-zero exit.
            Err(e) => eprintln!("warning: cannot write the JSON report: {e}"),
        }
    } else {
        print!("{}", doctor::render_plain(&report));
    }
    Ok(ExitCode::SUCCESS)
}
