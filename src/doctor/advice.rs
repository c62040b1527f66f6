//! What to install for each missing piece: JetPack 7.1+ apt packages on a Jetson, the NVIDIA driver
//! and NVIDIA's CUDA apt repository on a desktop, the fetch scripts for the CPU path.

use serde::Serialize;

/// The kind of machine, which decides the package names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Platform {
    /// A Jetson running Jetson Linux (L4T).
    Jetson {
        /// The Jetson Linux release, e.g. `38.4` (JetPack 7.1), when it could be read.
        release: Option<String>,
        /// Where the release was found (`/etc/nv_tegra_release` or the `nvidia-l4t-core` package).
        found_in: &'static str,
    },
    /// Any other Linux machine.
    Desktop,
}

/// The oldest Jetson Linux release the project supports: R38.4 (JetPack 7.1).
pub const MIN_JETSON_RELEASE: (u32, u32) = (38, 4);

impl Platform {
    /// Decides from the text of `/etc/nv_tegra_release` and of `/var/lib/dpkg/status`, each `None`
    /// when absent.
    pub fn detect_from(nv_tegra_release: Option<&str>, dpkg_status: Option<&str>) -> Platform {
        if let Some(text) = nv_tegra_release {
            return Platform::Jetson {
                release: parse_tegra_release(text),
                found_in: "/etc/nv_tegra_release",
            };
        }
        if let Some(version) = dpkg_status.and_then(|s| installed_version(s, "nvidia-l4t-core")) {
            let release: Vec<&str> = version.split(['.', '-']).take(2).collect();
            return Platform::Jetson {
                release: (release.len() == 2 && release.iter().all(|p| p.parse::<u32>().is_ok()))
                    .then(|| release.join(".")),
                found_in: "the nvidia-l4t-core package",
            };
        }
        Platform::Desktop
    }

    /// Whether this is a Jetson.
    pub fn is_jetson(&self) -> bool {
        matches!(self, Platform::Jetson { .. })
    }

    /// One line for the report, with a warning for a Jetson Linux older than JetPack 7.1.
    pub fn describe(&self) -> String {
        match self {
            Platform::Desktop => format!(
                "{} Linux (no /etc/nv_tegra_release, no nvidia-l4t-core package: not a Jetson)",
                std::env::consts::ARCH
            ),
            Platform::Jetson {
                release: Some(r), ..
            } if release_is_too_old(r) => format!(
                "Jetson Linux R{r}: older than R38.4 (JetPack 7.1), which smoothscale needs; \
                 upgrade JetPack"
            ),
            Platform::Jetson {
                release: Some(r),
                found_in,
            } => format!("Jetson Linux R{r} (from {found_in})"),
            Platform::Jetson { found_in, .. } => {
                format!("Jetson (from {found_in}), release unreadable")
            }
        }
    }
}

/// `# R38 (release), REVISION: 4.0, ...` → `38.4`.
fn parse_tegra_release(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let major = line.strip_prefix("# R")?.split_whitespace().next()?;
    let revision = line.split("REVISION:").nth(1)?.trim();
    let minor = revision.split(['.', ',']).next()?.trim();
    (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok())
        .then(|| format!("{major}.{minor}"))
}

fn release_is_too_old(release: &str) -> bool {
    let mut parts = release.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) < MIN_JETSON_RELEASE,
        _ => false,
    }
}

/// The `Version:` of `package` in a dpkg status file, when it is installed.
fn installed_version(status: &str, package: &str) -> Option<String> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name).map(str::trim))
        };
        (field("Package:") == Some(package)
            && field("Status:").is_some_and(|s| s.ends_with(" installed")))
        .then(|| field("Version:").map(str::to_string))
        .flatten()
    })
}

/// A piece smoothscale can use that may be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// `libcuda.so.1`.
    CudaDriver,
    /// The driver loads but sees no GPU.
    NoGpu,
    /// `libnvcuvid.so.1` (NVDEC).
    Nvcuvid,
    /// `libnvidia-encode.so.1` (NVENC).
    NvidiaEncode,
    /// `libnvinfer.so.<major>`.
    Nvinfer,
    /// `libnvonnxparser.so.<major>`.
    Nvonnxparser,
    /// `libnvrtc.so.<major>`.
    Nvrtc,
    /// This build has no TensorRT shim: the headers were missing at build time.
    TensorRtHeaders,
    /// The ONNX Runtime library of the CPU path.
    OnnxRuntime,
    /// A model file.
    Model,
    /// An FFmpeg software encoder (`libx264`, `libx265`).
    Encoder(&'static str),
}

/// What to install (or do) for `piece` on `platform`. `cuda_major` is the CUDA major the driver
/// supports, when known (it picks the NVRTC package on a desktop).
pub fn advice(piece: Piece, platform: &Platform, cuda_major: Option<u32>) -> String {
    let jetson = platform.is_jetson();
    match piece {
        Piece::CudaDriver if jetson => "sudo apt install nvidia-l4t-cuda (JetPack 7.1+; \
             `sudo apt install nvidia-jetpack` installs all of it)"
            .into(),
        Piece::CudaDriver => "the NVIDIA driver: Ubuntu `sudo ubuntu-drivers install` \
             (libcuda.so.1 is in libnvidia-compute-<driver version>), Debian nvidia-driver \
             (libcuda1)"
            .into(),
        Piece::NoGpu if jetson => "the driver sees no GPU: check that the nvgpu kernel module is \
             loaded and that this user is in the video and render groups"
            .into(),
        Piece::NoGpu => "the driver sees no GPU: check `nvidia-smi`, that the nvidia kernel \
             module matches the driver libraries, and /dev/nvidia* permissions (in a container: \
             the NVIDIA container toolkit, `--gpus all`)"
            .into(),
        Piece::Nvcuvid | Piece::NvidiaEncode if jetson => {
            "sudo apt install nvidia-l4t-multimedia (JetPack 7.1+)".into()
        }
        Piece::Nvcuvid => "it comes with the NVIDIA driver: Ubuntu libnvidia-decode-<driver \
             version>, Debian libnvcuvid1"
            .into(),
        Piece::NvidiaEncode => "it comes with the NVIDIA driver: Ubuntu libnvidia-encode-<driver \
             version>, Debian libnvidia-encode1 (datacenter GPUs such as the A100 and H100 have \
             no NVENC)"
            .into(),
        Piece::Nvinfer if jetson => "sudo apt install libnvinfer10 (JetPack 7.1+; libnvinfer-dev \
             to build the TensorRT shim)"
            .into(),
        Piece::Nvinfer => "TensorRT from NVIDIA's CUDA apt repository: sudo apt install \
             libnvinfer10 (libnvinfer-dev to build the TensorRT shim)"
            .into(),
        Piece::Nvonnxparser if jetson => "sudo apt install libnvonnxparsers10 (JetPack 7.1+; \
             libnvonnxparsers-dev to build)"
            .into(),
        Piece::Nvonnxparser => "TensorRT from NVIDIA's CUDA apt repository: sudo apt install \
             libnvonnxparsers10 (libnvonnxparsers-dev to build)"
            .into(),
        Piece::Nvrtc if jetson => "sudo apt install cuda-nvrtc-13-0 (JetPack 7.1+)".into(),
        Piece::Nvrtc => {
            let package = match cuda_major {
                Some(12) => "cuda-nvrtc-12-8",
                _ => "cuda-nvrtc-13-0",
            };
            format!(
                "from NVIDIA's CUDA apt repository: sudo apt install {package} (a CUDA no newer \
                 than the driver's), or add the CUDA toolkit's lib64 to the library path"
            )
        }
        Piece::TensorRtHeaders if jetson => "sudo apt install libnvinfer-dev \
             libnvonnxparsers-dev, then rebuild (bash jetson/setup.sh does both)"
            .into(),
        Piece::TensorRtHeaders => "libnvinfer-dev and libnvonnxparsers-dev from NVIDIA's \
             CUDA apt repository (or set TENSORRT_INCLUDE_DIR), then rebuild"
            .into(),
        Piece::OnnxRuntime => {
            "run scripts/fetch-onnxruntime, or set SMOOTHSCALE_ORT_LIB to the library".into()
        }
        Piece::Model => "run scripts/fetch-models, or set SMOOTHSCALE_MODELS to a models \
             folder, or pass the file with --rife-model / --upscale-model"
            .into(),
        Piece::Encoder(name) => format!(
            "this FFmpeg has no {name}: install an FFmpeg built with it (Debian/Ubuntu: the \
             distribution's libavcodec has it; a custom build needs --enable-{name} --enable-gpl)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THOR_RELEASE: &str = "# R38 (release), REVISION: 4.0, GCID: 41779311, BOARD: generic, \
                                EABI: aarch64, DATE: Mon Jan  5 00:00:00 UTC 2026\n";

    fn jetson() -> Platform {
        Platform::detect_from(Some(THOR_RELEASE), None)
    }

    #[test]
    fn jetson_is_detected_from_nv_tegra_release() {
        assert_eq!(
            jetson(),
            Platform::Jetson {
                release: Some("38.4".into()),
                found_in: "/etc/nv_tegra_release"
            }
        );
        assert!(jetson().describe().contains("R38.4"));
    }

    #[test]
    fn jetson_is_detected_from_the_l4t_core_package() {
        let status = "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\n\
                      Package: nvidia-l4t-core\nStatus: install ok installed\n\
                      Architecture: arm64\nVersion: 38.4.0-20260105000000\n";
        assert_eq!(
            Platform::detect_from(None, Some(status)),
            Platform::Jetson {
                release: Some("38.4".into()),
                found_in: "the nvidia-l4t-core package"
            }
        );
        // Removed but not purged: not a Jetson.
        let removed = status.replace(
            "nvidia-l4t-core\nStatus: install ok installed",
            "nvidia-l4t-core\nStatus: deinstall ok config-files",
        );
        assert_eq!(
            Platform::detect_from(None, Some(&removed)),
            Platform::Desktop
        );
        assert_eq!(Platform::detect_from(None, None), Platform::Desktop);
    }

    #[test]
    fn an_old_jetson_linux_is_flagged() {
        let orin = "# R36 (release), REVISION: 4.3, GCID: 1, BOARD: generic, EABI: aarch64\n";
        let text = Platform::detect_from(Some(orin), None).describe();
        assert!(text.contains("older than R38.4"), "{text}");
    }

    #[test]
    fn jetson_advice_names_jetpack_packages() {
        let p = jetson();
        let cases = [
            (Piece::CudaDriver, "nvidia-l4t-cuda"),
            (Piece::Nvcuvid, "nvidia-l4t-multimedia"),
            (Piece::NvidiaEncode, "nvidia-l4t-multimedia"),
            (Piece::Nvinfer, "libnvinfer10"),
            (Piece::Nvonnxparser, "libnvonnxparsers10"),
            (Piece::Nvrtc, "cuda-nvrtc-13-0"),
            (
                Piece::TensorRtHeaders,
                "libnvinfer-dev libnvonnxparsers-dev",
            ),
            (Piece::OnnxRuntime, "scripts/fetch-onnxruntime"),
            (Piece::Model, "scripts/fetch-models"),
        ];
        for (piece, package) in cases {
            let text = advice(piece, &p, None);
            assert!(text.contains(package), "{piece:?}: {text}");
            assert!(!text.contains("ubuntu-drivers"), "{piece:?}: {text}");
        }
    }

    #[test]
    fn desktop_advice_names_driver_and_cuda_repository_packages() {
        let p = Platform::Desktop;
        let cases = [
            (Piece::CudaDriver, "NVIDIA driver"),
            (Piece::Nvcuvid, "libnvidia-decode-"),
            (Piece::NvidiaEncode, "libnvidia-encode-"),
            (Piece::Nvinfer, "libnvinfer10"),
            (Piece::Nvonnxparser, "libnvonnxparsers10"),
            (Piece::Nvrtc, "cuda-nvrtc-13-0"),
            (Piece::Encoder("libx265"), "--enable-libx265"),
        ];
        for (piece, package) in cases {
            let text = advice(piece, &p, None);
            assert!(text.contains(package), "{piece:?}: {text}");
            assert!(!text.contains("nvidia-l4t"), "{piece:?}: {text}");
        }
        assert!(advice(Piece::Nvrtc, &p, Some(12)).contains("cuda-nvrtc-12-"));
    }
}
