//! Comparing a bench report with a baseline: the two must describe the same workload on the same
//! machine; then each stage's median time per frame is compared against a tolerance.

use std::fmt::Write as _;

use serde_json::Value;

use super::stages::StageStatus;
use super::{BenchError, BenchReport};

/// The first place where two JSON values differ: (path, baseline, now).
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let (u, v) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                first_difference(&format!("{path}.{k}"), u, v)
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(&format!("{path}[{i}]"), u, v)),
        _ if a == b => None,
        _ => Some((path.to_string(), a.to_string(), b.to_string())),
    }
}

/// Checks that `baseline` and `now` measured the same backend and workload on the same machine
/// (CPU model, logical CPUs, architecture and GPU name; the OS and kernel may differ).
pub fn check_compatible(baseline: &BenchReport, now: &BenchReport) -> Result<(), BenchError> {
    let workload = first_difference(
        "workload",
        &to_json(&baseline.workload),
        &to_json(&now.workload),
    );
    let backend = || {
        first_difference(
            "backend",
            &to_json(&baseline.backend),
            &to_json(&now.backend),
        )
    };
    if let Some((field, baseline, now)) = workload.or_else(backend) {
        return Err(BenchError::WorkloadMismatch {
            field,
            baseline,
            now,
        });
    }
    let key = |r: &BenchReport| {
        serde_json::json!({
            "cpu_model": r.machine.cpu_model,
            "logical_cpus": r.machine.logical_cpus,
            "arch": r.machine.arch,
            "gpu": r.machine.gpu.as_ref().map(|g| g.name.clone()),
        })
    };
    match first_difference("machine", &key(baseline), &key(now)) {
        Some((field, baseline, now)) => Err(BenchError::MachineMismatch {
            field,
            baseline,
            now,
        }),
        None => Ok(()),
    }
}

/// `v` as a JSON value (`null` if it cannot be serialised, which our types never fail).
fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// One stage of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub stage: String,
    /// Median seconds per frame, when measured.
    pub baseline_s: Option<f64>,
    pub now_s: Option<f64>,
    /// `now / baseline - 1`, in percent.
    pub change_pct: Option<f64>,
    pub regressed: bool,
}

/// Every stage of the current report against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub tolerance_pct: f64,
    pub rows: Vec<Row>,
}

fn per_frame(report: &BenchReport, stage: &str) -> Option<f64> {
    report
        .stages
        .iter()
        .find(|s| s.name == stage && s.status == StageStatus::Measured)
        .and_then(|s| s.per_frame_s)
}

/// Compares each stage's time per frame; slower than the baseline by more than `tolerance_pct`
/// percent is a regression. A stage skipped on either side is listed but not compared.
pub fn compare(baseline: &BenchReport, now: &BenchReport, tolerance_pct: f64) -> Comparison {
    let rows = now
        .stages
        .iter()
        .map(|s| {
            let (b, n) = (per_frame(baseline, &s.name), per_frame(now, &s.name));
            let change_pct = b
                .zip(n)
                .filter(|(b, _)| *b > 0.0)
                .map(|(b, n)| (n / b - 1.0) * 100.0);
            Row {
                stage: s.name.clone(),
                baseline_s: b,
                now_s: n,
                change_pct,
                regressed: change_pct.is_some_and(|c| c > tolerance_pct),
            }
        })
        .collect();
    Comparison {
        tolerance_pct,
        rows,
    }
}

impl Comparison {
    /// The stages slower than the tolerance allows.
    pub fn regressions(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| r.regressed).collect()
    }

    /// A text table: stage, baseline, now (seconds per frame), change.
    pub fn table(&self) -> String {
        let secs = |v: Option<f64>| v.map_or("skipped".into(), |s| format!("{s:.5} s"));
        let mut out = format!(
            "{:<20} {:>14} {:>14} {:>9}\n",
            "stage", "baseline/frame", "now/frame", "change"
        );
        for r in &self.rows {
            let change = r.change_pct.map_or("-".into(), |c| format!("{c:+.1}%"));
            let flag = if r.regressed { "  REGRESSION" } else { "" };
            let _ = writeln!(
                out,
                "{:<20} {:>14} {:>14} {:>9}{flag}",
                r.stage,
                secs(r.baseline_s),
                secs(r.now_s),
                change
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{Backend, Machine, Settings, StageResult, Workload};
    use serde_json::json;

    fn report(times: &[(&str, Option<f64>)]) -> BenchReport {
        let machine = Machine {
            cpu_model: Some("Test CPU".into()),
            logical_cpus: Some(2),
            available_cpus: Some(2),
            memory_bytes: None,
            os: None,
            kernel: Some("6.12".into()),
            arch: "x86_64".into(),
            gpu: None,
        };
        let settings = Settings {
            repeat: 1,
            warmup: 0,
        };
        let mut r = BenchReport::empty(Backend::Cpu, settings, machine, Workload::cpu_small(0));
        r.stages = times
            .iter()
            .map(|&(name, t)| StageResult {
                name: name.into(),
                status: match t {
                    Some(_) => StageStatus::Measured,
                    None => StageStatus::Skipped,
                },
                reason: t.is_none().then(|| "absent".into()),
                frames: 1,
                runs_s: t.into_iter().collect(),
                median_s: t,
                per_frame_s: t,
                frames_per_s: t.map(|t| 1.0 / t),
                host_peak_bytes: None,
                device_peak_bytes: None,
                gpu: None,
            })
            .collect();
        r
    }

    #[test]
    fn slower_beyond_the_tolerance_is_a_regression() {
        let base = report(&[("decode", Some(1.0)), ("rife", Some(1.0)), ("encode", None)]);
        let now = report(&[
            ("decode", Some(1.1)),
            ("rife", Some(1.2)),
            ("encode", Some(1.0)),
        ]);
        let c = compare(&base, &now, 15.0);
        let names: Vec<&str> = c.regressions().iter().map(|r| r.stage.as_str()).collect();
        assert_eq!(names, ["rife"]);
        assert!((c.rows[0].change_pct.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(c.rows[2].change_pct, None, "skipped in the baseline");
        let table = c.table();
        assert!(
            table.contains("REGRESSION") && table.contains("skipped"),
            "{table}"
        );
        assert!(compare(&base, &now, 25.0).regressions().is_empty());
        assert!(
            compare(&now, &base, 0.0).regressions().is_empty(),
            "faster is fine"
        );
    }

    #[test]
    fn another_workload_or_machine_is_refused() {
        let base = report(&[]);
        assert!(check_compatible(&base, &base.clone()).is_ok());
        let mut now = base.clone();
        now.workload.threads = 2;
        match check_compatible(&base, &now) {
            Err(BenchError::WorkloadMismatch { field, .. }) => {
                assert_eq!(field, "workload.threads")
            }
            other => panic!("{other:?}"),
        }
        let mut now = base.clone();
        now.machine.cpu_model = Some("Other CPU".into());
        assert!(matches!(
            check_compatible(&base, &now),
            Err(BenchError::MachineMismatch { .. })
        ));
        let mut now = base.clone();
        now.machine.kernel = Some("6.13".into());
        assert!(
            check_compatible(&base, &now).is_ok(),
            "a kernel update is the same machine"
        );
    }

    #[test]
    fn first_difference_names_the_path() {
        let a = json!({"clips": [{"width": 256}], "name": "cpu-small"});
        let b = json!({"clips": [{"width": 128}], "name": "cpu-small"});
        assert_eq!(
            first_difference("workload", &a, &b),
            Some(("workload.clips[0].width".into(), "256".into(), "128".into()))
        );
        assert_eq!(first_difference("w", &a, &a), None);
        let c = json!({"clips": [], "name": "cpu-small"});
        assert_eq!(first_difference("w", &a, &c).unwrap().0, "w.clips");
    }
}
