//! One clip of a batch: lock it, skip it when its record says it is done, otherwise clear what a
//! killed run left, run the pipeline and write the record.
//!
//! The order makes every moment safe to be killed at: the old record is removed before the old
//! output can be replaced, and the new record is written only after the new output is in place
//! and flushed.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::Path;

use super::record::{self, sync_dir, FileId, Record, Settings};
use super::{BatchError, Clip, STATE_DIR};
use crate::pipeline::{self, Job, Progress, Report, StopFlag};

/// What became of a clip.
#[derive(Debug)]
pub enum Outcome {
    /// Processed now.
    Done(Report),
    /// Already done by an earlier run with the same input, settings, tool and models.
    Skipped(Record),
    /// Another process holds the clip's lock.
    Busy,
}

/// What the record of `clip` must say for the clip to count as done (its output part is left
/// empty).
fn expected(clip: &Clip, template: &Job, backend: &str) -> Result<Record, BatchError> {
    Ok(Record {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        input: FileId::of(&clip.input, clip.name.clone())?,
        settings: Settings::of(template, backend),
        models: FileId::models(template)?,
        output: FileId {
            path: clip.output_name(),
            size: 0,
            mtime_ns: 0,
        },
        output_frames: 0,
        elapsed_s: 0.0,
    })
}

/// The record of `clip` when it matches `expected` and the output on disk is the one it noted.
fn done_record(clip: &Clip, expected: &Record, out_dir: &Path) -> Option<Record> {
    let record = Record::read(&record::path(out_dir, &clip.output_name()))?;
    let output = FileId::of(&clip.output, clip.output_name()).ok()?;
    (record.same_work(expected) && record.output == output).then_some(record)
}

/// Whether `clip` counts as done (what a run would skip), without locking or changing anything.
pub fn is_done(clip: &Clip, out_dir: &Path, template: &Job, backend: &str) -> bool {
    clip.collides_with.is_none()
        && expected(clip, template, backend).is_ok_and(|e| done_record(clip, &e, out_dir).is_some())
}

/// Processes `clip` into `out_dir` with the settings of `template` (its input, output and
/// overwrite fields are replaced).
pub fn process(
    clip: &Clip,
    out_dir: &Path,
    template: &Job,
    backend: &str,
    progress: &dyn Progress,
    stop: &StopFlag,
) -> Result<Outcome, BatchError> {
    if let Some(first) = &clip.collides_with {
        return Err(BatchError::Collision {
            output: clip.output_name(),
            first: first.clone(),
        });
    }
    let output_name = clip.output_name();
    let state = out_dir.join(STATE_DIR);
    fs::create_dir_all(&state).map_err(BatchError::io(&state, "create the folder"))?;
    let lock_path = state.join(format!("{output_name}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(BatchError::io(&lock_path, "open the lock"))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Outcome::Busy),
        Err(TryLockError::Error(e)) => {
            return Err(BatchError::io(&lock_path, "lock")(e));
        }
    }
    let record_path = record::path(out_dir, &output_name);
    let expected = expected(clip, template, backend)?;
    if let Some(record) = done_record(clip, &expected, out_dir) {
        return Ok(Outcome::Skipped(record));
    }
    // A killed run removed the record before it started writing, so leftovers only exist for
    // clips that are not done.
    remove_leftovers(out_dir, &output_name, &record_path);
    match fs::remove_file(&record_path) {
        Ok(()) => sync_dir(&record_path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BatchError::io(&record_path, "remove the old record")(e)),
    }
    let job = Job {
        input: clip.input.clone(),
        output: clip.output.clone(),
        overwrite: true,
        ..template.clone()
    };
    let report = pipeline::run(&job, progress, stop)?;
    File::open(&clip.output)
        .and_then(|f| f.sync_all())
        .map_err(BatchError::io(&clip.output, "flush"))?;
    sync_dir(&clip.output);
    Record {
        output: FileId::of(&clip.output, output_name)?,
        output_frames: report.output_frames,
        elapsed_s: report.elapsed_s,
        ..expected
    }
    .write(&record_path)?;
    Ok(Outcome::Done(report))
}

/// Removes the temporary files a killed run left for this output: the pipeline's
/// `.<name>.<pid>.partial` and the record's `.tmp`. Only called with the clip's lock held, so no
/// live process is writing them.
fn remove_leftovers(out_dir: &Path, output_name: &str, record_path: &Path) {
    let mut stale = vec![record::temp_path(record_path)];
    let partials = crate::video::partial_leftovers(&out_dir.join(output_name));
    stale.extend(partials.into_iter().map(|(path, _pid)| path));
    for path in stale {
        match fs::remove_file(&path) {
            Ok(()) => log::info!("removed {}, left by an interrupted run", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove {}: {e}", path.display()),
        }
    }
}
