//! Why a CUDA model stage failed: each error names the model file, the engine or the step.

use std::path::PathBuf;

use crate::cuda::device::{DeviceError, FrameLayout};
use crate::models::checkpoint::CheckpointError;
use crate::tensorrt::builder::EngineBuildError;
use crate::tensorrt::stage::StageError;

/// Why an engine could not be had, or a CUDA model stage could not run.
#[derive(Debug, thiserror::Error)]
pub enum GpuStageError {
    /// No engine cache folder could be named.
    #[error("no TensorRT engine cache folder: set SMOOTHSCALE_ENGINE_CACHE or HOME")]
    NoCacheDir,
    /// The engine is not in the cache (or is stale) and building was not allowed.
    #[error(
        "the TensorRT engine {stem} for {} is {state}: run `{command}` first, or run without \
         --no-build",
        model.display()
    )]
    NotBuilt {
        /// The model file.
        model: PathBuf,
        /// The cache entry.
        stem: String,
        /// "not built", or "out of date (REASON)".
        state: String,
        /// The `smoothscale engine-build` command line that builds it.
        command: String,
    },
    /// The model file could not be read.
    #[error("{}: {source}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// Why (boxed: it is large).
        source: Box<CheckpointError>,
    },
    /// The model is not what the stage runs.
    #[error("{} is not {wanted}", path.display())]
    WrongModel {
        /// The model file.
        path: PathBuf,
        /// What was expected ("a RIFE model", "an upscaling model").
        wanted: &'static str,
    },
    /// The model scales by neither the factor nor twice it.
    #[error("{}: the model scales by {native}, which cannot give {wanted}x", path.display())]
    WrongScale {
        /// The model file.
        path: PathBuf,
        /// Its scale.
        native: usize,
        /// The factor asked for.
        wanted: usize,
    },
    /// Building the engine failed.
    #[error("building the TensorRT engine of {}: {source}", model.display())]
    Build {
        /// The model file.
        model: PathBuf,
        /// Why (boxed: it is large).
        source: Box<EngineBuildError>,
    },
    /// Loading or running an engine failed.
    #[error("TensorRT engine {engine}, {step}: {source}")]
    Engine {
        /// The cache entry.
        engine: String,
        /// What was being done ("loading", "interpolating", "upscaling tiles 0..4").
        step: String,
        /// Why (boxed: it is large).
        source: Box<StageError>,
    },
    /// A CUDA call or kernel launch failed.
    #[error("{stage}, {step}: {source}")]
    Device {
        /// "RIFE" or "upscaler".
        stage: &'static str,
        /// What was being done.
        step: String,
        /// Why.
        source: DeviceError,
    },
    /// A frame given to a stage does not have the layout the stage needs.
    #[error("{stage}: {what} is a {got:?} frame, expected {expected:?}")]
    Layout {
        /// "RIFE" or "upscaler".
        stage: &'static str,
        /// Which frame.
        what: &'static str,
        /// What it is (boxed, as the next: the enum stays small).
        got: Box<FrameLayout>,
        /// What it must be.
        expected: Box<FrameLayout>,
    },
    /// `blend` was called with a scene-cut threshold for a pair whose metric was not measured.
    #[error(
        "RIFE: the scene-cut metric of source frames {first} and {second} was not measured \
         (call measure_cut on their decoded frames first)"
    )]
    CutNotMeasured {
        /// First source frame index.
        first: usize,
        /// Second source frame index.
        second: usize,
    },
}

/// Wraps a [`DeviceError`] with its stage and step.
pub(crate) fn device(
    stage: &'static str,
    step: impl Into<String>,
) -> impl FnOnce(DeviceError) -> GpuStageError {
    let step = step.into();
    move |source| GpuStageError::Device {
        stage,
        step,
        source,
    }
}

/// Wraps a [`StageError`] with its engine and step.
pub(crate) fn engine(
    engine: &str,
    step: impl Into<String>,
) -> impl FnOnce(StageError) -> GpuStageError {
    let (engine, step) = (engine.to_string(), step.into());
    move |source| GpuStageError::Engine {
        engine,
        step,
        source: Box::new(source),
    }
}

/// Checks that frame `what` of a stage has the `expected` layout.
pub(crate) fn expect_layout(
    stage: &'static str,
    what: &'static str,
    got: &FrameLayout,
    expected: &FrameLayout,
) -> Result<(), GpuStageError> {
    if got == expected {
        Ok(())
    } else {
        Err(GpuStageError::Layout {
            stage,
            what,
            got: Box::new(*got),
            expected: Box::new(*expected),
        })
    }
}
