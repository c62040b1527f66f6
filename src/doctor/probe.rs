//! Gathering the [`Report`]: every probe loads a library or looks at a file, and none of them can
//! fail the whole report: what is missing becomes `ok: false` with the reason and what to install.

use std::path::{Path, PathBuf};

use super::advice::{advice, Piece, Platform};
pub use super::report::*;
use crate::cuda::backend::{self, CudaPiece, Requested};
use crate::models::runtime;
use crate::pipeline::{self, RIFE_FILE, UPSCALE_2X_FILES, UPSCALE_4X_FILE};

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
    for (what, c, for_models) in [
        ("NVDEC", &libraries.nvcuvid, false),
        ("TensorRT", &libraries.nvinfer, true),
        ("TensorRT's ONNX parser", &libraries.nvonnxparser, true),
    ] {
        let piece = CudaPiece::new(format!("{what} ({})", c.library), missing(c));
        pieces.push(if for_models {
            piece.for_models()
        } else {
            piece
        });
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

/// What `--backend auto` picks for a job with models ([`crate::cuda::backend`]: CUDA where every
/// piece is present) and why not CUDA, and what the CPU backend lacks.
pub fn decide_backend(
    cuda: &CudaReport,
    libraries: &Libraries,
    onnx_runtime: &Component,
    models: &ModelsReport,
    ffmpeg: &FfmpegReport,
) -> BackendReport {
    let pieces = cuda_pieces(cuda, libraries);
    let auto =
        backend::decide(Requested::Auto, true, || pieces.clone()).map_or("cpu", |b| b.name());
    let because = backend::cuda_blockers(&pieces, true);
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
        cuda_available: pieces.iter().all(|p| p.missing.is_none()),
        cuda_unavailable_because: because,
        cpu_missing,
    }
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
