//! The on-disk cache of PTX that NVRTC compiled from the embedded kernel source, one file per
//! GPU architecture and source: `<dir>/<compute_XY>-<hash>.ptx`, where the hash covers the source
//! and the NVRTC options. Each file starts with a header line holding the SHA-256 of the PTX
//! after it; an entry whose header or hash does not match is rebuilt, never loaded. The folder is
//! `$SMOOTHSCALE_KERNEL_CACHE`, else `~/.cache/smoothscale/kernels`.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::DeviceError;

/// The variable that overrides the cache folder.
pub const CACHE_ENV: &str = "SMOOTHSCALE_KERNEL_CACHE";

const MAGIC: &str = "// smoothscale-kernel-cache/1 sha256=";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache folder from the override variable's value and `HOME` (`None` without either).
pub fn cache_dir_from(overridden: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match overridden.filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => home
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(&h).join(".cache/smoothscale/kernels")),
    }
}

/// The cache folder of this process's environment.
pub fn cache_dir() -> Option<PathBuf> {
    cache_dir_from(std::env::var_os(CACHE_ENV), std::env::var_os("HOME"))
}

/// What one cache entry was compiled from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// `compute_XY`.
    pub arch: String,
    /// SHA-256 (hex) of the source and the options.
    pub hash: String,
}

impl CacheKey {
    pub fn new(arch: &str, source: &str, options: &[String]) -> Self {
        let mut h = Sha256::new();
        h.update(source.as_bytes());
        for option in options {
            h.update([0u8]);
            h.update(option.as_bytes());
        }
        CacheKey {
            arch: arch.to_string(),
            hash: hex(&h.finalize()),
        }
    }

    /// The entry's file name: the architecture and 16 hex digits of the hash.
    pub fn file_name(&self) -> String {
        format!("{}-{}.ptx", self.arch, &self.hash[..16])
    }
}

/// The file text of an entry holding `ptx`.
pub fn encode_entry(ptx: &str) -> String {
    format!("{MAGIC}{}\n{ptx}", hex(&Sha256::digest(ptx.as_bytes())))
}

/// The PTX of an entry, or `None` when the header is missing or the hash does not match.
pub fn decode_entry(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (header, ptx) = text.split_once('\n')?;
    let hash = header.strip_prefix(MAGIC)?;
    (hash == hex(&Sha256::digest(ptx.as_bytes())) && !ptx.contains('\0')).then(|| ptx.to_string())
}

/// How an entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A valid entry was read.
    Hit,
    /// There was none; it was built (and written when the folder is writable).
    Miss,
    /// There was one that failed its check; it was built again and replaced.
    Rebuilt,
}

/// Reads the entry of `key` in `dir`, or builds it with `build` and writes it. A cache that cannot
/// be written is a warning, not an error: the built PTX is returned anyway.
pub fn load_or_build(
    dir: &Path,
    key: &CacheKey,
    build: impl FnOnce() -> Result<String, DeviceError>,
) -> Result<(String, CacheOutcome), DeviceError> {
    let path = dir.join(key.file_name());
    let outcome = match std::fs::read(&path) {
        Ok(bytes) => match decode_entry(&bytes) {
            Some(ptx) => return Ok((ptx, CacheOutcome::Hit)),
            None => {
                log::warn!(
                    "kernel cache {}: corrupt entry, rebuilding it",
                    path.display()
                );
                CacheOutcome::Rebuilt
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => CacheOutcome::Miss,
        Err(e) => {
            log::warn!("kernel cache {}: {e}; rebuilding it", path.display());
            CacheOutcome::Rebuilt
        }
    };
    let ptx = build()?;
    if let Err(e) = store(dir, &path, &ptx) {
        log::warn!("{e}");
    }
    Ok((ptx, outcome))
}

/// Removes the entry of `key` (one that the driver refused to load).
pub fn forget(dir: &Path, key: &CacheKey) {
    let _ = std::fs::remove_file(dir.join(key.file_name()));
}

/// Writes an entry atomically: a temporary file in `dir`, renamed over `path`.
fn store(dir: &Path, path: &Path, ptx: &str) -> Result<(), DeviceError> {
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| DeviceError::Cache { path: p, source }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err(dir))?;
    tmp.write_all(encode_entry(ptx).as_bytes())
        .map_err(err(tmp.path()))?;
    tmp.persist(path).map_err(|e| err(path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_from_the_environment() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(
            cache_dir_from(os("/c"), os("/home/u")),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            cache_dir_from(os(""), os("/home/u")),
            Some(PathBuf::from("/home/u/.cache/smoothscale/kernels"))
        );
        assert_eq!(cache_dir_from(None, None), None);
    }

    #[test]
    fn keys_differ_by_arch_source_and_options() {
        let opts = vec!["--fmad=false".to_string()];
        let k = CacheKey::new("compute_90", "src", &opts);
        assert!(k.file_name().starts_with("compute_90-"));
        assert_eq!(k.file_name().len(), "compute_90-".len() + 16 + 4);
        assert_eq!(k, CacheKey::new("compute_90", "src", &opts));
        assert_ne!(k.hash, CacheKey::new("compute_90", "src2", &opts).hash);
        assert_ne!(k.hash, CacheKey::new("compute_90", "src", &[]).hash);
        assert_ne!(k, CacheKey::new("compute_87", "src", &opts));
    }

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let entry = encode_entry(".version 8.0\n.target sm_90\n");
        assert_eq!(
            decode_entry(entry.as_bytes()).as_deref(),
            Some(".version 8.0\n.target sm_90\n")
        );
        let mut flipped = entry.clone().into_bytes();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(decode_entry(&flipped), None);
        assert_eq!(decode_entry(&entry.as_bytes()[..entry.len() - 1]), None);
        assert_eq!(decode_entry(b".version 8.0\n"), None);
        assert_eq!(decode_entry(&[0xff, 0xfe]), None);
    }

    #[test]
    fn miss_hit_and_rebuild_of_a_corrupt_entry() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("kernels");
        let key = CacheKey::new("compute_90", "source", &[]);
        let built = || Ok::<_, DeviceError>("ptx one".to_string());
        assert_eq!(
            load_or_build(&dir, &key, built).unwrap(),
            ("ptx one".to_string(), CacheOutcome::Miss)
        );
        let never = || -> Result<String, DeviceError> { panic!("a valid entry must be read") };
        assert_eq!(
            load_or_build(&dir, &key, never).unwrap(),
            ("ptx one".to_string(), CacheOutcome::Hit)
        );
        std::fs::write(dir.join(key.file_name()), "tampered").unwrap();
        let again = || Ok::<_, DeviceError>("ptx two".to_string());
        assert_eq!(
            load_or_build(&dir, &key, again).unwrap().1,
            CacheOutcome::Rebuilt
        );
        let on_disk = std::fs::read(dir.join(key.file_name())).unwrap();
        assert_eq!(decode_entry(&on_disk).as_deref(), Some("ptx two"));
        forget(&dir, &key);
        assert!(!dir.join(key.file_name()).exists());
    }

    #[test]
    fn an_unwritable_cache_still_returns_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, "x").unwrap();
        let key = CacheKey::new("compute_90", "source", &[]);
        let (ptx, outcome) = load_or_build(&file, &key, || Ok("ptx".to_string())).unwrap();
        assert_eq!(ptx, "ptx");
        assert_ne!(outcome, CacheOutcome::Hit);
    }
}
