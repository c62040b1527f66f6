//! Which backend a job runs on: the one decision `run`, `batch` and `doctor` share.
//!
//! The CUDA backend needs the driver, a GPU, NVDEC (`libnvcuvid`), TensorRT (`libnvinfer` and
//! `libnvonnxparser`), NVRTC when the build embedded kernel source instead of a fat binary, and
//! the CUDA pipeline itself, which this version does not have yet. So today `auto` always runs on
//! the CPU (with the reasons), and `cuda` is refused naming the first missing piece.

/// The backend asked for (`--backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    Auto,
    Cpu,
    Cuda,
}

/// The backend that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Cpu,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
        }
    }
}

/// One thing the CUDA backend needs, and why this machine lacks it (`None`: present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CudaPiece {
    /// What it is, e.g. `the NVIDIA driver (libcuda.so.1)`.
    pub label: String,
    /// Why it is missing (the loader's message, ...).
    pub missing: Option<String>,
}

impl CudaPiece {
    pub fn new(label: impl Into<String>, missing: Option<String>) -> Self {
        CudaPiece {
            label: label.into(),
            missing,
        }
    }
}

/// Why there is no CUDA backend even on a complete machine.
pub const NO_CUDA_PIPELINE: &str =
    "this build has no CUDA backend yet (the CUDA pipeline, NVDEC to TensorRT to NVENC, is not in this version)";

/// Every reason the CUDA backend cannot run: the missing pipeline, then each missing piece.
pub fn cuda_blockers(pieces: &[CudaPiece]) -> Vec<String> {
    std::iter::once(NO_CUDA_PIPELINE.to_string())
        .chain(
            pieces
                .iter()
                .filter(|p| p.missing.is_some())
                .map(|p| format!("{} is missing", p.label)),
        )
        .collect()
}

/// `--backend cuda` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--backend cuda: {0}")]
pub struct CudaUnavailable(pub String);

/// Decides the backend of `requested`; `probe` lists the CUDA pieces of this machine (called
/// only for `auto` and `cuda`). `auto` runs on the CPU and logs why not CUDA; `cuda` fails with
/// the first missing piece, or says that the pipeline is not in this version.
pub fn decide(
    requested: Requested,
    probe: impl FnOnce() -> Vec<CudaPiece>,
) -> Result<Backend, CudaUnavailable> {
    match requested {
        Requested::Cpu => Ok(Backend::Cpu),
        Requested::Auto => {
            log::info!(
                "backend: cpu (no cuda: {})",
                cuda_blockers(&probe()).join("; ")
            );
            Ok(Backend::Cpu)
        }
        Requested::Cuda => {
            let pieces = probe();
            Err(CudaUnavailable(
                match pieces.iter().find(|p| p.missing.is_some()) {
                    Some(CudaPiece {
                        label,
                        missing: Some(why),
                    }) => format!(
                        "{label} is missing ({why}); `smoothscale doctor` says what to install"
                    ),
                    _ => NO_CUDA_PIPELINE.to_string(),
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(missing: &[usize]) -> Vec<CudaPiece> {
        [
            "the NVIDIA driver (libcuda.so.1)",
            "NVDEC (libnvcuvid.so.1)",
            "TensorRT (libnvinfer.so.10)",
        ]
        .iter()
        .enumerate()
        .map(|(i, l)| CudaPiece::new(*l, missing.contains(&i).then(|| format!("reason {i}"))))
        .collect()
    }

    #[test]
    fn cpu_never_probes() {
        let never = || -> Vec<CudaPiece> { panic!("--backend cpu must not probe CUDA") };
        assert_eq!(decide(Requested::Cpu, never), Ok(Backend::Cpu));
    }

    #[test]
    fn auto_runs_on_the_cpu_and_lists_every_blocker() {
        assert_eq!(
            decide(Requested::Auto, || pieces(&[0, 2])),
            Ok(Backend::Cpu)
        );
        let because = cuda_blockers(&pieces(&[0, 2]));
        assert_eq!(
            because[1..],
            [
                "the NVIDIA driver (libcuda.so.1) is missing",
                "TensorRT (libnvinfer.so.10) is missing"
            ]
        );
        assert_eq!(cuda_blockers(&pieces(&[])), [NO_CUDA_PIPELINE]);
    }

    #[test]
    fn cuda_names_the_first_missing_piece_else_the_pipeline() {
        let e = decide(Requested::Cuda, || pieces(&[1, 2])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--backend cuda: NVDEC (libnvcuvid.so.1) is missing (reason 1)"),
            "{e}"
        );
        let e = decide(Requested::Cuda, || pieces(&[])).unwrap_err();
        assert_eq!(e.to_string(), format!("--backend cuda: {NO_CUDA_PIPELINE}"));
    }
}
