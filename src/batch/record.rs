//! Completion records: `OUT_DIR/.smoothscale/<output name>.json`, written (temporary file,
//! fsync, rename) only after the output is in place. A clip is done when the record exists, its
//! input, settings, tool version and model files are those of this run, and the output on disk
//! still has the size and modification time the record noted.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::BatchError;
use crate::pipeline::{Job, TileSize};
use crate::timeline::RateMode;

/// A file as identified by its path, size and modification time (nanoseconds since 1970).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    pub path: String,
    pub size: u64,
    pub mtime_ns: u64,
}

impl FileId {
    /// Reads the size and modification time of `path`; `shown` is what the record keeps as path.
    pub fn of(path: &Path, shown: impl Into<String>) -> Result<Self, BatchError> {
        let meta = fs::metadata(path).map_err(BatchError::io(path, "read the metadata of"))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(FileId {
            path: shown.into(),
            size: meta.len(),
            mtime_ns,
        })
    }

    /// The model files of `job`, by canonical path (an ncnn `.param` brings its `.bin`).
    pub fn models(job: &Job) -> Result<Vec<Self>, BatchError> {
        let mut paths: Vec<PathBuf> = Vec::new();
        paths.extend(job.models.rife.clone());
        if let Some((_, path)) = &job.models.upscale {
            paths.push(path.clone());
            if path.extension().is_some_and(|e| e == "param") {
                paths.push(path.with_extension("bin"));
            }
        }
        paths
            .iter()
            .map(|p| {
                let full = fs::canonicalize(p).map_err(BatchError::io(p, "find the model"))?;
                FileId::of(&full, full.display().to_string())
            })
            .collect()
    }
}

/// The options that shape an output (threads, for one, do not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub backend: String,
    pub rate: String,
    pub start: Option<String>,
    pub duration: Option<String>,
    pub codec: Option<String>,
    pub crf: u8,
    pub preset: String,
    /// NVENC's constant quality (CUDA backend only; absent in older records).
    #[serde(default)]
    pub cq: Option<u8>,
    /// The fp8 calibration of the upscaler's engine, by fingerprint (CUDA backend only; absent
    /// in older records and without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp8_calibration: Option<String>,
    pub scene_threshold: Option<String>,
    pub upscale: Option<usize>,
    /// `--tile`: the size, 0 for whole frames or `auto`.
    pub tile: usize,
    /// `--tile auto` (absent in older records, whose tile sizes were fixed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tile_auto: bool,
    pub tile_pad: usize,
    /// The batch of tiles per call: decided from memory since `--tile auto` (0); older records
    /// hold the fixed batch they ran with.
    pub tile_batch: usize,
    /// `--size` and `--fit`, e.g. `3840x2160 crop` (absent without, and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

impl Settings {
    pub fn of(job: &Job, backend: &str) -> Self {
        let m = &job.models;
        Settings {
            backend: backend.to_string(),
            rate: match job.rate {
                RateMode::Keep => "keep".to_string(),
                RateMode::Multiply(n) => format!("{n}x"),
                RateMode::Fps(fps) => format!("{fps} fps"),
            },
            start: job.window.start.map(|t| t.to_string()),
            duration: job.window.duration.map(|t| t.to_string()),
            codec: job.codec.map(|c| format!("{c:?}").to_lowercase()),
            crf: job.crf,
            preset: job.preset.clone(),
            cq: job.gpu.as_ref().map(|g| g.cq),
            fp8_calibration: job
                .gpu
                .as_ref()
                .and_then(|g| g.upscale_engine.calibration_fingerprint()),
            scene_threshold: m.cut_threshold.map(|t| t.to_string()),
            upscale: m.upscale.as_ref().map(|(factor, _)| *factor),
            tile: match m.tiles.size {
                TileSize::Pixels(n) => n,
                TileSize::Auto | TileSize::Whole => 0,
            },
            tile_auto: m.tiles.size == TileSize::Auto,
            tile_pad: m.tiles.pad,
            tile_batch: 0,
            size: job
                .size
                .map(|s| format!("{}x{} {}", s.width, s.height, s.fit.name())),
        }
    }
}

/// What a clip's record says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub tool_version: String,
    /// The input, by file name.
    pub input: FileId,
    pub settings: Settings,
    pub models: Vec<FileId>,
    /// The output as committed, by file name.
    pub output: FileId,
    pub output_frames: u64,
    pub elapsed_s: f64,
}

/// The record's path for an output file name.
pub fn path(out_dir: &Path, output_name: &str) -> PathBuf {
    out_dir
        .join(super::STATE_DIR)
        .join(format!("{output_name}.json"))
}

impl Record {
    /// Reads a record; `None` when it is absent or unreadable (either way the clip is redone).
    pub fn read(path: &Path) -> Option<Self> {
        let text = fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Whether this record describes `expected`'s input, settings, tool and models.
    pub fn same_work(&self, expected: &Record) -> bool {
        self.tool_version == expected.tool_version
            && self.input == expected.input
            && self.settings == expected.settings
            && self.models == expected.models
    }

    /// Writes the record atomically (see [`write_json`]).
    pub fn write(&self, path: &Path) -> Result<(), BatchError> {
        write_json(path, self)
    }
}

/// Writes `value` as JSON atomically: a temporary file, flushed to disk, renamed over `path`,
/// and the folder flushed.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), BatchError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| BatchError::Record {
        path: path.to_path_buf(),
        source,
    })?;
    let temp = temp_path(path);
    let mut file = File::create(&temp).map_err(BatchError::io(&temp, "create"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(BatchError::io(&temp, "write"))?;
    fs::rename(&temp, path).map_err(BatchError::io(path, "move into place"))?;
    sync_dir(path);
    Ok(())
}

/// The temporary name a record is written under before the rename.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Flushes the folder holding `path`, so a rename in it survives a power loss (best effort).
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
            log::debug!("cannot flush {}: {e}", dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> Record {
        let input = dir.join("in.mp4");
        fs::write(&input, b"video").unwrap();
        Record {
            tool_version: "0.1.0".into(),
            input: FileId::of(&input, "in.mp4").unwrap(),
            settings: Settings {
                backend: "cpu".into(),
                rate: "keep".into(),
                start: None,
                duration: None,
                codec: None,
                crf: 18,
                preset: "medium".into(),
                cq: None,
                fp8_calibration: None,
                scene_threshold: Some("0.12".into()),
                upscale: None,
                tile: 0,
                tile_auto: false,
                tile_pad: 32,
                tile_batch: 4,
                size: None,
            },
            models: vec![],
            output: FileId::of(&input, "out.mp4").unwrap(),
            output_frames: 10,
            elapsed_s: 0.5,
        }
    }

    #[test]
    fn round_trip_and_comparison() {
        let dir = tempfile::tempdir().unwrap();
        let record = sample(dir.path());
        let path = dir.path().join("r.json");
        record.write(&path).unwrap();
        assert!(!temp_path(&path).exists());
        let back = Record::read(&path).unwrap();
        assert_eq!(back, record);
        let mut other = record.clone();
        other.output_frames = 99;
        assert!(
            back.same_work(&other),
            "output facts are not part of the work"
        );
        other.settings.crf = 30;
        assert!(!back.same_work(&other));
        let mut nvenc = record.clone();
        nvenc.settings.cq = Some(23);
        assert!(
            !back.same_work(&nvenc),
            "the NVENC quality shapes the output"
        );
        let mut moved = record.clone();
        moved.input.mtime_ns += 1;
        assert!(!back.same_work(&moved));
        fs::write(&path, b"{\"tool_version\": \"0.1.0\"").unwrap();
        assert!(Record::read(&path).is_none(), "a torn record is no record");
    }

    #[test]
    fn models_and_settings_are_identified() {
        let dir = tempfile::tempdir().unwrap();
        let rife = dir.path().join("flownet.pkl");
        let param = dir.path().join("x4.param");
        for (path, text) in [
            (&rife, "r"),
            (&param, "p"),
            (&param.with_extension("bin"), "b"),
        ] {
            fs::write(path, text).unwrap();
        }
        let mut job = Job {
            input: PathBuf::new(),
            output: PathBuf::new(),
            rate: RateMode::Multiply(2),
            window: crate::video::Window::default(),
            codec: None,
            crf: 18,
            preset: "medium".into(),
            overwrite: true,
            models: crate::pipeline::ModelOptions {
                rife: Some(rife.clone()),
                upscale: Some((4, param.clone())),
                ..Default::default()
            },
            size: None,
            limits: crate::pipeline::Limits::default(),
            gpu: None,
        };
        let models = FileId::models(&job).unwrap();
        let names: Vec<_> = models
            .iter()
            .map(|m| m.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["flownet.pkl", "x4.param", "x4.bin"]);
        fs::write(param.with_extension("bin"), "bb").unwrap();
        assert_ne!(
            FileId::models(&job).unwrap(),
            models,
            "a changed .bin is a changed model"
        );
        let settings = Settings::of(&job, "cpu");
        assert_eq!((settings.rate.as_str(), settings.upscale), ("2x", Some(4)));
        job.models.threads = 7;
        assert_eq!(
            Settings::of(&job, "cpu"),
            settings,
            "threads do not shape the output"
        );
        job.preset = "slow".into();
        assert_ne!(Settings::of(&job, "cpu"), settings);
        fs::remove_file(&rife).unwrap();
        assert!(FileId::models(&job).is_err(), "a missing model is an error");
    }
}
