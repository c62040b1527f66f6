//! `smoothscale batch IN_DIR OUT_DIR`: every video of a folder, one after another, skipping
//! those done by an earlier run; `--watch` keeps polling the folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Args;

use smoothscale::batch::{
    self, BatchError, Clip, ClipResult, Outcome, Settler, Shard, Status, Summary,
};
use smoothscale::pipeline::{Job, PipelineError, StopFlag};
use smoothscale::video;

use super::options::ProcessOptions;
use super::progress::Bar;
use super::signals;

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Folder of input videos (its subfolders are not searched).
    in_dir: PathBuf,
    /// Folder for the outputs (created when missing; not IN_DIR). Completion records and locks
    /// go to its hidden `.smoothscale` folder.
    out_dir: PathBuf,
    #[command(flatten)]
    options: ProcessOptions,
    /// Extensions of the input files, comma-separated (case-insensitive).
    #[arg(long, value_delimiter = ',', default_value = "mp4,mov,mkv,webm,m4v")]
    ext: Vec<String>,
    /// Output container: IN_DIR/NAME.EXT becomes OUT_DIR/NAME.CONTAINER.
    #[arg(long, default_value = "mp4", value_parser = ["mp4", "m4v", "mov", "mkv"])]
    container: String,
    /// Only this share of the clips: `I/N` (0 <= I < N, by a hash of the file name) or `auto`
    /// (from a Kubernetes Indexed Job or a Slurm array).
    #[arg(long, value_parser = parse_shard, value_name = "I/N|auto")]
    shard: Option<ShardArg>,
    /// Keep polling IN_DIR and process new or changed files until SIGINT/SIGTERM.
    #[arg(long)]
    watch: bool,
    /// With --watch: seconds a file's size and time must stay unchanged before it is taken.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    settle: f64,
    /// With --watch: seconds between polls.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    poll: f64,
    /// Print `done` or `todo` for each clip of the share, and change nothing.
    #[arg(long, conflicts_with = "watch")]
    dry_run: bool,
    /// Write a JSON summary of the batch to this file.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy)]
enum ShardArg {
    Auto,
    Fixed(Shard),
}

fn parse_shard(text: &str) -> Result<ShardArg, String> {
    if text == "auto" {
        return Ok(ShardArg::Auto);
    }
    Shard::parse(text)
        .map(ShardArg::Fixed)
        .map_err(|e| e.to_string())
}

/// What every clip of the batch shares.
struct Batch<'a> {
    out_dir: &'a Path,
    template: Job,
    backend: &'static str,
    stop: &'a StopFlag,
    quiet: bool,
    summary: Summary,
}

pub fn run(args: &BatchArgs, quiet: bool, verbose: u8) -> anyhow::Result<ExitCode> {
    video::init(verbose >= 3)?;
    let shard = match args.shard {
        None => Shard::ALL,
        Some(ShardArg::Fixed(s)) => s,
        Some(ShardArg::Auto) => Shard::from_env(|k| std::env::var(k).ok())?,
    };
    anyhow::ensure!(
        args.in_dir.is_dir(),
        "{} is not a folder",
        args.in_dir.display()
    );
    if !args.dry_run {
        fs::create_dir_all(&args.out_dir)
            .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    }
    if fs::canonicalize(&args.in_dir).ok() == fs::canonicalize(&args.out_dir).ok() {
        return Err(BatchError::SameFolder(args.out_dir.clone()).into());
    }
    let template = args.options.job(PathBuf::new(), PathBuf::new(), true)?;
    let backend = if template.gpu.is_some() {
        "cuda"
    } else {
        "cpu"
    };
    // A missing model is one error now, not one per clip.
    batch::FileId::models(&template)?;
    let mine = |clips: Vec<Clip>| -> Vec<Clip> {
        clips.into_iter().filter(|c| shard.owns(&c.name)).collect()
    };
    let discover = || batch::discover(&args.in_dir, &args.out_dir, &args.ext, &args.container);
    if args.dry_run {
        for clip in mine(discover()?) {
            let done = batch::is_done(&clip, &args.out_dir, &template, backend);
            println!("{} {}", if done { "done" } else { "todo" }, clip.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stop = signals::stop_flag()?;
    let started = Instant::now();
    let sharded = (shard != Shard::ALL).then(|| shard.to_string());
    let mut batch = Batch {
        out_dir: &args.out_dir,
        template,
        backend,
        stop: &stop,
        quiet,
        summary: Summary::new(&args.in_dir, &args.out_dir, sharded),
    };
    if args.watch {
        watch(&mut batch, args, &|| discover().map(mine))?;
    } else {
        let all = discover()?;
        let clips = mine(all.clone());
        if all.is_empty() {
            log::warn!(
                "no file with the extensions {} in {}",
                args.ext.join(","),
                args.in_dir.display()
            );
        }
        if shard != Shard::ALL && !quiet {
            eprintln!("shard {shard}: {} of {} clips", clips.len(), all.len());
        }
        for (i, clip) in clips.iter().enumerate() {
            if batch.stopped() {
                break;
            }
            batch.handle(clip, &format!("[{}/{}] ", i + 1, clips.len()));
        }
    }
    let mut summary = batch.summary;
    summary.elapsed_s = started.elapsed().as_secs_f64();
    if !quiet {
        println!("{}", summary.table());
    }
    if let Some(path) = &args.report {
        summary.write(path)?;
    }
    Ok(match stop.load(Ordering::Relaxed) {
        0 if summary.failed > 0 => ExitCode::FAILURE,
        0 => ExitCode::SUCCESS,
        code => ExitCode::from(u8::try_from(code).unwrap_or(130)),
    })
}

impl Batch<'_> {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) != 0
    }

    /// Processes one clip, prints its line and adds its row; returns its status.
    fn handle(&mut self, clip: &Clip, label: &str) -> Status {
        let bar = Bar::new(self.quiet);
        let result = batch::process(
            clip,
            self.out_dir,
            &self.template,
            self.backend,
            &bar,
            self.stop,
        );
        bar.done();
        let mut row = ClipResult {
            input: clip.name.clone(),
            output: clip.output_name(),
            status: Status::Done,
            elapsed_s: 0.0,
            output_frames: None,
            output_frames_per_s: None,
            error: None,
        };
        let line = match result {
            Ok(Outcome::Done(report)) => {
                row.elapsed_s = report.elapsed_s;
                row.output_frames = Some(report.output_frames);
                row.output_frames_per_s = Some(report.output_frames_per_s);
                format!(
                    "done in {:.2} s ({} frames, {:.1} frames/s)",
                    report.elapsed_s, report.output_frames, report.output_frames_per_s
                )
            }
            Ok(Outcome::Skipped(record)) => {
                row.status = Status::Skipped;
                row.output_frames = Some(record.output_frames);
                "skipped (already done)".to_string()
            }
            Ok(Outcome::Busy) => {
                row.status = Status::Busy;
                "busy (another process is on it)".to_string()
            }
            Err(BatchError::Pipeline(PipelineError::Interrupted(_))) => {
                row.status = Status::Interrupted;
                format!(
                    "interrupted: nothing was written to {}",
                    clip.output.display()
                )
            }
            Err(e) => {
                row.status = Status::Failed;
                let message = format!("{:#}", anyhow::Error::new(e));
                eprintln!("error: {}: {message}", clip.name);
                row.error = Some(message);
                String::new()
            }
        };
        if !self.quiet && !line.is_empty() {
            eprintln!("{label}{}: {line}", clip.name);
        }
        let status = row.status;
        self.summary.push(row);
        status
    }
}

/// Polls for clips until a signal: each is taken once its size and time have settled, and again
/// if it changes later.
fn watch(
    batch: &mut Batch,
    args: &BatchArgs,
    clips: &dyn Fn() -> Result<Vec<Clip>, BatchError>,
) -> anyhow::Result<()> {
    let seconds = |s: f64, what: &str| {
        Duration::try_from_secs_f64(s)
            .with_context(|| format!("--{what} must be a number of seconds"))
    };
    let (settle, poll) = (seconds(args.settle, "settle")?, seconds(args.poll, "poll")?);
    let mut settler = Settler::new(settle);
    if !batch.quiet {
        eprintln!("watching {} (Ctrl-C to stop)", args.in_dir.display());
    }
    while !batch.stopped() {
        match clips() {
            Ok(clips) => {
                let names: Vec<&str> = clips.iter().map(|c| c.name.as_str()).collect();
                settler.retain(&names);
                for clip in &clips {
                    let Some(stamp) = stamp(&clip.input) else {
                        continue;
                    };
                    if batch.stopped() || !settler.observe(&clip.name, stamp, Instant::now()) {
                        continue;
                    }
                    if batch.handle(clip, "") != Status::Busy {
                        settler.handled(&clip.name);
                    }
                }
            }
            Err(e) => log::warn!("{}: {e}", args.in_dir.display()),
        }
        let until = Instant::now() + poll;
        while Instant::now() < until && !batch.stopped() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Size and modification time (ns) of a file.
fn stamp(path: &Path) -> Option<(u64, u64)> {
    let meta = fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos() as u64))
}
