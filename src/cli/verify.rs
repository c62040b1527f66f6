//! `smoothscale verify`: runs golden cases through the CPU runner and reports their errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;

use smoothscale::models::golden::{max_abs_err, CaseKind, GoldenCase, GoldenSet};
use smoothscale::models::runtime::{Model, RuntimeError};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The golden folder (manifest.json, one folder of .npy files per case).
    #[arg(long, value_name = "DIR", default_value = "../shared/golden")]
    golden: PathBuf,
    /// The folder the cases' `weights_file` paths are relative to (default: the golden
    /// folder's parent, the shared root). `--models` is accepted as another name.
    #[arg(long = "weights-root", alias = "models", value_name = "DIR")]
    models: Option<PathBuf>,
    /// Intra-op threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let set = GoldenSet::load(&args.golden)?;
    smoothscale::models::runtime::init()?;
    let root = match &args.models {
        Some(m) => m.clone(),
        None => args.golden.join(".."),
    };
    let mut models: HashMap<PathBuf, Model> = HashMap::new();
    let mut failed = 0;
    let total = set.cases.len();
    for case in &set.cases {
        let (name, tol) = (&case.name, case.tol_max_abs);
        match run_case(&set, case, &root, args.threads, &mut models) {
            Ok(err) => {
                let pass = err.is_finite() && f64::from(err) <= tol;
                failed += usize::from(!pass);
                let verdict = if pass { "PASS" } else { "FAIL" };
                println!("{name} max_abs_err={err:.3e} tol={tol:e} {verdict}");
            }
            Err(e) => {
                if let Some(
                    RuntimeError::LibraryMissing { .. } | RuntimeError::LibraryLoad { .. },
                ) = e.downcast_ref::<RuntimeError>()
                {
                    return Err(e);
                }
                failed += 1;
                println!("{name} max_abs_err=none tol={tol:e} FAIL ({e:#})");
            }
        }
    }
    println!("{} of {total} cases passed", total - failed);
    if failed > 0 {
        bail!("{failed} of {total} golden cases failed");
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one case and returns its max abs error against the golden output.
fn run_case(
    set: &GoldenSet,
    case: &GoldenCase,
    root: &Path,
    threads: usize,
    models: &mut HashMap<PathBuf, Model>,
) -> anyhow::Result<f32> {
    let path = case.weights_path(root)?;
    if !models.contains_key(&path) {
        let model = Model::load(&path, threads)?;
        models.insert(path.clone(), model);
    }
    let model = models.get_mut(&path).context("model cache")?;
    let want = set.tensor(case, "out")?;
    let got = match case.kind.clone().map_err(anyhow::Error::msg)? {
        CaseKind::Rife { timestep } => model.interpolate(
            &set.tensor(case, "img0")?,
            &set.tensor(case, "img1")?,
            timestep,
        )?,
        CaseKind::Upscale => model.upscale(&set.tensor(case, "input")?)?,
    };
    if got.shape != want.shape {
        bail!("output shape {:?}, golden {:?}", got.shape, want.shape);
    }
    Ok(max_abs_err(&got.data, &want.data))
}
