//! Engine build profiles (`engines/*.profile`): small `key = value` files, one setting a line,
//! `#` starting a comment, that `engine-build --profile` reads instead of (or under) its flags.
//!
//! ```text
//! description = RIFE v4.25 on 1080p frames (padded to 1920x1088), fp16
//! model = rife-v4.25/flownet.pkl      # relative to the models folder
//! height = 1088
//! width = 1920
//! precision = fp16
//! ```
//!
//! Keys: `description`, `model`, `height` + `width` (whole frames) or `tile` + `tile_pad` +
//! `batch` (tiles), `precision` (fp32, fp16, bf16, fp8), `workspace_mib`, `opt_level`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::cache::EnginePrecision;
use super::spec::{BuildOptions, EngineShape};

/// Profiles larger than this are refused unread (a real one is a few hundred bytes).
pub const MAX_PROFILE_BYTES: u64 = 16 * 1024;

/// What a profile file says; every field is optional and flags override it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildProfile {
    /// One line saying what the profile is for.
    pub description: Option<String>,
    /// The model file, relative to the models folder unless absolute.
    pub model: Option<PathBuf>,
    /// Whole frames or tiles.
    pub shape: Option<EngineShape>,
    /// Kernel precision.
    pub precision: Option<EnginePrecision>,
    /// Builder workspace, MiB.
    pub workspace_mib: Option<u64>,
    /// Builder optimization level.
    pub opt_level: Option<u8>,
}

/// Why a profile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read the profile {path}: {source}")]
    Io {
        /// The profile path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a profile.
    #[error("{path}{}: {reason}", at_line(*.line))]
    Invalid {
        /// The profile path.
        path: String,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// `:LINE`, or nothing for the file as a whole (line 0).
fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

impl FromStr for EnginePrecision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fp32" => Ok(EnginePrecision::Fp32),
            "fp16" => Ok(EnginePrecision::Fp16),
            "bf16" => Ok(EnginePrecision::Bf16),
            "fp8" => Ok(EnginePrecision::Fp8),
            other => Err(format!(
                "unknown precision {other:?} (fp32, fp16, bf16 or fp8)"
            )),
        }
    }
}

impl BuildProfile {
    /// Reads a profile file.
    pub fn read(path: &Path) -> Result<Self, ProfileError> {
        use std::io::Read as _;
        let p = path.display().to_string();
        let io = |source| ProfileError::Io {
            path: p.clone(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_PROFILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let invalid = |line, reason: String| ProfileError::Invalid {
            path: p.clone(),
            line,
            reason,
        };
        if bytes.len() as u64 > MAX_PROFILE_BYTES {
            return Err(invalid(0, format!("larger than {MAX_PROFILE_BYTES} bytes")));
        }
        let text = String::from_utf8(bytes).map_err(|_| invalid(0, "not UTF-8 text".into()))?;
        Self::parse(&text).map_err(|(line, reason)| invalid(line, reason))
    }

    /// Parses a profile's text; errors are `(line, reason)`.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut fields: Vec<(&str, &str, usize)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err((i + 1, format!("expected `key = value`, found {line:?}")));
            };
            let (key, value) = (key.trim(), value.trim());
            if fields.iter().any(|(k, _, _)| *k == key) {
                return Err((i + 1, format!("{key} is set twice")));
            }
            fields.push((key, value, i + 1));
        }
        let mut profile = BuildProfile::default();
        let (mut frame, mut tiles) = ([None, None], [None, None, None]);
        for &(key, value, line) in &fields {
            let err = |reason: String| (line, format!("{key}: {reason}"));
            let int = || -> Result<u64, (usize, String)> {
                value
                    .parse::<u64>()
                    .map_err(|_| err(format!("{value:?} is not a whole number")))
            };
            let size = || int().and_then(|v| usize::try_from(v).map_err(|e| err(e.to_string())));
            match key {
                "description" => profile.description = Some(value.to_string()),
                "model" if value.is_empty() => return Err(err("empty path".into())),
                "model" => profile.model = Some(PathBuf::from(value)),
                "height" => frame[0] = Some(size()?),
                "width" => frame[1] = Some(size()?),
                "tile" => tiles[0] = Some(size()?),
                "tile_pad" => tiles[1] = Some(size()?),
                "batch" => tiles[2] = Some(size()?),
                "precision" => profile.precision = Some(value.parse().map_err(err)?),
                "workspace_mib" => profile.workspace_mib = Some(int()?),
                "opt_level" => {
                    let v = int()?;
                    if v > 5 {
                        return Err(err(format!("{v} is not a level from 0 to 5")));
                    }
                    profile.opt_level = Some(v as u8);
                }
                other => {
                    return Err((
                        line,
                        format!(
                            "unknown key {other:?} (description, model, height, width, tile, \
                             tile_pad, batch, precision, workspace_mib, opt_level)"
                        ),
                    ))
                }
            }
        }
        profile.shape = shape_of(frame, tiles).map_err(|reason| (0, reason))?;
        Ok(profile)
    }

    /// Builder options: `flags` where given, else the profile's, else the defaults.
    pub fn options(
        &self,
        precision: Option<EnginePrecision>,
        workspace_mib: Option<u64>,
        opt_level: Option<u8>,
    ) -> BuildOptions {
        let d = BuildOptions::default();
        BuildOptions {
            precision: precision.or(self.precision).unwrap_or(d.precision),
            workspace_mib: workspace_mib
                .or(self.workspace_mib)
                .unwrap_or(d.workspace_mib),
            opt_level: opt_level.or(self.opt_level).unwrap_or(d.opt_level),
            calibration: None,
        }
    }
}

/// Whole frames (height and width), tiles (tile, tile_pad, batch; pad default 0, batch 1), or
/// nothing; any other combination is an error.
fn shape_of(
    frame: [Option<usize>; 2],
    tiles: [Option<usize>; 3],
) -> Result<Option<EngineShape>, String> {
    let any_tiles = tiles.iter().any(Option::is_some);
    match (frame, any_tiles) {
        ([None, None], false) => Ok(None),
        ([Some(height), Some(width)], false) => Ok(Some(EngineShape::Frame { height, width })),
        ([None, None], true) => match tiles {
            [Some(tile), pad, batch] => Ok(Some(EngineShape::Tiles {
                tile,
                pad: pad.unwrap_or(0),
                batch: batch.unwrap_or(1),
            })),
            _ => Err("tile_pad and batch need tile".into()),
        },
        (_, true) => Err("give height and width (whole frames) or tile (tiles), not both".into()),
        _ => Err("height and width go together".into()),
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
