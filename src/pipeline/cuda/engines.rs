//! The TensorRT engines of a run, shared by `smoothscale engine-build` and the CUDA run: what
//! engines a job needs (the network's padded frame size, or its tiles; RIFE as two engines, its
//! feature encoder and the rest), whether the cache has them, building them when allowed (the
//! caller draws the progress), and loading each as a [`TensorRtStage`]. The decisions
//! ([`decide_action`], [`engine_build_command`]) are pure and tested on the CPU; building and
//! loading are compiled here but have not run on a GPU.

use std::path::Path;

use super::error::{engine, GpuStageError};
use crate::models::checkpoint::{self, LoadedModel};
use crate::pipeline::Tiling;
use crate::tensorrt::builder::{
    prepare_loaded, BuiltEngine, EngineBuildError, PreparedEngine, Toolchain,
};
use crate::tensorrt::jobs::shape_for_job;
use crate::tensorrt::spec::{
    check_precision, BuildOptions, EngineShape, Network, RifePart, Target,
};
use crate::tensorrt::stage::TensorRtStage;
use crate::tensorrt::{default_cache_dir, CacheDecision, EngineCache};

/// What happens to an engine entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAction {
    /// The cache holds a matching plan: load it.
    Load,
    /// Build it (`reason`: why a cached one is not reused; `None` when there is none).
    Build {
        /// Why the cached plan is stale.
        reason: Option<String>,
    },
}

/// What [`ensure_prepared`] reports while it works, for the caller to print or draw.
#[derive(Debug)]
pub enum EngineEvent<'a> {
    /// The cache holds the engine: nothing to build.
    Cached {
        /// The plan file.
        plan: &'a Path,
    },
    /// A build starts (it takes minutes): `estimate` says roughly how long.
    Building {
        /// Why a cached plan is not reused (`None`: there was none).
        reason: Option<&'a str>,
        /// A rough expectation of the build time.
        estimate: String,
    },
    /// The build finished (successfully or not; a failure is returned afterwards).
    Finished,
}

/// An engine loaded for a job, with the network and the shape it was built for.
pub struct JobEngine {
    /// The loaded engine.
    pub stage: TensorRtStage,
    /// The model's network, with the part the engine holds.
    pub network: Network,
    /// The input shape the engine takes.
    pub shape: EngineShape,
    /// The cache entry's name.
    pub stem: String,
}

/// The engine cache of [`default_cache_dir`].
pub fn default_engine_cache() -> Result<EngineCache, GpuStageError> {
    default_cache_dir()
        .map(EngineCache::new)
        .ok_or(GpuStageError::NoCacheDir)
}

/// Quotes a command-line word for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The `smoothscale engine-build` command line that builds the engines of `model` for `shape`
/// with `options` (workspace and optimization level only when not the defaults): for RIFE, both
/// parts.
pub fn engine_build_command(model: &Path, shape: EngineShape, options: &BuildOptions) -> String {
    let mut words = vec![
        "smoothscale engine-build --model".to_string(),
        shell_word(&model.to_string_lossy()),
    ];
    match shape {
        EngineShape::Frame { height, width } => {
            words.push(format!("--height {height} --width {width}"));
        }
        EngineShape::Tiles { tile, pad, batch } => {
            words.push(format!("--tile {tile} --tile-pad {pad} --batch {batch}"));
        }
    }
    words.push(format!("--precision {}", options.precision));
    if let Some(cal) = &options.calibration {
        words.push("--calibration".into());
        words.push(shell_word(&cal.0.to_string_lossy()));
    }
    let defaults = BuildOptions::default();
    if options.workspace_mib != defaults.workspace_mib {
        words.push(format!("--workspace {}", options.workspace_mib));
    }
    if options.opt_level != defaults.opt_level {
        words.push(format!("--opt-level {}", options.opt_level));
    }
    words.join(" ")
}

/// Whether the engine `prepared` describes is loaded or built, from the cache's `decision`; with
/// `build_missing` false (`run --no-build`) a missing or stale engine is an error naming the
/// engine-build command.
pub fn decide_action(
    decision: CacheDecision,
    build_missing: bool,
    model: &Path,
    prepared: (&str, EngineShape, &BuildOptions),
) -> Result<EngineAction, GpuStageError> {
    let (stem, shape, options) = prepared;
    let (state, reason) = match decision {
        CacheDecision::Hit { .. } => return Ok(EngineAction::Load),
        CacheDecision::Miss => ("not built".to_string(), None),
        CacheDecision::Rebuild { reason } => (format!("out of date ({reason})"), Some(reason)),
    };
    if build_missing {
        return Ok(EngineAction::Build { reason });
    }
    Err(GpuStageError::NotBuilt {
        model: model.to_path_buf(),
        stem: stem.to_string(),
        state,
        command: engine_build_command(model, shape, options),
    })
}

/// Makes sure the cache holds the engine `prepared` describes: nothing when it does, else a build
/// (when `build_missing`), with `events` told what happens. Returns the build, if one ran.
pub fn ensure_prepared(
    toolchain: &Toolchain,
    model: &Path,
    prepared: &PreparedEngine,
    cache: &EngineCache,
    build_missing: bool,
    events: &mut dyn FnMut(EngineEvent<'_>),
) -> Result<Option<BuiltEngine>, GpuStageError> {
    let decision = cache.decide(&prepared.stem, &prepared.key);
    if let CacheDecision::Hit { plan } = &decision {
        events(EngineEvent::Cached { plan });
    }
    let described = (prepared.stem.as_str(), prepared.shape, &prepared.options);
    let reason = match decide_action(decision, build_missing, model, described)? {
        EngineAction::Load => return Ok(None),
        EngineAction::Build { reason } => reason,
    };
    let previous = crate::tensorrt::read_manifest(&cache.manifest_path(&prepared.stem)).ok();
    events(EngineEvent::Building {
        reason: reason.as_deref(),
        estimate: crate::tensorrt::builder::build_estimate(previous.as_ref(), prepared.network),
    });
    let built = toolchain.build(prepared, cache);
    events(EngineEvent::Finished);
    built.map(Some).map_err(build_error(model))
}

fn build_error(model: &Path) -> impl FnOnce(EngineBuildError) -> GpuStageError {
    let model = model.to_path_buf();
    move |source| GpuStageError::Build {
        model,
        source: Box::new(source),
    }
}

/// [`crate::tensorrt::builder::prepare`] for every engine a run of `model` uses
/// ([`Network::engines`]: RIFE's encoder and flow parts, any other network whole), reading the
/// model once: what `engine-build` builds.
pub fn prepare_engines(
    model: &Path,
    shape: EngineShape,
    options: BuildOptions,
    target: &Target,
) -> Result<Vec<PreparedEngine>, EngineBuildError> {
    check_precision(options.precision, target)?;
    let loaded = checkpoint::load(model)?;
    Network::of(loaded.architecture)
        .engines()
        .into_iter()
        .map(|net| prepare_loaded(model, &loaded, net.part, shape, options.clone(), target))
        .collect()
}

/// Reads the model file whose engines a job needs.
pub fn read_model(model: &Path) -> Result<LoadedModel, GpuStageError> {
    checkpoint::load(model).map_err(|source| GpuStageError::Model {
        path: model.to_path_buf(),
        source: Box::new(source),
    })
}

/// The engine of `part` of `loaded`'s network for `shape`, built into `cache` first when missing
/// and `build_missing`, then loaded.
fn load_engine(
    toolchain: &Toolchain,
    (model, loaded): (&Path, &LoadedModel),
    (part, shape): (RifePart, EngineShape),
    options: BuildOptions,
    (cache, build_missing): (&EngineCache, bool),
    events: &mut dyn FnMut(EngineEvent<'_>),
) -> Result<JobEngine, GpuStageError> {
    let target = toolchain.target();
    let prepared =
        prepare_loaded(model, loaded, part, shape, options, target).map_err(build_error(model))?;
    ensure_prepared(toolchain, model, &prepared, cache, build_missing, events)?;
    let stage = TensorRtStage::load(toolchain.tensorrt(), cache, &prepared.stem, &prepared.key)
        .map_err(engine(&prepared.stem, "loading"))?;
    Ok(JobEngine {
        stage,
        network: prepared.network,
        shape,
        stem: prepared.stem.clone(),
    })
}

/// The engine of the whole network a job on `width` x `height` frames needs for `model` (an
/// upscaler, or RIFE as one graph; the shape by [`shape_for_job`] from `tiling`), built into
/// `cache` first when missing and `build_missing`, then loaded. Not yet run on a GPU.
pub fn engine_for_job(
    toolchain: &Toolchain,
    model: &Path,
    (width, height, tiling): (usize, usize, Tiling),
    options: BuildOptions,
    build: (&EngineCache, bool),
    events: &mut dyn FnMut(EngineEvent<'_>),
) -> Result<JobEngine, GpuStageError> {
    let loaded = read_model(model)?;
    let shape = shape_for_job(Network::of(loaded.architecture), width, height, tiling);
    let whole = (RifePart::Whole, shape);
    load_engine(toolchain, (model, &loaded), whole, options, build, events)
}

/// Every engine a run of `loaded` (read from `model`) uses on `width` x `height` frames, in the
/// order of [`Network::engines`] (RIFE: the feature encoder, then the rest), each built into
/// `cache` first when missing and `build_missing`, then loaded. Not yet run on a GPU.
pub fn engines_for_job(
    toolchain: &Toolchain,
    (model, loaded): (&Path, &LoadedModel),
    (width, height, tiling): (usize, usize, Tiling),
    options: BuildOptions,
    build: (&EngineCache, bool),
    events: &mut dyn FnMut(EngineEvent<'_>),
) -> Result<Vec<JobEngine>, GpuStageError> {
    let network = Network::of(loaded.architecture);
    let shape = shape_for_job(network, width, height, tiling);
    network
        .engines()
        .into_iter()
        .map(|net| {
            let part = (net.part, shape);
            load_engine(
                toolchain,
                (model, loaded),
                part,
                options.clone(),
                build,
                events,
            )
        })
        .collect()
}

#[cfg(test)]
#[path = "engines_tests.rs"]
mod tests;
