//! What a batch did: one row per clip, the table printed at the end and the `--report` JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::record::write_json;
use super::BatchError;

/// What became of one clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Done,
    Skipped,
    Failed,
    /// Locked by another process.
    Busy,
    /// Stopped by a signal; nothing was written.
    Interrupted,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Busy => "busy",
            Status::Interrupted => "interrupted",
        }
    }
}

/// One row.
#[derive(Debug, Clone, Serialize)]
pub struct ClipResult {
    pub input: String,
    pub output: String,
    pub status: Status,
    pub elapsed_s: f64,
    /// Frames written (for a skipped clip: by the run that made it).
    pub output_frames: Option<u64>,
    pub output_frames_per_s: Option<f64>,
    pub error: Option<String>,
}

/// The whole batch, as written to `--report`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub tool_version: &'static str,
    pub in_dir: PathBuf,
    pub out_dir: PathBuf,
    /// `I/N` when sharded.
    pub shard: Option<String>,
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    pub busy: usize,
    pub interrupted: bool,
    pub elapsed_s: f64,
    pub clips: Vec<ClipResult>,
}

impl Summary {
    pub fn new(in_dir: &Path, out_dir: &Path, shard: Option<String>) -> Self {
        Summary {
            tool_version: env!("CARGO_PKG_VERSION"),
            in_dir: in_dir.to_path_buf(),
            out_dir: out_dir.to_path_buf(),
            shard,
            done: 0,
            skipped: 0,
            failed: 0,
            busy: 0,
            interrupted: false,
            elapsed_s: 0.0,
            clips: Vec::new(),
        }
    }

    pub fn push(&mut self, row: ClipResult) {
        match row.status {
            Status::Done => self.done += 1,
            Status::Skipped => self.skipped += 1,
            Status::Failed => self.failed += 1,
            Status::Busy => self.busy += 1,
            Status::Interrupted => self.interrupted = true,
        }
        self.clips.push(row);
    }

    /// The table printed at the end of a batch.
    pub fn table(&self) -> String {
        let width = self
            .clips
            .iter()
            .map(|c| c.input.chars().count())
            .chain([4])
            .max()
            .unwrap_or(4);
        let mut text = format!(
            "{:<width$}  {:<11}  {:>8}  {:>7}  {:>8}\n",
            "clip", "status", "time s", "frames", "frames/s"
        );
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
        for c in &self.clips {
            let ran = matches!(
                c.status,
                Status::Done | Status::Failed | Status::Interrupted
            );
            let _ = writeln!(
                text,
                "{:<width$}  {:<11}  {:>8}  {:>7}  {:>8}",
                c.input,
                c.status.word(),
                dash(ran.then(|| format!("{:.2}", c.elapsed_s))),
                dash(c.output_frames.map(|n| n.to_string())),
                dash(c.output_frames_per_s.map(|f| format!("{f:.1}"))),
            );
        }
        let _ = write!(
            text,
            "{} clips: {} done, {} skipped, {} failed",
            self.clips.len(),
            self.done,
            self.skipped,
            self.failed
        );
        if self.busy > 0 {
            let _ = write!(text, ", {} busy in another process", self.busy);
        }
        if self.interrupted {
            text.push_str(", interrupted");
        }
        let _ = write!(text, " in {:.1} s", self.elapsed_s);
        text
    }

    /// Writes the JSON report atomically.
    pub fn write(&self, path: &Path) -> Result<(), BatchError> {
        write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(input: &str, status: Status) -> ClipResult {
        ClipResult {
            input: input.into(),
            output: input.into(),
            status,
            elapsed_s: 1.5,
            output_frames: (status == Status::Done).then_some(20),
            output_frames_per_s: (status == Status::Done).then_some(13.3),
            error: (status == Status::Failed).then(|| "bad".into()),
        }
    }

    #[test]
    fn counts_and_table() {
        let mut s = Summary::new(Path::new("in"), Path::new("out"), None);
        s.push(row("a.mp4", Status::Done));
        s.push(row("long-name.mp4", Status::Skipped));
        s.push(row("c.mp4", Status::Failed));
        assert_eq!(
            (s.done, s.skipped, s.failed, s.interrupted),
            (1, 1, 1, false)
        );
        let table = s.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[1].starts_with("a.mp4          done") && lines[1].ends_with("13.3"));
        assert!(lines[2].contains("skipped") && lines[2].contains(" - "));
        assert!(lines[4].starts_with("3 clips: 1 done, 1 skipped, 1 failed"));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["clips"][2]["status"], "failed");
        assert_eq!(json["clips"][2]["error"], "bad");
    }
}
