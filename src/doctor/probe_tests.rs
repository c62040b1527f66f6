//! Unit tests of the probes' pure parts: the JSON shape, the backend decision, the rendering.

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
        because[..4],
        [
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
    assert_eq!(because.len(), 4 + usize::from(source), "{because:?}");
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
    assert_eq!(backend.cuda_unavailable_because[0], "a CUDA GPU is missing");
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
    assert!(line("backend").contains(
        "--backend auto runs on the cpu; no cuda: the NVIDIA driver (libcuda.so.1) is missing"
    ));
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
        report.backend.cuda_unavailable_because[..2],
        [
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
    assert_eq!(json["backend"]["auto"], "cpu");

    // With NVDEC, the parser and (for a source build) NVRTC too, auto picks CUDA and says so.
    report.libraries.nvcuvid = Component::found("libnvcuvid.so.1", None);
    report.libraries.nvonnxparser = Component::found("libnvonnxparser.so.10", None);
    report.libraries.nvrtc = Component::found("libnvrtc.so.13", None);
    report.backend = decide_backend(
        &report.cuda,
        &report.libraries,
        &report.onnx_runtime,
        &report.models,
        &report.ffmpeg,
    );
    assert_eq!(report.backend.auto, "cuda");
    assert!(report.backend.cuda_available);
    assert!(report.backend.cuda_unavailable_because.is_empty());
    let text = super::super::render_plain(&report);
    assert!(
        text.lines().any(|l| l.starts_with("backend")
            && l.contains("--backend auto runs on the cuda: every piece")),
        "{text}"
    );
}

#[test]
fn counting_plans_in_a_cache_folder() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(count_plans(&dir.path().join("absent")), (false, 0, 0));
    std::fs::write(dir.path().join("rife-1920x1088-fp16.plan"), [0u8; 10]).unwrap();
    std::fs::write(dir.path().join("rife-1920x1088-fp16.json"), b"{}").unwrap();
    assert_eq!(count_plans(dir.path()), (true, 1, 10));
}
