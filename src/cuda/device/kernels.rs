//! Loading the frame kernels on a device: the embedded fat binary through the driver's module
//! loader, or (when the build embedded source, or the fat binary has no code for this GPU) the
//! source compiled by NVRTC, through the on-disk PTX cache.

use std::path::Path;
use std::sync::Arc;

use cudarc::driver::{CudaFunction, CudaModule};
use cudarc::nvrtc::Ptx;

use super::cache::{self, CacheKey, CacheOutcome};
use super::error::DeviceError;
use super::gpu::Gpu;
use super::nvrtc;
use crate::cuda::{embedded_kernels, EmbeddedKernels, KERNEL_NAMES, KERNEL_SOURCE};

/// Where the loaded code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelOrigin {
    /// The nvcc fat binary embedded at build time.
    Fatbin,
    /// PTX compiled by NVRTC from the embedded source now, or read from the cache.
    Nvrtc(CacheOutcome),
}

/// Every kernel of [`KERNEL_NAMES`], loaded on one device (the module unloads on drop).
#[derive(Debug)]
pub struct Kernels {
    gpu: Gpu,
    origin: KernelOrigin,
    functions: Vec<(&'static str, CudaFunction)>,
    _module: Arc<CudaModule>,
}

impl Kernels {
    /// Loads the kernels on `gpu`.
    pub fn load(gpu: &Gpu) -> Result<Self, DeviceError> {
        let (module, origin) = match embedded_kernels() {
            EmbeddedKernels::Fatbin(image) => {
                match load_image(gpu, Ptx::from_binary(image.to_vec())) {
                    Ok(module) => (module, KernelOrigin::Fatbin),
                    Err(fatbin_error) => {
                        let gpu_info = gpu.info();
                        log::info!("no fat binary code for {gpu_info} ({fatbin_error}): NVRTC");
                        Self::load_from_source(gpu, cache::cache_dir().as_deref()).map_err(|e| {
                            DeviceError::NoKernels {
                                gpu: gpu.info().to_string(),
                                reason: format!("fat binary: {fatbin_error}; NVRTC: {e}"),
                            }
                        })?
                    }
                }
            }
            EmbeddedKernels::Source(_) => {
                Self::load_from_source(gpu, cache::cache_dir().as_deref())?
            }
        };
        Self::with_module(gpu, module, origin)
    }

    /// Loads the kernels on `gpu` from the embedded source through NVRTC, whatever the build
    /// embedded, with the PTX cache in `cache_dir` (none: compiled every time).
    pub fn load_compiled(gpu: &Gpu, cache_dir: Option<&Path>) -> Result<Self, DeviceError> {
        let (module, origin) = Self::load_from_source(gpu, cache_dir)?;
        Self::with_module(gpu, module, origin)
    }

    fn with_module(
        gpu: &Gpu,
        module: Arc<CudaModule>,
        origin: KernelOrigin,
    ) -> Result<Self, DeviceError> {
        let functions = KERNEL_NAMES
            .iter()
            .map(|&name| {
                module
                    .load_function(name)
                    .map(|f| (name, f))
                    .map_err(DeviceError::driver(format!("finding kernel {name}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Kernels {
            gpu: gpu.clone(),
            origin,
            functions,
            _module: module,
        })
    }

    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    pub fn origin(&self) -> KernelOrigin {
        self.origin
    }

    /// NVRTC PTX of the embedded source, cached per architecture and source; an entry the driver
    /// refuses is removed and compiled again once.
    fn load_from_source(
        gpu: &Gpu,
        cache_dir: Option<&Path>,
    ) -> Result<(Arc<CudaModule>, KernelOrigin), DeviceError> {
        let cc = gpu.info().compute;
        let compile = || nvrtc::compile(KERNEL_SOURCE, cc);
        let Some(dir) = cache_dir else {
            let module = load_image(gpu, Ptx::from_src(compile()?))?;
            return Ok((module, KernelOrigin::Nvrtc(CacheOutcome::Miss)));
        };
        let key = CacheKey::new(&cc.virtual_arch(), KERNEL_SOURCE, &nvrtc::nvrtc_options(cc));
        let (ptx, outcome) = cache::load_or_build(dir, &key, compile)?;
        match load_image(gpu, Ptx::from_src(ptx)) {
            Ok(module) => Ok((module, KernelOrigin::Nvrtc(outcome))),
            Err(e) if outcome == CacheOutcome::Hit => {
                log::warn!("the cached kernels did not load ({e}); compiling them again");
                cache::forget(dir, &key);
                let (ptx, _) = cache::load_or_build(dir, &key, compile)?;
                let module = load_image(gpu, Ptx::from_src(ptx))?;
                Ok((module, KernelOrigin::Nvrtc(CacheOutcome::Rebuilt)))
            }
            Err(e) => Err(e),
        }
    }

    /// The kernel `name` (one of [`KERNEL_NAMES`]).
    pub(crate) fn function(&self, name: &'static str) -> Result<&CudaFunction, DeviceError> {
        self.functions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| f)
            .ok_or_else(|| DeviceError::Geometry {
                kernel: name,
                reason: "not a kernel of this build".into(),
            })
    }
}

fn load_image(gpu: &Gpu, image: Ptx) -> Result<Arc<CudaModule>, DeviceError> {
    gpu.context()
        .load_module(image)
        .map_err(DeviceError::driver(format!(
            "loading the kernels on {}",
            gpu.info()
        )))
}
