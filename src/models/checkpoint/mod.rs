//! Safe, self-contained checkpoint readers: `torch.save` zip archives (restricted pickle, no
//! code execution) and ncnn `.param`/`.bin` pairs, plus architecture detection from tensors.
//!
//! ```no_run
//! use smoothscale::models::checkpoint::{load, Architecture};
//! let model = load(std::path::Path::new("flownet.pkl"))?;
//! assert_eq!(model.architecture, Architecture::Rife425);
//! # Ok::<(), smoothscale::models::checkpoint::CheckpointError>(())
//! ```

mod arch;
mod dtype;
mod error;
mod keys;
mod ncnn;
mod ncnn_map;
mod pickle;
mod rebuild;
mod torch;
mod value;
mod zip;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use arch::{detect, prune, Architecture};
pub use error::{
    ArchError, CheckpointError, ErrorKind, NcnnError, PickleError, TorchError, ZipError,
};
/// The zip CRC-32, for writers of archives this reader reads (`bench::synthetic`).
pub use zip::crc32;

use crate::models::weights::StateDict;

/// Bounds on what a checkpoint may declare, checked before anything is allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of f32 tensor data a checkpoint may produce in total (default 4 GiB).
    pub max_total_bytes: u64,
    /// Most entries a zip archive may have (default 100 000).
    pub max_zip_entries: u64,
    /// Largest `data.pkl` accepted (default 256 MiB).
    pub max_pickle_bytes: u64,
    /// Largest ncnn `.param` accepted (default 16 MiB).
    pub max_param_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_total_bytes: 4 << 30,
            max_zip_entries: 100_000,
            max_pickle_bytes: 256 << 20,
            max_param_bytes: 16 << 20,
        }
    }
}

/// The container a model was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// A `torch.save` zip archive (`.pth`, `.pkl`).
    TorchZip,
    /// An ncnn `.param` with its `.bin`.
    Ncnn,
}

/// A checkpoint read into memory: the network it holds and its tensors by PyTorch key.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    /// The detected network.
    pub architecture: Architecture,
    /// The tensors, keys as in the PyTorch module (`module.` stripped, training-only keys gone).
    pub state_dict: StateDict,
    /// Where they came from.
    pub format: SourceFormat,
}

/// Reads a checkpoint with the default [`Limits`]; see [`load_with`].
pub fn load(path: &Path) -> Result<LoadedModel, CheckpointError> {
    load_with(path, &Limits::default())
}

/// Reads a checkpoint, deciding the format by content: a zip archive is read as `torch.save`
/// output, a text starting with `7767517` as an ncnn `.param` whose weights are in the `.bin`
/// beside it. The network is detected from the tensors and checked key by key.
pub fn load_with(path: &Path, limits: &Limits) -> Result<LoadedModel, CheckpointError> {
    let (mut state_dict, format) = read_state_dict(path, limits)?;
    let architecture = detect(&state_dict).map_err(|e| CheckpointError::new(path, e))?;
    prune(architecture, &mut state_dict);
    Ok(LoadedModel {
        architecture,
        state_dict,
        format,
    })
}

/// Reads the tensors of a checkpoint (format decided by content, as in [`load_with`]) without
/// detecting or checking the network.
pub fn read_state_dict(
    path: &Path,
    limits: &Limits,
) -> Result<(StateDict, SourceFormat), CheckpointError> {
    let err = |k: ErrorKind| CheckpointError::new(path, k);
    let mut file = File::open(path).map_err(|e| err(e.into()))?;
    let mut head = Vec::with_capacity(8);
    (&mut file)
        .take(8)
        .read_to_end(&mut head)
        .map_err(|e| err(e.into()))?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let map = map_file(&file).map_err(|e| err(e.into()))?;
        let bytes = map.as_deref().unwrap_or_default();
        let sd = torch::read(bytes, limits).map_err(err)?;
        Ok((sd, SourceFormat::TorchZip))
    } else if head.starts_with(ncnn::MAGIC.as_bytes()) {
        Ok((read_ncnn(path, file, limits)?, SourceFormat::Ncnn))
    } else if head.starts_with(&[0x80]) {
        Err(err(ErrorKind::UnknownFormat(
            "a bare pickle (legacy torch.save format); re-save it with torch >= 1.6".into(),
        )))
    } else {
        Err(err(ErrorKind::UnknownFormat(format!(
            "starts with {head:02x?}, neither a zip archive nor an ncnn .param"
        ))))
    }
}

/// Reads the tensors of a `torch.save` zip archive held in memory: what [`read_state_dict`] does
/// for a file that starts with a zip signature, without the path in the error.
pub fn read_torch_bytes(bytes: &[u8], limits: &Limits) -> Result<StateDict, ErrorKind> {
    torch::read(bytes, limits)
}

/// Reads an ncnn `.param` text and its `.bin` held in memory: what [`read_state_dict`] does for a
/// `.param` file and the `.bin` beside it (the `.param` size limit included), without the paths
/// in the error.
pub fn read_ncnn_bytes(param: &[u8], bin: &[u8], limits: &Limits) -> Result<StateDict, ErrorKind> {
    if param.len() as u64 > limits.max_param_bytes {
        return Err(ErrorKind::TooLarge {
            what: "ncnn .param".into(),
            size: param.len() as u64,
            limit: limits.max_param_bytes,
        });
    }
    let text = std::str::from_utf8(param).map_err(|_| NcnnError::Param {
        line: 0,
        message: "not UTF-8 text".into(),
    })?;
    let layers = ncnn::parse_param(text)?;
    let weights = ncnn::read_bin(&layers, bin, limits)?;
    Ok(ncnn_map::to_state_dict(weights)?)
}

fn read_ncnn(path: &Path, file: File, limits: &Limits) -> Result<StateDict, CheckpointError> {
    let err = |k: ErrorKind| CheckpointError::new(path, k);
    let len = file.metadata().map_err(|e| err(e.into()))?.len();
    if len > limits.max_param_bytes {
        return Err(err(ErrorKind::TooLarge {
            what: "ncnn .param".into(),
            size: len,
            limit: limits.max_param_bytes,
        }));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.into()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        err(NcnnError::Param {
            line: 0,
            message: "not UTF-8 text".into(),
        }
        .into())
    })?;
    let layers = ncnn::parse_param(text).map_err(|e| err(e.into()))?;
    let bin_path = path.with_extension("bin");
    let bin_err = |k: ErrorKind| CheckpointError::new(&bin_path, k);
    let bin_file = File::open(&bin_path).map_err(|e| bin_err(e.into()))?;
    let map = map_file(&bin_file).map_err(|e| bin_err(e.into()))?;
    let weights =
        ncnn::read_bin(&layers, map.as_deref().unwrap_or_default(), limits).map_err(bin_err)?;
    ncnn_map::to_state_dict(weights).map_err(|e| err(e.into()))
}

/// Maps a file read-only; `None` for an empty file (which cannot be mapped).
fn map_file(file: &File) -> std::io::Result<Option<memmap2::Mmap>> {
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read-only and lives only for this load. Checkpoints are inputs that
    // are not modified while being read; every access goes through bounds-checked slices of the
    // length fixed at map time. (A concurrent truncation by another process could still fault,
    // the inherent limit of file maps.)
    let map = unsafe { memmap2::Mmap::map(file)? };
    Ok(Some(map))
}
