//! Builder settings that change an engine's plan: precision, workspace, optimization level and,
//! for fp8, the calibration.

use std::path::PathBuf;
use std::sync::Arc;

use super::cache::EnginePrecision;
use crate::models::calibration::Calibration;

/// Builder workspace when none is given, in MiB.
pub const DEFAULT_WORKSPACE_MIB: u64 = 4096;
/// TensorRT's own default builder optimization level.
pub const DEFAULT_OPT_LEVEL: u8 = 3;

/// Builder settings that change the plan.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Kernel precision.
    pub precision: EnginePrecision,
    /// Builder workspace limit, MiB.
    pub workspace_mib: u64,
    /// Builder optimization level, 0 to 5.
    pub opt_level: u8,
    /// The activation ranges of an fp8 engine (`smoothscale calibrate`), with the file they
    /// were read from; fp8 needs one and no other precision takes one.
    pub calibration: Option<Arc<(PathBuf, Calibration)>>,
}

impl BuildOptions {
    /// The options with `calibration` (read from `path`).
    pub fn with_calibration(self, path: PathBuf, calibration: Calibration) -> Self {
        BuildOptions {
            calibration: Some(Arc::new((path, calibration))),
            ..self
        }
    }

    /// The calibration's fingerprint, if there is one.
    pub fn calibration_fingerprint(&self) -> Option<String> {
        self.calibration.as_ref().map(|c| c.1.fingerprint())
    }
}

/// Equal when everything the plan depends on is (calibrations by fingerprint).
impl PartialEq for BuildOptions {
    fn eq(&self, other: &Self) -> bool {
        (self.precision, self.workspace_mib, self.opt_level)
            == (other.precision, other.workspace_mib, other.opt_level)
            && self.calibration_fingerprint() == other.calibration_fingerprint()
    }
}

impl Eq for BuildOptions {}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            precision: EnginePrecision::Fp16,
            workspace_mib: DEFAULT_WORKSPACE_MIB,
            opt_level: DEFAULT_OPT_LEVEL,
            calibration: None,
        }
    }
}
