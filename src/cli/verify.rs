//! `smoothscale verify`: runs golden cases through the CPU runner and reports their errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use serde_json::Value;

use smoothscale::models::npy;
use smoothscale::models::runtime::{Model, RuntimeError};
use smoothscale::models::weights::Tensor;

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
    let manifest_path = args.golden.join("manifest.json");
    if !manifest_path.is_file() {
        bail!(
            "no golden folder at {} (missing manifest.json)",
            args.golden.display()
        );
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    let Some(cases) = manifest["cases"].as_array().filter(|c| !c.is_empty()) else {
        bail!("{} lists no cases", manifest_path.display());
    };
    smoothscale::models::runtime::init()?;
    let root = match &args.models {
        Some(m) => m.clone(),
        None => args.golden.join(".."),
    };
    let mut models: HashMap<PathBuf, Model> = HashMap::new();
    let mut failed = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let tol = case["tol_max_abs"].as_f64().unwrap_or(0.0);
        match run_case(case, &args.golden, &root, args.threads, &mut models) {
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
    println!("{} of {} cases passed", cases.len() - failed, cases.len());
    if failed > 0 {
        bail!("{failed} of {} golden cases failed", cases.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one case and returns its max abs error against the golden output.
fn run_case(
    case: &Value,
    golden: &Path,
    root: &Path,
    threads: usize,
    models: &mut HashMap<PathBuf, Model>,
) -> anyhow::Result<f32> {
    let weights = case["weights_file"]
        .as_str()
        .context("case has no weights_file")?;
    let mut path = root.join(weights);
    if !path.exists() {
        // `--models` may point at the models folder itself.
        if let Some(rest) = weights.strip_prefix("models/") {
            path = root.join(rest);
        }
    }
    if !models.contains_key(&path) {
        let model = Model::load(&path, threads)?;
        models.insert(path.clone(), model);
    }
    let model = models.get_mut(&path).context("model cache")?;
    let load = |key: &str| -> anyhow::Result<Tensor> {
        let file = case["tensors"][key]["file"]
            .as_str()
            .with_context(|| format!("case has no tensor {key:?}"))?;
        if Path::new(file).is_absolute() || file.split(['/', '\\']).any(|c| c == "..") {
            bail!("tensor path {file:?} leaves the golden folder");
        }
        Ok(npy::read(&golden.join(file))?)
    };
    let want = load("out")?;
    let got = match case["kind"].as_str() {
        Some("rife") => {
            let t = case["timestep"]
                .as_f64()
                .context("RIFE case has no timestep")?;
            model.interpolate(&load("img0")?, &load("img1")?, t as f32)?
        }
        Some(_) => model.upscale(&load("input")?)?,
        None => bail!("case has no kind"),
    };
    if got.shape != want.shape {
        bail!("output shape {:?}, golden {:?}", got.shape, want.shape);
    }
    Ok(got
        .data
        .iter()
        .zip(&want.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, |m, d| {
            if d.is_nan() || m.is_nan() {
                f32::NAN
            } else {
                m.max(d)
            }
        }))
}
