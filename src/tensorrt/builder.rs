//! Building engines: TensorRT and the GPU are probed first ([`Toolchain::probe`]), then the model
//! is read and its graph built ([`prepare`]), then TensorRT's builder runs and the plan, its
//! manifest and the timing cache are written atomically into the engine cache
//! ([`Toolchain::build`]). Not yet run on a GPU.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use smoothscale_tensorrt_sys::{
    Builder, OnnxParserLibrary, Precision, ProfileShape, TensorRt, TrtError,
};

use super::cache::{sha256_reader, ComputeCapability, EngineCache, EngineKey, EnginePrecision};
use super::fp8::{check_calibration, fp8_graph};
use super::manifest::{write_atomically, write_manifest, Manifest, MANIFEST_FORMAT};
use super::spec::{
    check_precision, check_shape, engine_graph, engine_key, entry_stem, input_profiles,
    BuildOptions, EngineShape, Network, RifePart, SpecError, Target,
};
use crate::models::calibration::CalibrationError;
use crate::models::checkpoint::{self, Architecture, CheckpointError};
use crate::models::onnx::half::half_graph;
use crate::models::runtime::{ModelKind, RuntimeError};

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineBuildError {
    /// TensorRT is missing, or refused something.
    #[error(transparent)]
    TensorRt(#[from] TrtError),
    /// No CUDA driver or no GPU.
    #[error("no CUDA GPU: {0}")]
    Cuda(String),
    /// The model file could not be read.
    #[error(transparent)]
    Model(#[from] CheckpointError),
    /// Our graph builder refused the checkpoint.
    #[error("cannot build the graph of {path}: {source}")]
    Graph {
        /// The model file.
        path: PathBuf,
        /// Why (boxed: it is large).
        source: Box<RuntimeError>,
    },
    /// The shape or precision does not suit the network, GPU or TensorRT.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The fp8 calibration does not suit the model.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    /// A file could not be read or written.
    #[error("cannot {what} {path}: {source}")]
    Io {
        /// Read or write.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EngineBuildError {
    let path = path.to_path_buf();
    move |source| EngineBuildError::Io { what, path, source }
}

/// TensorRT (inference library and ONNX parser) and the GPU engines are built for.
pub struct Toolchain {
    trt: TensorRt,
    parser: OnnxParserLibrary,
    target: Target,
}

impl Toolchain {
    /// Loads TensorRT and its ONNX parser, then the CUDA driver, and describes GPU 0. Cheap: no
    /// model is read, so a machine without them fails at once.
    pub fn probe() -> Result<Self, EngineBuildError> {
        let trt = TensorRt::load()?;
        let parser = OnnxParserLibrary::load(&trt)?;
        let driver = smoothscale_cuda_sys::Driver::load()
            .map_err(|e| EngineBuildError::Cuda(e.to_string()))?;
        let devices = driver
            .devices()
            .map_err(|e| EngineBuildError::Cuda(e.to_string()))?;
        let gpu = devices
            .first()
            .ok_or_else(|| EngineBuildError::Cuda("the driver sees no GPU".into()))?;
        let target = Target {
            tensorrt_version: trt.version().to_string(),
            has_precision_flags: trt.has_precision_flags(),
            gpu_name: gpu.name.clone(),
            compute_capability: ComputeCapability {
                major: u32::try_from(gpu.compute_major).unwrap_or(0),
                minor: u32::try_from(gpu.compute_minor).unwrap_or(0),
            },
        };
        Ok(Toolchain {
            trt,
            parser,
            target,
        })
    }

    /// The loaded TensorRT (for [`super::stage::TensorRtStage::load`]).
    pub fn tensorrt(&self) -> &TensorRt {
        &self.trt
    }

    /// The GPU and TensorRT engines are built for.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Builds the prepared engine into `cache`: the plan (`<stem>.plan`), then its manifest
    /// (`<stem>.json`), each through a temporary file and a rename, after removing the old
    /// manifest so that no manifest ever vouches for a plan being replaced. The timing cache
    /// beside the engines is read first and saved after.
    pub fn build(
        &self,
        prepared: &PreparedEngine,
        cache: &EngineCache,
    ) -> Result<BuiltEngine, EngineBuildError> {
        let builder = Builder::new(&self.trt)?;
        // fp16: the half-precision graph, strongly typed, so the types are exactly the graph's
        // (RIFE's warp stays fp32) with TensorRT 10 and 11 alike. bf16: TensorRT 10's flag.
        // fp8: the same, with the graph's Q/DQ pairs making the fp8 convolutions.
        let strongly_typed = matches!(
            prepared.options.precision,
            EnginePrecision::Fp16 | EnginePrecision::Fp8
        );
        let mut network = builder.network(strongly_typed)?;
        network.parse_onnx(&self.parser, &prepared.graph)?;
        let mut config = builder.config()?;
        let workspace = prepared.options.workspace_mib.saturating_mul(1 << 20);
        config.set_workspace_limit(usize::try_from(workspace).unwrap_or(usize::MAX));
        config.set_optimization_level(prepared.options.opt_level);
        config.set_precision(match prepared.options.precision {
            EnginePrecision::Bf16 => Precision::Bf16,
            EnginePrecision::Fp16 | EnginePrecision::Fp32 | EnginePrecision::Fp8 => {
                Precision::AsGraph
            }
        })?;
        // Tile engines have a symbolic batch, which needs an optimization profile; whole-frame
        // graphs are static.
        if matches!(prepared.shape, EngineShape::Tiles { .. }) {
            let shapes: Vec<ProfileShape> = prepared
                .key
                .inputs
                .iter()
                .map(|i| ProfileShape {
                    input: i.name.clone(),
                    min: i.min.clone(),
                    opt: i.opt.clone(),
                    max: i.max.clone(),
                })
                .collect();
            config.add_profile(&shapes)?;
        }
        let timing_path = cache.dir().join(timing_cache_name(&self.target));
        let previous = match std::fs::read(&timing_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error("read", &timing_path)(e)),
        };
        let timing_cache_reused = config.set_timing_cache(&previous)?;

        let started = Instant::now();
        let plan = builder.build(&network, &config)?;
        let seconds = started.elapsed().as_secs_f64();

        let timing = config.timing_cache()?;
        write_atomically(&timing_path, &timing).map_err(io_error("write", &timing_path))?;
        let manifest_path = cache.manifest_path(&prepared.stem);
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(io_error("remove", &manifest_path)(e))
            }
            _ => {}
        }
        let plan_path = cache.plan_path(&prepared.stem);
        write_atomically(&plan_path, &plan).map_err(io_error("write", &plan_path))?;
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            key: prepared.key.clone(),
            plan_bytes: plan.len() as u64,
            plan_sha256: sha256_reader(&plan[..]).map_err(io_error("hash", &plan_path))?,
            build_seconds: seconds,
        };
        write_manifest(&manifest_path, &manifest).map_err(io_error("write", &manifest_path))?;
        Ok(BuiltEngine {
            plan: plan_path,
            plan_bytes: manifest.plan_bytes,
            seconds,
            timing_cache_reused,
        })
    }
}

/// What [`Toolchain::build`] wrote.
#[derive(Clone, Debug)]
pub struct BuiltEngine {
    /// The plan file.
    pub plan: PathBuf,
    /// Its size.
    pub plan_bytes: u64,
    /// How long TensorRT's builder took.
    pub seconds: f64,
    /// Whether an earlier timing cache was used.
    pub timing_cache_reused: bool,
}

/// A model read and its graph built for one engine shape, with the key and cache entry name.
pub struct PreparedEngine {
    /// The detected network.
    pub architecture: Architecture,
    /// Its kind and scale.
    pub network: Network,
    /// The shape built for.
    pub shape: EngineShape,
    /// Builder options.
    pub options: BuildOptions,
    /// Everything the plan depends on.
    pub key: EngineKey,
    /// The cache entry's name.
    pub stem: String,
    /// The ONNX graph TensorRT parses.
    pub(crate) graph: Vec<u8>,
}

/// Reads `model`, checks the shape and precision, builds our ONNX graph of the whole network for
/// `shape` and computes the engine key for `target`.
pub fn prepare(
    model: &Path,
    shape: EngineShape,
    options: BuildOptions,
    target: &Target,
) -> Result<PreparedEngine, EngineBuildError> {
    check_precision(options.precision, target)?;
    let loaded = checkpoint::load(model)?;
    prepare_loaded(model, &loaded, RifePart::Whole, shape, options, target)
}

/// [`prepare`] of `part` of the network for a checkpoint already read from `model` (the run
/// reads it first to learn the network, and so the engine shape).
pub fn prepare_loaded(
    model: &Path,
    loaded: &checkpoint::LoadedModel,
    part: RifePart,
    shape: EngineShape,
    options: BuildOptions,
    target: &Target,
) -> Result<PreparedEngine, EngineBuildError> {
    check_precision(options.precision, target)?;
    let network = Network::of(loaded.architecture).with_part(part);
    check_shape(network, shape)?;
    let graph_error = |source| EngineBuildError::Graph {
        path: model.to_path_buf(),
        source: Box::new(source),
    };
    let sha = model_sha256(model).map_err(io_error("read", model))?;
    let calibration = check_calibration(&options, network, (model, &sha))?;
    let graph =
        engine_graph(loaded.architecture, part, &loaded.state_dict, shape).map_err(graph_error)?;
    // fp16: the half-precision rewrite of the part's graph; fp8: that with the calibrated
    // quantization (see `build`).
    let rewrite = match (options.precision, calibration) {
        (EnginePrecision::Fp16, _) => Some(half_graph(&graph)),
        (EnginePrecision::Fp8, Some(cal)) => Some(fp8_graph(&graph, &cal.ranges)),
        _ => None,
    };
    let graph = match rewrite {
        Some(rewritten) => rewritten.map_err(|e| graph_error(RuntimeError::from(e)))?,
        None => graph,
    };
    let key = engine_key(&sha, (loaded.architecture, part), shape, &options, target);
    debug_assert_eq!(key.inputs, input_profiles(network, shape));
    Ok(PreparedEngine {
        architecture: loaded.architecture,
        network,
        shape,
        stem: entry_stem(model, part, shape, options.precision),
        options,
        key,
        graph,
    })
}

/// sha256 of a model file; an ncnn `.param` is hashed together with its `.bin`, which holds the
/// weights.
pub fn model_sha256(model: &Path) -> io::Result<String> {
    let is_param = model.extension().is_some_and(|e| e == "param");
    let bin = model.with_extension("bin");
    if is_param && bin.is_file() {
        sha256_reader(File::open(model)?.chain(File::open(bin)?))
    } else {
        sha256_reader(File::open(model)?)
    }
}

/// The timing cache's file name: one per GPU model and TensorRT version, since TensorRT refuses
/// (or mis-times with) a cache from another.
pub fn timing_cache_name(target: &Target) -> String {
    let gpu: String = target
        .gpu_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!(
        "timing-{gpu}-sm{}{}-trt{}.cache",
        target.compute_capability.major, target.compute_capability.minor, target.tensorrt_version
    )
}

/// A rough expectation of the build time, for the user while TensorRT works: the previous build
/// of the same entry when its manifest is readable, else a range by network (a guess).
pub fn build_estimate(previous: Option<&Manifest>, network: Network) -> String {
    if let Some(m) = previous {
        return format!(
            "the previous build of this engine took {:.0} s",
            m.build_seconds
        );
    }
    let range = match network.kind {
        ModelKind::Rife => "1 to 5 minutes",
        ModelKind::Upscaler { .. } => "2 to 15 minutes",
    };
    format!("usually {range} (a guess: depends on the GPU, precision and timing cache)")
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
