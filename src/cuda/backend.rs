//! Which backend a job runs on: the one decision `run`, `batch` and `doctor` share.
//!
//! The CUDA backend needs the driver, a GPU, NVDEC (`libnvcuvid`), TensorRT (`libnvinfer` and
//! `libnvonnxparser`, only for jobs with models), and NVRTC when the build embedded kernel source
//! instead of a fat binary. NVENC is optional: without it the frames go to the software encoder.
//!
//! `auto` picks CUDA where every piece the job needs is present, and the CPU elsewhere (logging
//! why not CUDA); a CUDA run chosen by `auto` that fails before its first output frame is run
//! again on the CPU (`pipeline::run`). `cuda` runs the CUDA pipeline where every piece is
//! present, never falls back, and is refused naming the first missing piece elsewhere.

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

/// Every reason a job (with or without models) cannot run on CUDA: each missing piece it needs.
pub fn cuda_blockers(pieces: &[CudaPiece], with_models: bool) -> Vec<String> {
    pieces
        .iter()
        .filter(|p| p.missing.is_some() && (with_models || !p.for_models))
        .map(|p| format!("{} is missing", p.label))
        .collect()
}

/// `--backend cuda` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--backend cuda: {0}")]
pub struct CudaUnavailable(pub String);

/// Decides the backend of `requested` for a job with or without models; `probe` lists the CUDA
/// pieces of this machine (called only for `auto` and `cuda`). `auto` runs on CUDA when the
/// job has every piece it needs, else on the CPU, logging why not CUDA; `cuda` fails with the
/// first missing piece the job needs.
pub fn decide(
    requested: Requested,
    with_models: bool,
    probe: impl FnOnce() -> Vec<CudaPiece>,
) -> Result<Backend, CudaUnavailable> {
    match requested {
        Requested::Cpu => Ok(Backend::Cpu),
        Requested::Auto => {
            let blockers = cuda_blockers(&probe(), with_models);
            if blockers.is_empty() {
                log::info!("backend: cuda (every piece the job needs is present)");
                return Ok(Backend::Cuda);
            }
            log::info!("backend: cpu (no cuda: {})", blockers.join("; "));
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

    /// The pieces with TensorRT marked as needed only by jobs with models, as the probe marks it.
    fn probed(missing: &[usize]) -> Vec<CudaPiece> {
        let mut p = pieces(missing);
        p[2] = p[2].clone().for_models();
        p
    }

    #[test]
    fn auto_picks_cuda_only_where_the_job_has_every_piece() {
        // (missing pieces, job with models, expected backend)
        let table: [(&[usize], bool, Backend); 8] = [
            (&[], true, Backend::Cuda),
            (&[], false, Backend::Cuda),
            (&[0], true, Backend::Cpu),
            (&[0], false, Backend::Cpu),
            (&[1], true, Backend::Cpu),
            (&[1], false, Backend::Cpu),
            // TensorRT missing: a job with models stays on the CPU; a plain re-encode does not
            // need it.
            (&[2], true, Backend::Cpu),
            (&[2], false, Backend::Cuda),
        ];
        for (missing, with_models, expected) in table {
            assert_eq!(
                decide(Requested::Auto, with_models, || probed(missing)),
                Ok(expected),
                "missing {missing:?}, models {with_models}"
            );
            assert_eq!(
                cuda_blockers(&probed(missing), with_models).is_empty(),
                expected == Backend::Cuda
            );
        }
        assert_eq!(
            cuda_blockers(&probed(&[0, 2]), true),
            [
                "the NVIDIA driver (libcuda.so.1) is missing",
                "TensorRT (libnvinfer.so.10) is missing"
            ]
        );
        assert_eq!(
            cuda_blockers(&probed(&[0, 2]), false),
            ["the NVIDIA driver (libcuda.so.1) is missing"]
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
