//! Which backend a job runs on: the one decision `run`, `batch` and `doctor` share.
//!
//! The CUDA backend needs the driver, a GPU, NVDEC (`libnvcuvid`), TensorRT (`libnvinfer` and
//! `libnvonnxparser`, only for jobs with models), and NVRTC when the build embedded kernel source
//! instead of a fat binary. NVENC is optional: without it the frames go to the software encoder.
//!
//! The CUDA pipeline is in this version but has not yet run on a GPU, so `auto` does not pick it:
//! `auto` runs on the CPU (and logs why not CUDA), and `cuda` runs the CUDA pipeline where every
//! piece is present, and is refused naming the first missing piece elsewhere.

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
    Cuda,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda => "cuda",
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
    /// Needed only by jobs with models (TensorRT).
    pub for_models: bool,
}

impl CudaPiece {
    pub fn new(label: impl Into<String>, missing: Option<String>) -> Self {
        CudaPiece {
            label: label.into(),
            missing,
            for_models: false,
        }
    }

    /// A piece only jobs with models need.
    pub fn for_models(self) -> Self {
        CudaPiece {
            for_models: true,
            ..self
        }
    }
}

/// Why `auto` does not pick the CUDA backend even on a complete machine.
pub const CUDA_UNVERIFIED: &str =
    "the CUDA pipeline has not yet run on a GPU, so auto does not pick it (--backend cuda runs it)";

/// Every reason `auto` does not pick CUDA: the pipeline not yet verified, then each missing piece.
pub fn cuda_blockers(pieces: &[CudaPiece]) -> Vec<String> {
    std::iter::once(CUDA_UNVERIFIED.to_string())
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

/// Decides the backend of `requested` for a job with or without models; `probe` lists the CUDA
/// pieces of this machine (called only for `auto` and `cuda`). `auto` runs on the CPU and logs
/// why not CUDA; `cuda` fails with the first missing piece the job needs.
pub fn decide(
    requested: Requested,
    with_models: bool,
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
            let missing = pieces
                .iter()
                .filter(|p| with_models || !p.for_models)
                .find_map(|p| p.missing.as_ref().map(|why| (&p.label, why)));
            match missing {
                Some((label, why)) => Err(CudaUnavailable(format!(
                    "{label} is missing ({why}); `smoothscale doctor` says what to install"
                ))),
                None => Ok(Backend::Cuda),
            }
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
        assert_eq!(decide(Requested::Cpu, true, never), Ok(Backend::Cpu));
    }

    #[test]
    fn auto_runs_on_the_cpu_and_lists_every_blocker() {
        assert_eq!(
            decide(Requested::Auto, true, || pieces(&[0, 2])),
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
        assert_eq!(cuda_blockers(&pieces(&[])), [CUDA_UNVERIFIED]);
        assert_eq!(
            decide(Requested::Auto, true, || pieces(&[])),
            Ok(Backend::Cpu)
        );
    }

    #[test]
    fn cuda_names_the_first_missing_piece_the_job_needs() {
        let e = decide(Requested::Cuda, true, || pieces(&[1, 2])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--backend cuda: NVDEC (libnvcuvid.so.1) is missing (reason 1)"),
            "{e}"
        );
        assert_eq!(
            decide(Requested::Cuda, true, || pieces(&[])),
            Ok(Backend::Cuda)
        );
        // TensorRT is needed only for models: a plain re-encode runs without it.
        let without_tensorrt = || {
            let mut p = pieces(&[2]);
            p[2] = p[2].clone().for_models();
            p
        };
        assert_eq!(
            decide(Requested::Cuda, false, without_tensorrt),
            Ok(Backend::Cuda)
        );
        let e = decide(Requested::Cuda, true, without_tensorrt).unwrap_err();
        assert!(
            e.to_string()
                .contains("TensorRT (libnvinfer.so.10) is missing"),
            "{e}"
        );
    }
}
