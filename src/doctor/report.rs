//! What `smoothscale doctor` reports: the [`Report`] and its parts, serialised as the JSON
//! report (`doctor --json`) and read by the text one.

use serde::Serialize;

use super::advice::Platform;

/// The `schema` of the JSON report.
pub const SCHEMA: &str = "smoothscale-doctor/1";

/// Everything `smoothscale doctor` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// This program's version.
    pub tool_version: &'static str,
    /// Jetson or desktop, which decides the package names.
    pub platform: Platform,
    /// The CUDA driver and its GPUs.
    pub cuda: CudaReport,
    /// The NVIDIA libraries the CUDA path opens at run time.
    pub libraries: Libraries,
    /// Whether this build compiled the TensorRT shim.
    pub tensorrt_shim: ShimReport,
    /// The TensorRT engine cache.
    pub engine_cache: EngineCacheReport,
    /// The ONNX Runtime library of the CPU path.
    pub onnx_runtime: Component,
    /// The model files.
    pub models: ModelsReport,
    /// FFmpeg's software encoders.
    pub ffmpeg: FfmpegReport,
    /// What `--backend auto` picks, and why.
    pub backend: BackendReport,
}

/// One library or file: found (with its version) or missing (with why, and what to install).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Whether it is usable.
    pub ok: bool,
    /// The library name looked up (or the file).
    pub library: String,
    /// Its version, when it reports one.
    pub version: Option<String>,
    /// Where it is, when known.
    pub path: Option<String>,
    /// A remark about a found component (e.g. why there is no version).
    pub note: Option<String>,
    /// Why it is missing or unusable.
    pub reason: Option<String>,
    /// What to install.
    pub install: Option<String>,
}

impl Component {
    pub(super) fn found(library: impl Into<String>, version: Option<String>) -> Self {
        Component {
            ok: true,
            library: library.into(),
            version,
            ..Component::default()
        }
    }

    pub(super) fn missing(library: impl Into<String>, reason: String, install: String) -> Self {
        Component {
            ok: false,
            library: library.into(),
            reason: Some(reason),
            install: Some(install),
            ..Component::default()
        }
    }
}

/// The CUDA driver (`libcuda.so.1`) and the GPUs it sees.
#[derive(Clone, Debug, Serialize)]
pub struct CudaReport {
    /// The library looked up.
    pub library: &'static str,
    /// The driver, `null` when it could not be loaded.
    pub driver: Option<DriverReport>,
    /// Why there is no driver.
    pub reason: Option<String>,
    /// What to install when there is no driver, or no GPU.
    pub install: Option<String>,
    /// The GPUs the driver sees.
    pub gpus: Vec<Gpu>,
    /// Why the GPUs could not be listed (`cuInit` failed, ...).
    pub gpu_error: Option<String>,
}

/// A loaded driver.
#[derive(Clone, Debug, Serialize)]
pub struct DriverReport {
    /// The CUDA version the driver supports (`cuDriverGetVersion`), e.g. `13.0`.
    pub cuda_version: Option<String>,
    /// Why the version could not be read.
    pub version_error: Option<String>,
}

/// One GPU.
#[derive(Clone, Debug, Serialize)]
pub struct Gpu {
    /// Device ordinal.
    pub ordinal: i32,
    /// Product name.
    pub name: String,
    /// Compute capability, e.g. `11.0` (Thor).
    pub compute_capability: String,
    /// Total memory in bytes.
    pub memory_bytes: u64,
}

/// The NVIDIA libraries of the CUDA path.
#[derive(Clone, Debug, Serialize)]
pub struct Libraries {
    /// `libnvcuvid.so.1` (NVDEC).
    pub nvcuvid: Component,
    /// `libnvidia-encode.so.1` (NVENC).
    pub nvidia_encode: Component,
    /// `libnvinfer.so.<major>` (TensorRT).
    pub nvinfer: Component,
    /// `libnvonnxparser.so.<major>` (TensorRT's ONNX parser).
    pub nvonnxparser: Component,
    /// `libnvrtc.so.<major>` (the run-time CUDA compiler).
    pub nvrtc: Component,
}

/// The TensorRT shim compiled into this build.
#[derive(Clone, Debug, Serialize)]
pub struct ShimReport {
    /// Whether TensorRT headers were found at build time and the shim compiled.
    pub compiled: bool,
    /// The headers' TensorRT version.
    pub headers_version: Option<String>,
    /// Where the headers were.
    pub headers_dir: Option<String>,
    /// What to install (and rebuild) without the shim.
    pub install: Option<String>,
}

/// The engine cache folder.
#[derive(Clone, Debug, Serialize)]
pub struct EngineCacheReport {
    /// The folder ([`crate::tensorrt::default_cache_dir`]); `null` without HOME.
    pub dir: Option<String>,
    /// Whether it exists yet (the first engine build creates it).
    pub exists: bool,
    /// Built plans (`*.plan`).
    pub plans: usize,
    /// Their total size in bytes.
    pub plan_bytes: u64,
}

/// The models found in the models folders.
#[derive(Clone, Debug, Serialize)]
pub struct ModelsReport {
    /// The folders searched, in order.
    pub dirs: Vec<String>,
    /// RIFE v4.25.
    pub rife: ModelEntry,
    /// The 2x upscaler (an x2 model, else the x4 one resized).
    pub upscale_2x: ModelEntry,
    /// The 4x upscaler.
    pub upscale_4x: ModelEntry,
}

/// One model: which files would do, and the one found.
#[derive(Clone, Debug, Serialize)]
pub struct ModelEntry {
    /// Whether one was found.
    pub ok: bool,
    /// The files looked for, in order of preference, relative to a models folder.
    pub wanted: Vec<&'static str>,
    /// The file found.
    pub path: Option<String>,
    /// What to do when none was found.
    pub install: Option<String>,
}

/// FFmpeg as linked into this build.
#[derive(Clone, Debug, Serialize)]
pub struct FfmpegReport {
    /// libavcodec's version, e.g. `61.19.101`.
    pub libavcodec: String,
    /// `libx264`, then `libx265`.
    pub encoders: Vec<Component>,
}

/// What `--backend auto` picks.
#[derive(Clone, Debug, Serialize)]
pub struct BackendReport {
    /// The backend `--backend auto` runs a job with models on.
    pub auto: &'static str,
    /// Whether `--backend cuda` could run here (every piece present).
    pub cuda_available: bool,
    /// Why not.
    pub cuda_unavailable_because: Vec<String>,
    /// What the CPU backend still lacks to process videos (empty when ready).
    pub cpu_missing: Vec<String>,
}
