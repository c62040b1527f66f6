//! `smoothscale doctor`: what this machine has for each backend, and what to install for the rest.
//!
//! [`probe::gather`] loads each library the CUDA path needs (the CUDA driver and its GPUs, NVDEC,
//! NVENC, TensorRT and its ONNX parser, NVRTC) and looks at what the CPU path needs (ONNX Runtime,
//! the model files, FFmpeg's encoders) and at the engine cache. Nothing in it fails: a missing piece
//! is reported with the reason and, from [`advice`], what to install (JetPack 7.1+ packages on a
//! Jetson). [`render_plain`] writes one line per item; the [`Report`] serialises to JSON.

pub mod advice;
pub mod probe;
pub mod report;

pub use advice::{advice, Piece, Platform};
pub use probe::{gather, Component, Report, SCHEMA};

use std::fmt::Write as _;

/// Width of the label column.
const LABEL: usize = 15;

/// The report as text, one line per item: label, `ok`/`missing`, then the version and where, or
/// why it is missing and what to install.
pub fn render_plain(report: &Report) -> String {
    let mut out = String::new();
    let mut line = |label: &str, status: &str, text: &str| {
        let _ = writeln!(out, "{label:<LABEL$}{status:<9}{text}");
    };
    line("platform", "", &report.platform.describe());

    let cuda = &report.cuda;
    match &cuda.driver {
        Some(driver) => {
            let version = match (&driver.cuda_version, &driver.version_error) {
                (Some(v), _) => format!("CUDA {v}"),
                (None, Some(e)) => format!("version unreadable: {e}"),
                (None, None) => "version unknown".into(),
            };
            line(
                "CUDA driver",
                "ok",
                &format!("{} ({version})", cuda.library),
            );
        }
        None => line(
            "CUDA driver",
            "missing",
            &missing_text(
                cuda.library,
                cuda.reason.as_deref(),
                cuda.install.as_deref(),
            ),
        ),
    }
    if cuda.gpus.is_empty() {
        let text = match (&cuda.driver, &cuda.gpu_error) {
            (None, _) => "none: no CUDA driver".to_string(),
            (Some(_), Some(e)) => match &cuda.install {
                Some(install) => format!("none: {e}; {install}"),
                None => format!("none: {e}"),
            },
            (Some(_), None) => "none".to_string(),
        };
        line("GPU", "missing", &text);
    }
    for gpu in &cuda.gpus {
        line(
            &format!("GPU {}", gpu.ordinal),
            "ok",
            &format!(
                "{}, compute capability {}, {:.1} GiB",
                gpu.name,
                gpu.compute_capability,
                gpu.memory_bytes as f64 / (1u64 << 30) as f64
            ),
        );
    }

    let libs = &report.libraries;
    for (label, component) in [
        ("NVDEC", &libs.nvcuvid),
        ("NVENC", &libs.nvidia_encode),
        ("TensorRT", &libs.nvinfer),
        ("ONNX parser", &libs.nvonnxparser),
        ("NVRTC", &libs.nvrtc),
    ] {
        component_line(&mut line, label, component);
    }

    let shim = &report.tensorrt_shim;
    if shim.compiled {
        let version = shim.headers_version.as_deref().unwrap_or("unknown");
        let dir = shim.headers_dir.as_deref().unwrap_or("?");
        line(
            "TensorRT shim",
            "ok",
            &format!("compiled against TensorRT {version} headers ({dir})"),
        );
    } else {
        line(
            "TensorRT shim",
            "missing",
            &format!(
                "not compiled: no TensorRT headers at build time. Install: {}",
                shim.install.as_deref().unwrap_or("the TensorRT headers")
            ),
        );
    }

    let cache = &report.engine_cache;
    let cache_text = match (&cache.dir, cache.exists) {
        (None, _) => "no cache folder: neither XDG_CACHE_HOME nor HOME is set \
                      (set SMOOTHSCALE_ENGINE_CACHE)"
            .to_string(),
        (Some(dir), false) => format!("{dir} (not created yet: the first engine build creates it)"),
        (Some(dir), true) => format!(
            "{dir}: {} plan(s), {:.1} MiB",
            cache.plans,
            cache.plan_bytes as f64 / (1u64 << 20) as f64
        ),
    };
    line("engine cache", "", &cache_text);

    component_line(&mut line, "ONNX Runtime", &report.onnx_runtime);

    let models = &report.models;
    for (label, entry) in [
        ("model RIFE", &models.rife),
        ("model 2x", &models.upscale_2x),
        ("model 4x", &models.upscale_4x),
    ] {
        match &entry.path {
            Some(path) => line(label, "ok", path),
            None => line(
                label,
                "missing",
                &format!(
                    "{} not in {}. Install: {}",
                    entry.wanted.join(" or "),
                    if models.dirs.is_empty() {
                        "any models folder (HOME is not set)".to_string()
                    } else {
                        models.dirs.join(", ")
                    },
                    entry.install.as_deref().unwrap_or("")
                ),
            ),
        }
    }

    let libavcodec = &report.ffmpeg.libavcodec;
    for encoder in &report.ffmpeg.encoders {
        if encoder.ok {
            let what = encoder.note.as_deref().unwrap_or("encoder");
            line(
                &encoder.library,
                "ok",
                &format!("{what} (FFmpeg libavcodec {libavcodec})"),
            );
        } else {
            component_line(&mut line, &encoder.library, encoder);
        }
    }

    let backend = &report.backend;
    let mut text = if backend.cuda_unavailable_because.is_empty() {
        format!(
            "--backend auto runs on the {}: every piece a job with models needs is present",
            backend.auto
        )
    } else {
        format!(
            "--backend auto runs on the {}; no cuda: {}",
            backend.auto,
            backend.cuda_unavailable_because.join("; ")
        )
    };
    if !backend.cpu_missing.is_empty() {
        let _ = write!(
            text,
            ". The cpu backend lacks {}",
            backend.cpu_missing.join(", ")
        );
    }
    line("backend", backend.auto, &text);
    out
}

fn component_line(line: &mut impl FnMut(&str, &str, &str), label: &str, c: &Component) {
    if c.ok {
        let mut text = c.library.clone();
        if let Some(v) = &c.version {
            let _ = write!(text, " {v}");
        }
        if let Some(path) = &c.path {
            let _ = write!(text, " at {path}");
        }
        if let Some(note) = &c.note {
            let _ = write!(text, " ({note})");
        }
        line(label, "ok", &text);
    } else {
        line(
            label,
            "missing",
            &missing_text(&c.library, c.reason.as_deref(), c.install.as_deref()),
        );
    }
}

fn missing_text(library: &str, reason: Option<&str>, install: Option<&str>) -> String {
    let mut text = library.to_string();
    if let Some(reason) = reason.filter(|r| !r.is_empty()) {
        // The loader's message usually starts with the library's name already.
        let reason = reason
            .strip_prefix(library)
            .and_then(|r| r.strip_prefix(": "))
            .unwrap_or(reason);
        let _ = write!(text, ": {reason}");
    }
    if let Some(install) = install {
        let _ = write!(text, ". Install: {install}");
    }
    text
}
