//! Gathering the [`Report`]: every probe loads a library or looks at a file, and none of them can
//! fail the whole report: what is missing becomes `ok: false` with the reason and what to install.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::advice::{advice, Piece, Platform};
use crate::cuda::backend::{self, CudaPiece, Requested};
use crate::models::runtime;
use crate::pipeline::{self, RIFE_FILE, UPSCALE_2X_FILES, UPSCALE_4X_FILE};

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
    fn found(library: impl Into<String>, version: Option<String>) -> Self {
        Component {
            ok: true,
            library: library.into(),
            version,
            ..Component::default()
        }
    }

    fn missing(library: impl Into<String>, reason: String, install: String) -> Self {
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
    /// The backend `--backend auto` runs today.
    pub auto: &'static str,
    /// Whether a CUDA backend could run.
    pub cuda_available: bool,
    /// Why not.
    pub cuda_unavailable_because: Vec<String>,
    /// What the CPU backend still lacks to process videos (empty when ready).
    pub cpu_missing: Vec<String>,
}

/// The most specific text of an error: the innermost cause (for a library that did not load, what
/// the dynamic loader said), else the error itself.
fn reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// [`reason`] for TensorRT's errors, which keep the loader's text as a string.
fn trt_reason(error: &smoothscale_tensorrt_sys::TrtError) -> String {
    match error {
        smoothscale_tensorrt_sys::TrtError::LibraryMissing { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Probes everything on this machine.
pub fn gather() -> Report {
    let platform = detect_platform();
    let cuda = probe_cuda(&platform);
    let libraries = probe_libraries(&platform, cuda_major(&cuda));
    let tensorrt_shim = probe_shim(&platform);
    let onnx_runtime = probe_onnx_runtime(&platform);
    let models = probe_models(&platform);
    let ffmpeg = probe_ffmpeg(&platform);
    let backend = decide_backend(&cuda, &libraries, &onnx_runtime, &models, &ffmpeg);
    Report {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        platform,
        cuda,
        libraries,
        tensorrt_shim,
        engine_cache: probe_engine_cache(),
        onnx_runtime,
        models,
        ffmpeg,
        backend,
    }
}

/// Reads `/etc/nv_tegra_release` and the dpkg status file.
pub fn detect_platform() -> Platform {
    let release = std::fs::read_to_string("/etc/nv_tegra_release").ok();
    let status = if release.is_none() {
        std::fs::read_to_string("/var/lib/dpkg/status").ok()
    } else {
        None
    };
    Platform::detect_from(release.as_deref(), status.as_deref())
}

fn probe_cuda(platform: &Platform) -> CudaReport {
    use smoothscale_cuda_sys::{Driver, DRIVER_LIBRARY};
    let mut report = CudaReport {
        library: DRIVER_LIBRARY,
        driver: None,
        reason: None,
        install: None,
        gpus: Vec::new(),
        gpu_error: None,
    };
    let driver = match Driver::load() {
        Ok(driver) => driver,
        Err(e) => {
            report.reason = Some(reason(&e));
            report.install = Some(advice(Piece::CudaDriver, platform, None));
            return report;
        }
    };
    let version = driver.version();
    report.driver = Some(DriverReport {
        cuda_version: version.as_ref().ok().map(ToString::to_string),
        version_error: version.as_ref().err().map(ToString::to_string),
    });
    match driver.devices() {
        Ok(devices) if devices.is_empty() => {
            report.gpu_error = Some("the driver sees no GPU".into());
            report.install = Some(advice(Piece::NoGpu, platform, None));
        }
        Ok(devices) => {
            report.gpus = devices
                .into_iter()
                .map(|d| Gpu {
                    ordinal: d.ordinal,
                    name: d.name,
                    compute_capability: format!("{}.{}", d.compute_major, d.compute_minor),
                    memory_bytes: d.total_memory,
                })
                .collect();
        }
        Err(e) => {
            report.gpu_error = Some(e.to_string());
            report.install = Some(advice(Piece::NoGpu, platform, None));
        }
    }
    report
}

/// The TensorRT majors to look for: the shim's, else every major the shim supports.
fn tensorrt_majors() -> Vec<u32> {
    match smoothscale_tensorrt_sys::TensorRt::header_version() {
        Some(v) => vec![v.major],
        None => vec![10, 11],
    }
}

/// The first major whose library `probe` opens, else the error of the first one tried.
fn probe_tensorrt_library(
    piece: Piece,
    platform: &Platform,
    probe: fn(
        u32,
    )
        -> Result<smoothscale_tensorrt_sys::TrtVersion, smoothscale_tensorrt_sys::TrtError>,
    name: fn(u32) -> String,
    note: Option<&str>,
) -> Component {
    let majors = tensorrt_majors();
    let mut first_error = None;
    for &major in &majors {
        match probe(major) {
            Ok(version) => {
                return Component {
                    note: note.map(str::to_string),
                    ..Component::found(name(major), Some(version.to_string()))
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let names: Vec<String> = majors.iter().map(|&m| name(m)).collect();
    Component::missing(
        names.join(" or "),
        first_error.as_ref().map_or_else(String::new, trt_reason),
        advice(piece, platform, None),
    )
}

fn probe_libraries(platform: &Platform, cuda_major: Option<u32>) -> Libraries {
    use smoothscale_nvcodec_sys::{Cuvid, NvEnc, CUVID_LIBRARY, NVENC_LIBRARY};
    use smoothscale_tensorrt_sys::{library_names, probe_infer_library, probe_onnx_parser_library};

    let nvcuvid = match Cuvid::load() {
        Ok(_) => Component {
            note: Some(
                "loaded; it reports capabilities, not a version, and only with a CUDA context"
                    .into(),
            ),
            ..Component::found(CUVID_LIBRARY, None)
        },
        Err(e) => Component::missing(
            CUVID_LIBRARY,
            reason(&e),
            advice(Piece::Nvcuvid, platform, cuda_major),
        ),
    };
    let nvidia_encode = match NvEnc::load() {
        Ok(nvenc) => {
            let v = nvenc.max_supported_version;
            Component {
                note: Some("the newest NVENC API the driver supports".into()),
                ..Component::found(NVENC_LIBRARY, Some(format!("{}.{}", v >> 4, v & 0xf)))
            }
        }
        Err(e) => Component::missing(
            NVENC_LIBRARY,
            reason(&e),
            advice(Piece::NvidiaEncode, platform, cuda_major),
        ),
    };
    let nvinfer = probe_tensorrt_library(
        Piece::Nvinfer,
        platform,
        probe_infer_library,
        |m| library_names(m).0,
        None,
    );
    let nvonnxparser = probe_tensorrt_library(
        Piece::Nvonnxparser,
        platform,
        probe_onnx_parser_library,
        |m| library_names(m).1,
        Some("the parser's own version, not TensorRT's"),
    );
    let nvrtc = match smoothscale_cuda_sys::Nvrtc::load() {
        Ok(nvrtc) => match nvrtc.version() {
            Ok((major, minor)) => {
                Component::found(nvrtc.library_name(), Some(format!("{major}.{minor}")))
            }
            Err(e) => Component::missing(
                nvrtc.library_name(),
                e.to_string(),
                advice(Piece::Nvrtc, platform, cuda_major),
            ),
        },
        Err(e) => Component::missing(
            smoothscale_cuda_sys::NVRTC_LIBRARIES.join(" or "),
            reason(&e),
            advice(Piece::Nvrtc, platform, cuda_major),
        ),
    };
    Libraries {
        nvcuvid,
        nvidia_encode,
        nvinfer,
        nvonnxparser,
        nvrtc,
    }
}

fn probe_shim(platform: &Platform) -> ShimReport {
    let compiled = smoothscale_tensorrt_sys::SHIM_COMPILED;
    ShimReport {
        compiled,
        headers_version: smoothscale_tensorrt_sys::TensorRt::header_version()
            .map(|v| v.to_string()),
        headers_dir: (compiled && !smoothscale_tensorrt_sys::HEADERS_DIR.is_empty())
            .then(|| smoothscale_tensorrt_sys::HEADERS_DIR.to_string()),
        install: (!compiled).then(|| advice(Piece::TensorRtHeaders, platform, None)),
    }
}

fn probe_engine_cache() -> EngineCacheReport {
    let dir = crate::tensorrt::default_cache_dir();
    let (exists, plans, plan_bytes) = dir.as_deref().map_or((false, 0, 0), count_plans);
    EngineCacheReport {
        dir: dir.map(|d| d.display().to_string()),
        exists,
        plans,
        plan_bytes,
    }
}

/// Whether `dir` is a folder, and its `*.plan` files' count and total size.
fn count_plans(dir: &Path) -> (bool, usize, u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (dir.is_dir(), 0, 0);
    };
    let sizes: Vec<u64> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "plan"))
        .filter_map(|e| e.metadata().ok().filter(|m| m.is_file()).map(|m| m.len()))
        .collect();
    (true, sizes.len(), sizes.iter().sum())
}

fn probe_onnx_runtime(platform: &Platform) -> Component {
    let install = || advice(Piece::OnnxRuntime, platform, None);
    let location = match runtime::library_location() {
        Ok(location) => location,
        Err(e) => {
            return Component::missing(runtime::ORT_LIB_NAME, e.to_string(), install());
        }
    };
    let path = Some(location.path.display().to_string());
    let note = Some(format!("location from {}", location.source));
    // Loading it is the only way to know it is usable (the CPU path does the same before work).
    match runtime::init() {
        Ok(()) => Component {
            path,
            note,
            ..Component::found(runtime::ORT_LIB_NAME, Some(runtime::ORT_VERSION.into()))
        },
        Err(e) => Component {
            path,
            note,
            ..Component::missing(runtime::ORT_LIB_NAME, e.to_string(), install())
        },
    }
}

fn probe_models(platform: &Platform) -> ModelsReport {
    let entry = |names: &[&'static str], what: &'static str| {
        let found = pipeline::find_model(None, names, what).ok();
        ModelEntry {
            ok: found.is_some(),
            wanted: names.to_vec(),
            install: found
                .is_none()
                .then(|| advice(Piece::Model, platform, None)),
            path: found.map(|p: PathBuf| p.display().to_string()),
        }
    };
    ModelsReport {
        dirs: pipeline::model_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect(),
        rife: entry(&[RIFE_FILE], "RIFE"),
        upscale_2x: entry(&UPSCALE_2X_FILES, "2x upscaler"),
        upscale_4x: entry(&[UPSCALE_4X_FILE], "4x upscaler"),
    }
}

fn probe_ffmpeg(platform: &Platform) -> FfmpegReport {
    let v = ffmpeg_next::codec::version();
    let encoders = ["libx264", "libx265"]
        .into_iter()
        .map(|name| match ffmpeg_next::encoder::find_by_name(name) {
            Some(codec) => Component {
                note: Some(codec.description().to_string()),
                ..Component::found(name, None)
            },
            None => Component::missing(
                name,
                format!("FFmpeg has no {name} encoder"),
                advice(Piece::Encoder(name), platform, None),
            ),
        })
        .collect();
    FfmpegReport {
        libavcodec: format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff),
        encoders,
    }
}

/// The pieces the CUDA backend needs, as `cuda` and `libraries` found them: the driver, a GPU
/// (when there is a driver to ask), NVDEC, TensorRT and its ONNX parser, and NVRTC when this
/// build embedded kernel source.
pub fn cuda_pieces(cuda: &CudaReport, libraries: &Libraries) -> Vec<CudaPiece> {
    let missing = |c: &Component| (!c.ok).then(|| c.reason.clone().unwrap_or_default());
    let mut pieces = vec![CudaPiece::new(
        format!("the NVIDIA driver ({})", cuda.library),
        cuda.driver
            .is_none()
            .then(|| cuda.reason.clone().unwrap_or_default()),
    )];
    if cuda.driver.is_some() {
        pieces.push(CudaPiece::new(
            "a CUDA GPU",
            cuda.gpus.is_empty().then(|| {
                cuda.gpu_error
                    .clone()
                    .unwrap_or_else(|| "the driver sees no GPU".into())
            }),
        ));
    }
    for (what, c) in [
        ("NVDEC", &libraries.nvcuvid),
        ("TensorRT", &libraries.nvinfer),
        ("TensorRT's ONNX parser", &libraries.nvonnxparser),
    ] {
        pieces.push(CudaPiece::new(
            format!("{what} ({})", c.library),
            missing(c),
        ));
    }
    if matches!(
        crate::cuda::embedded_kernels(),
        crate::cuda::EmbeddedKernels::Source(_)
    ) {
        let c = &libraries.nvrtc;
        pieces.push(CudaPiece::new(format!("NVRTC ({})", c.library), missing(c)));
    }
    pieces
}

/// Probes the CUDA pieces of this machine (what `run --backend auto|cuda` decides with).
pub fn probe_cuda_pieces() -> Vec<CudaPiece> {
    let platform = detect_platform();
    let cuda = probe_cuda(&platform);
    cuda_pieces(&cuda, &probe_libraries(&platform, cuda_major(&cuda)))
}

/// The major CUDA version the driver supports (which NVRTC major to look for).
fn cuda_major(cuda: &CudaReport) -> Option<u32> {
    cuda.driver
        .as_ref()
        .and_then(|d| d.cuda_version.as_ref())
        .and_then(|v| v.split('.').next()?.parse().ok())
}

/// What `--backend auto` picks ([`crate::cuda::backend`]: today always the CPU) and why not
/// CUDA, and what the CPU backend lacks.
pub fn decide_backend(
    cuda: &CudaReport,
    libraries: &Libraries,
    onnx_runtime: &Component,
    models: &ModelsReport,
    ffmpeg: &FfmpegReport,
) -> BackendReport {
    let pieces = cuda_pieces(cuda, libraries);
    let auto = backend::decide(Requested::Auto, || pieces.clone()).map_or("cpu", |b| b.name());
    let because = backend::cuda_blockers(&pieces);
    let mut cpu_missing = Vec::new();
    if !onnx_runtime.ok {
        cpu_missing.push("ONNX Runtime (for any model)".to_string());
    }
    for (entry, what) in [
        (
            &models.rife,
            "the RIFE model (for --interpolate / --target-fps)",
        ),
        (&models.upscale_2x, "a 2x upscaler model (for --upscale 2x)"),
        (
            &models.upscale_4x,
            "the 4x upscaler model (for --upscale 4x)",
        ),
    ] {
        if !entry.ok {
            cpu_missing.push(what.to_string());
        }
    }
    for encoder in &ffmpeg.encoders {
        if !encoder.ok {
            cpu_missing.push(format!("FFmpeg's {} encoder", encoder.library));
        }
    }
    BackendReport {
        auto,
        cuda_available: because.is_empty(),
        cuda_unavailable_because: because,
        cpu_missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(library: &str, piece: Piece, platform: &Platform) -> Component {
        Component::missing(library, "not found".into(), advice(piece, platform, None))
    }

    /// A Jetson without any NVIDIA library and with everything the CPU path needs.
    fn bare_jetson() -> Report {
        let platform = Platform::Jetson {
            release: Some("38.4".into()),
            found_in: "/etc/nv_tegra_release",
        };
        let cuda = CudaReport {
            library: "libcuda.so.1",
            driver: None,
            reason: Some("libcuda.so.1 could not be loaded".into()),
            install: Some(advice(Piece::CudaDriver, &platform, None)),
            gpus: Vec::new(),
            gpu_error: None,
        };
        let model = |wanted: &'static str| ModelEntry {
            ok: true,
            wanted: vec![wanted],
            path: Some(format!("/models/{wanted}")),
            install: None,
        };
        let models = ModelsReport {
            dirs: vec!["/models".into()],
            rife: model(RIFE_FILE),
            upscale_2x: model(UPSCALE_4X_FILE),
            upscale_4x: model(UPSCALE_4X_FILE),
        };
        let onnx_runtime = Component::found("libonnxruntime.so.1.31.1", Some("1.31.1".into()));
        let ffmpeg = FfmpegReport {
            libavcodec: "61.19.101".into(),
            encoders: vec![
                Component::found("libx264", None),
                Component::found("libx265", None),
            ],
        };
        let libraries = Libraries {
            nvcuvid: missing("libnvcuvid.so.1", Piece::Nvcuvid, &platform),
            nvidia_encode: missing("libnvidia-encode.so.1", Piece::NvidiaEncode, &platform),
            nvinfer: missing("libnvinfer.so.10", Piece::Nvinfer, &platform),
            nvonnxparser: missing("libnvonnxparser.so.10", Piece::Nvonnxparser, &platform),
            nvrtc: missing("libnvrtc.so.13", Piece::Nvrtc, &platform),
        };
        let backend = decide_backend(&cuda, &libraries, &onnx_runtime, &models, &ffmpeg);
        Report {
            schema: SCHEMA,
            tool_version: "0.1.0",
            libraries,
            tensorrt_shim: ShimReport {
                compiled: false,
                headers_version: None,
                headers_dir: None,
                install: Some(advice(Piece::TensorRtHeaders, &platform, None)),
            },
            engine_cache: EngineCacheReport {
                dir: Some("/cache/smoothscale/engines".into()),
                exists: false,
                plans: 0,
                plan_bytes: 0,
            },
            platform,
            cuda,
            onnx_runtime,
            models,
            ffmpeg,
            backend,
        }
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_value(bare_jetson()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "schema",
            "tool_version",
            "platform",
            "cuda",
            "libraries",
            "tensorrt_shim",
            "engine_cache",
            "onnx_runtime",
            "models",
            "ffmpeg",
            "backend",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert_eq!(json["schema"], "smoothscale-doctor/1");
        assert_eq!(json["platform"]["kind"], "jetson");
        assert_eq!(json["platform"]["release"], "38.4");
        assert!(json["cuda"]["driver"].is_null());
        assert!(json["cuda"]["reason"].is_string());
        assert!(json["cuda"]["install"]
            .as_str()
            .unwrap()
            .contains("nvidia-l4t-cuda"));
        assert_eq!(json["libraries"]["nvinfer"]["ok"], false);
        assert!(json["libraries"]["nvinfer"]["install"]
            .as_str()
            .unwrap()
            .contains("libnvinfer10"));
        assert!(json["libraries"]["nvidia_encode"]["install"]
            .as_str()
            .unwrap()
            .contains("nvidia-l4t-multimedia"));
        assert_eq!(json["models"]["rife"]["wanted"][0], RIFE_FILE);
        assert_eq!(json["backend"]["auto"], "cpu");
        assert_eq!(json["backend"]["cpu_missing"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn the_backend_is_cpu_and_says_why_not_cuda() {
        let report = bare_jetson();
        let because = &report.backend.cuda_unavailable_because;
        assert_eq!(
            because[..5],
            [
                backend::NO_CUDA_PIPELINE,
                "the NVIDIA driver (libcuda.so.1) is missing",
                "NVDEC (libnvcuvid.so.1) is missing",
                "TensorRT (libnvinfer.so.10) is missing",
                "TensorRT's ONNX parser (libnvonnxparser.so.10) is missing",
            ]
        );
        // NVRTC counts only where the build embedded the kernel source.
        let source = matches!(
            crate::cuda::embedded_kernels(),
            crate::cuda::EmbeddedKernels::Source(_)
        );
        assert_eq!(because.len(), 5 + usize::from(source), "{because:?}");
        // A driver that sees no GPU is its own reason.
        let mut cuda = report.cuda.clone();
        cuda.driver = Some(DriverReport {
            cuda_version: Some("13.0".into()),
            version_error: None,
        });
        let backend = decide_backend(
            &cuda,
            &report.libraries,
            &report.onnx_runtime,
            &report.models,
            &report.ffmpeg,
        );
        assert_eq!(backend.cuda_unavailable_because[1], "a CUDA GPU is missing");
        assert!(!backend.cuda_available);
    }

    #[test]
    fn plain_lines_say_ok_or_missing_with_what_to_install() {
        let text = super::super::render_plain(&bare_jetson());
        let line = |label: &str| {
            text.lines()
                .find(|l| l.starts_with(label))
                .unwrap_or_else(|| panic!("no {label} line in\n{text}"))
                .to_string()
        };
        assert!(line("platform").contains("Jetson Linux R38.4"));
        assert!(line("CUDA driver").contains("missing  libcuda.so.1"));
        assert!(line("CUDA driver").contains("Install: sudo apt install nvidia-l4t-cuda"));
        assert!(line("NVDEC").contains("nvidia-l4t-multimedia"));
        assert!(line("ONNX parser").contains("libnvonnxparsers10"));
        assert!(line("NVRTC").contains("cuda-nvrtc-13-0"));
        assert!(line("TensorRT shim").contains("libnvinfer-dev libnvonnxparsers-dev"));
        assert!(line("ONNX Runtime").starts_with("ONNX Runtime   ok       libonnxruntime"));
        assert!(line("model 4x").contains("ok       /models/realesrgan"));
        assert!(line("engine cache").contains("not created yet"));
        assert!(line("backend").contains("no cuda: this build has no CUDA backend yet"));
        assert!(!line("backend").contains("lacks"));
    }

    #[test]
    fn a_complete_machine_renders_versions_and_gpus() {
        // Never seen for real on the development machines: the rendering of found pieces.
        let mut report = bare_jetson();
        report.cuda.driver = Some(DriverReport {
            cuda_version: Some("13.0".into()),
            version_error: None,
        });
        report.cuda.reason = None;
        report.cuda.install = None;
        report.cuda.gpus = vec![Gpu {
            ordinal: 0,
            name: "NVIDIA Thor".into(),
            compute_capability: "11.0".into(),
            memory_bytes: 128 << 30,
        }];
        report.libraries.nvidia_encode = Component {
            note: Some("the newest NVENC API the driver supports".into()),
            ..Component::found("libnvidia-encode.so.1", Some("13.0".into()))
        };
        report.libraries.nvinfer = Component::found("libnvinfer.so.10", Some("10.13.3".into()));
        report.tensorrt_shim = ShimReport {
            compiled: true,
            headers_version: Some("10.13.3".into()),
            headers_dir: Some("/usr/include/aarch64-linux-gnu".into()),
            install: None,
        };
        report.backend = decide_backend(
            &report.cuda,
            &report.libraries,
            &report.onnx_runtime,
            &report.models,
            &report.ffmpeg,
        );
        // The driver and the GPU are there; NVDEC and the ONNX parser still are not.
        assert_eq!(
            report.backend.cuda_unavailable_because[..3],
            [
                backend::NO_CUDA_PIPELINE,
                "NVDEC (libnvcuvid.so.1) is missing",
                "TensorRT's ONNX parser (libnvonnxparser.so.10) is missing",
            ]
        );
        let text = super::super::render_plain(&report);
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(
            has("CUDA driver    ok       libcuda.so.1 (CUDA 13.0)"),
            "{text}"
        );
        assert!(
            has("GPU 0          ok       NVIDIA Thor, compute capability 11.0, 128.0 GiB"),
            "{text}"
        );
        assert!(
            has(
                "NVENC          ok       libnvidia-encode.so.1 13.0 (the newest NVENC API the \
                 driver supports)"
            ),
            "{text}"
        );
        assert!(
            has("TensorRT       ok       libnvinfer.so.10 10.13.3"),
            "{text}"
        );
        assert!(
            has(
                "TensorRT shim  ok       compiled against TensorRT 10.13.3 headers \
                 (/usr/include/aarch64-linux-gnu)"
            ),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["cuda"]["driver"]["cuda_version"], "13.0");
        assert_eq!(json["cuda"]["gpus"][0]["compute_capability"], "11.0");
    }

    #[test]
    fn counting_plans_in_a_cache_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(count_plans(&dir.path().join("absent")), (false, 0, 0));
        std::fs::write(dir.path().join("rife-1920x1088-fp16.plan"), [0u8; 10]).unwrap();
        std::fs::write(dir.path().join("rife-1920x1088-fp16.json"), b"{}").unwrap();
        assert_eq!(count_plans(dir.path()), (true, 1, 10));
    }
}
