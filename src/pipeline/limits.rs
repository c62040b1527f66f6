//! Resource bounds. A job whose declared sizes would need more memory than allowed is refused
//! before anything that size is allocated: the decoder refuses frames over a pixel count, and the
//! pipeline adds up what its frames and model calls will hold and compares it with a memory limit.
//!
//! Both limits are configurable (`--max-pixels`, `--max-memory`, or the environment variables
//! `SMOOTHSCALE_MAX_PIXELS` and `SMOOTHSCALE_MAX_MEMORY`).

use crate::models::checkpoint::Architecture;

pub use crate::video::DEFAULT_MAX_PIXELS;

/// Used when the machine's memory cannot be read.
const FALLBACK_MEMORY: u64 = 16 << 30;

/// How much a job may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded frame, in pixels.
    pub max_frame_pixels: u64,
    /// Largest estimated working set of frames and model tensors, in bytes.
    pub max_memory: u64,
}

impl Default for Limits {
    /// [`DEFAULT_MAX_PIXELS`], and 80% of the machine's memory.
    fn default() -> Self {
        Limits {
            max_frame_pixels: DEFAULT_MAX_PIXELS,
            max_memory: total_memory().unwrap_or(FALLBACK_MEMORY) / 5 * 4,
        }
    }
}

/// A bad limit value.
#[derive(Debug, thiserror::Error)]
#[error("{name}: `{value}` is not a size (use a number with an optional K, M, G or T suffix)")]
pub struct BadLimit {
    pub name: &'static str,
    pub value: String,
}

impl Limits {
    /// The defaults, overridden by `SMOOTHSCALE_MAX_PIXELS` and `SMOOTHSCALE_MAX_MEMORY`.
    pub fn from_env() -> Result<Self, BadLimit> {
        let mut limits = Limits::default();
        for (name, field) in [
            ("SMOOTHSCALE_MAX_PIXELS", &mut limits.max_frame_pixels),
            ("SMOOTHSCALE_MAX_MEMORY", &mut limits.max_memory),
        ] {
            if let Some(value) = std::env::var_os(name).filter(|v| !v.is_empty()) {
                let value = value.to_string_lossy().into_owned();
                *field = parse_size(&value).ok_or(BadLimit { name, value })?;
            }
        }
        Ok(limits)
    }
}

/// `1500`, `64M`, `8G`, `1.5T` (binary multiples; `M` in a pixel count is a million pixels
/// times 1024², which is close enough for a limit).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, shift) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 10),
        (i, 'm' | 'M') => (&text[..i], 20),
        (i, 'g' | 'G') => (&text[..i], 30),
        (i, 't' | 'T') => (&text[..i], 40),
        _ => (text, 0),
    };
    let value: f64 = number.trim().parse().ok()?;
    let bytes = value * (1u64 << shift) as f64;
    (value.is_finite() && value > 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes one f32 RGB frame of `pixels` pixels takes.
pub fn frame_bytes(pixels: u64) -> u64 {
    pixels * 3 * 4
}

/// Peak working memory of one model call, per input pixel of that call, in bytes: the f32
/// feature maps ONNX Runtime holds at once, at the resolution each runs at. Fitted to peak
/// resident memory measured on this machine's ONNX Runtime 1.31 (`docs/performance.md`, memory
/// table; `tests/memory.rs` keeps it at or above what runs measure) with a margin; an estimate
/// for a limit check, not an accounting.
pub fn model_bytes_per_pixel(arch: &Architecture) -> u64 {
    let per_pixel_floats = match *arch {
        // Full-resolution images, features, flows and masks, plus the blocks' feature maps at
        // half the resolution of their (downscaled) inputs.
        Architecture::Rife425 => 192,
        Architecture::RrdbNet { scale, nf, gc, .. } => {
            // The trunk runs on the pixel-unshuffled input (1/4 of the pixels for x2, 1/16 for
            // x1) with the dense block's concatenation up to nf + 4·gc channels; the upsampler
            // ends at 16 times the trunk's pixels, where about six nf-channel maps are held at
            // once (measured: 24 KiB per input pixel for nf 64 at x4).
            let trunk_share = match scale {
                1 => 1.0 / 16.0,
                2 => 1.0 / 4.0,
                _ => 1.0,
            };
            let trunk = (3 * (nf + 4 * gc)) as f64 * trunk_share;
            let upsampled = (6 * nf) as f64 * 16.0 * trunk_share;
            trunk.max(upsampled) as u64
        }
        // Four nf-channel maps and the 3·s² channels before the pixel shuffle, all at the input
        // resolution, then the output and its bilinear base at s² times the pixels (measured:
        // about 1.3 KiB per input pixel for nf 64 at x4).
        Architecture::SrVgg { scale, nf, .. } => {
            let s2 = u64::from(scale * scale);
            4 * nf as u64 + 3 * s2 * 3
        }
    };
    // A quarter more for the runtime's allocator (its arena grows in chunks).
    per_pixel_floats * 4 * 5 / 4
}

/// The process without frames or model calls: the program and its libraries (FFmpeg, ONNX
/// Runtime) resident, plus the models' weights held `WEIGHT_COPIES` times (our state dict, the
/// session's initializers and their prepacked form).
pub const RUNTIME_BASE: u64 = 192 << 20;
const WEIGHT_COPIES: u64 = 3;

/// Bytes the runtime holds with models of `weights` bytes loaded.
pub fn runtime_bytes(weights: u64) -> u64 {
    RUNTIME_BASE + WEIGHT_COPIES * weights
}

/// Frames the software encoder holds at once: its lookahead (40 frames for libx264's `medium`,
/// more for the slow presets), B-frames and frame threads.
const ENCODER_FRAMES: u64 = 64;

/// Bytes the encoder holds for output frames of `pixels` pixels (YUV at up to 16 bits, 4:4:4 at
/// most: 6 bytes a pixel).
pub fn encoder_bytes(pixels: u64) -> u64 {
    ENCODER_FRAMES * pixels * 6
}

/// What a job will hold at once, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The program, its libraries and the models' weights.
    pub runtime: u64,
    /// Decoded, blended and upscaled frames, and the encoder's.
    pub frames: u64,
    /// The largest model call's working set.
    pub model: u64,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.runtime + self.frames + self.model
    }
}

/// Formats bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1500"), Some(1500));
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("8g"), Some(8 << 30));
        assert_eq!(parse_size("1.5K"), Some(1536));
        for bad in ["", "G", "-1G", "0", "abc", "1e400", "20000000T"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn defaults_are_positive() {
        let d = Limits::default();
        assert_eq!(d.max_frame_pixels, DEFAULT_MAX_PIXELS);
        assert!(d.max_memory > 0);
    }

    #[test]
    fn whole_frame_x4plus_on_1080p_needs_far_more_than_tiles() {
        let x4plus = Architecture::RrdbNet {
            scale: 4,
            nf: 64,
            nb: 23,
            gc: 32,
        };
        let per = model_bytes_per_pixel(&x4plus);
        let whole = per * 1920 * 1080;
        let tiles = per * 4 * (256 + 64) * (256 + 64);
        // 64 channels at the 4K output alone are 8 GiB per map.
        assert!(whole > 16 << 30, "{}", gib(whole));
        assert!(tiles * 4 < whole, "{} against {}", gib(tiles), gib(whole));
        // The x2 model runs its trunk on a quarter of the pixels.
        let x2 = Architecture::RrdbNet {
            scale: 2,
            nf: 64,
            nb: 23,
            gc: 32,
        };
        assert!(model_bytes_per_pixel(&x2) * 4 <= per * 2);
    }
}
