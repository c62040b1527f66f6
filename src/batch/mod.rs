//! Many videos, one after another: discovery of the clips of a folder, completion records that
//! make re-runs skip finished clips, stable sharding between machines, the per-clip worker and the
//! summary.
//!
//! A clip counts as done only when its output and its completion record agree (see [`record`]).
//! The record is written after the output is in place and removed before a clip is redone, so a
//! process killed at any moment leaves nothing that a re-run mistakes for done.

mod discover;
pub mod record;
mod shard;
mod summary;
mod watch;
mod worker;

use std::path::PathBuf;

pub use discover::{discover, Clip};
pub use record::{FileId, Record, Settings};
pub use shard::{Shard, ShardError};
pub use summary::{ClipResult, Status, Summary};
pub use watch::Settler;
pub use worker::{is_done, process, Outcome};

/// Why a batch (or one clip of it) could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("the output folder {} is the input folder; choose another", .0.display())]
    SameFolder(PathBuf),
    #[error("`{0}` is not an output container (mp4, m4v, mov or mkv)")]
    BadContainer(String),
    #[error("its output {output} is also the output of {first}")]
    Collision { output: String, first: String },
    #[error(transparent)]
    Pipeline(#[from] crate::pipeline::PipelineError),
    #[error("cannot write the completion record {}: {source}", path.display())]
    Record {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl BatchError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BatchError::Io { path, what, source }
    }
}

/// The hidden folder of `OUT_DIR` that holds the completion records and the per-clip locks.
pub const STATE_DIR: &str = ".smoothscale";
