//! `smoothscale batch` on folders of tiny clips made with the ffmpeg CLI (CPU path, passthrough):
//! completion records, re-runs, failures, sharding, signals, kill -9 and watch mode.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// A 64x48 clip of `frames` frames at 12 fps; `hue` makes clips differ.
fn tiny(dir: &Path, name: &str, hue: u32, frames: u32) -> PathBuf {
    let src = format!("testsrc2=size=64x48:rate=12,trim=end_frame={frames}");
    let hue = format!("hue=h={hue}");
    make_clip(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &src,
            "-vf",
            &hue,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    )
}

fn batch_cmd(input: &Path, out: &Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = smoothscale();
    cmd.args(["batch", input.to_str().unwrap(), out.to_str().unwrap()])
        .args(extra);
    if !extra.contains(&"--preset") {
        cmd.args(["--preset", "ultrafast"]);
    }
    cmd
}

/// Runs a batch to its end; asserts the exit code and that nothing panicked.
fn batch(input: &Path, out: &Path, extra: &[&str], code: i32) -> Output {
    let output = batch_cmd(input, out, extra).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    output
}

/// Runs a batch with `--report` and returns input name → status.
fn statuses(input: &Path, out: &Path, extra: &[&str], code: i32) -> BTreeMap<String, String> {
    let report = out.with_extension("report.json");
    let mut args = extra.to_vec();
    args.extend(["--report", report.to_str().unwrap()]);
    batch(input, out, &args, code);
    let json: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    json["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["input"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn all(names: &[&str], status: &str) -> BTreeMap<String, String> {
    names
        .iter()
        .map(|n| (n.to_string(), status.to_string()))
        .collect()
}

/// `--dry-run`: the clips a run would count as done.
fn counted_done(input: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--dry-run"];
    args.extend_from_slice(extra);
    let output = batch(input, out, &args, 0);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("done "))
        .map(str::to_string)
        .collect()
}

/// MD5s of the decoded frames.
fn frames_md5(path: &Path) -> String {
    let text = tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            path.to_str().unwrap(),
            "-f",
            "framemd5",
            "-",
        ],
    );
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn record(out: &Path, output_name: &str) -> PathBuf {
    out.join(".smoothscale").join(format!("{output_name}.json"))
}

/// No temporary file of ours anywhere under `out`.
fn assert_no_temporaries(out: &Path) {
    assert_no_partials(out);
    let state = out.join(".smoothscale");
    if state.is_dir() {
        let tmp: Vec<_> = fs::read_dir(&state)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "{tmp:?}");
    }
}

#[test]
fn done_skip_and_redo() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    tiny(&input, "a.mp4", 0, 10);
    tiny(&input, "b.mov", 60, 10);
    tiny(&input, "c.mkv", 120, 10);
    fs::write(input.join("notes.txt"), b"not a video").unwrap();
    let names = ["a.mp4", "b.mov", "c.mkv"];

    let first = batch(&input, &out, &[], 0);
    let table = String::from_utf8_lossy(&first.stdout);
    assert!(
        table.contains("3 clips: 3 done, 0 skipped, 0 failed"),
        "{table}"
    );
    let outputs: Vec<PathBuf> = ["a.mp4", "b.mp4", "c.mp4"]
        .iter()
        .map(|n| out.join(n))
        .collect();
    for o in &outputs {
        assert_eq!(
            streams(&probe(o), "video")[0]["nb_read_frames"],
            "10",
            "{}",
            o.display()
        );
    }
    let mtimes = |o: &[PathBuf]| -> Vec<_> {
        o.iter()
            .map(|p| fs::metadata(p).unwrap().modified().unwrap())
            .collect()
    };
    let before = mtimes(&outputs);

    assert_eq!(statuses(&input, &out, &[], 0), all(&names, "skipped"));
    assert_eq!(mtimes(&outputs), before, "skipped outputs are untouched");
    assert_eq!(
        statuses(&input, &out, &["--crf", "30"], 0),
        all(&names, "done"),
        "changed options"
    );
    assert_eq!(
        statuses(&input, &out, &["--crf", "30"], 0),
        all(&names, "skipped")
    );

    // A changed input, a truncated output and a missing record: only those are redone.
    let old_b = dir.path().join("old_b.mov");
    fs::copy(input.join("b.mov"), &old_b).unwrap();
    tiny(&input, "b.mov", 200, 10);
    let a = fs::OpenOptions::new()
        .write(true)
        .open(&outputs[0])
        .unwrap();
    a.set_len(fs::metadata(&outputs[0]).unwrap().len() / 2)
        .unwrap();
    drop(a);
    fs::remove_file(record(&out, "c.mp4")).unwrap();
    assert_eq!(
        counted_done(&input, &out, &["--crf", "30"]),
        Vec::<String>::new()
    );
    assert_eq!(
        statuses(&input, &out, &["--crf", "30"], 0),
        all(&names, "done")
    );
    let (new, old) = (
        psnr(&outputs[1], &input.join("b.mov")),
        psnr(&outputs[1], &old_b),
    );
    assert!(
        new > old + 3.0,
        "b is made from the new input: {new} dB vs {old} dB"
    );
    // A replaced output of the same size is not the recorded one either.
    let size = fs::metadata(&outputs[2]).unwrap().len() as usize;
    fs::write(&outputs[2], vec![0u8; size]).unwrap();
    let mut expect = all(&names, "skipped");
    expect.insert("c.mkv".into(), "done".into());
    assert_eq!(statuses(&input, &out, &["--crf", "30"], 0), expect);
    assert_no_temporaries(&out);
}

#[test]
fn a_corrupt_clip_fails_and_the_others_are_done() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    tiny(&input, "a.mp4", 0, 10);
    fs::write(input.join("bad.mp4"), b"this is not a video at all").unwrap();
    tiny(&input, "c.mp4", 90, 10);
    let report = dir.path().join("report.json");
    let output = batch(&input, &out, &["--report", report.to_str().unwrap()], 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].starts_with("error: bad.mp4: "), "{stderr}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("bad.mp4") && l.contains("failed")),
        "{table}"
    );
    assert!(
        table.contains("3 clips: 2 done, 0 skipped, 1 failed"),
        "{table}"
    );
    let json: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        (json["done"].as_u64(), json["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let bad = &json["clips"][1];
    assert_eq!(
        (bad["input"].as_str(), bad["status"].as_str()),
        (Some("bad.mp4"), Some("failed"))
    );
    assert!(!bad["error"].as_str().unwrap().is_empty());
    assert_eq!(json["clips"][2]["output_frames"], 10);
    assert!(json["clips"][2]["output_frames_per_s"].as_f64().unwrap() > 0.0);
    assert!(out.join("a.mp4").is_file() && out.join("c.mp4").is_file());
    assert!(!out.join("bad.mp4").exists() && !record(&out, "bad.mp4").exists());
    assert_no_temporaries(&out);
    // The failure is retried, the rest skipped, and the exit code still says so.
    let mut expect = all(&["a.mp4", "c.mp4"], "skipped");
    expect.insert("bad.mp4".into(), "failed".into());
    assert_eq!(statuses(&input, &out, &[], 1), expect);
}

#[test]
fn shards_in_parallel_do_every_clip_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    let first = tiny(&input, "clip00.mp4", 0, 10);
    let names: Vec<String> = (0..12).map(|i| format!("clip{i:02}.mp4")).collect();
    for name in &names[1..] {
        fs::copy(&first, input.join(name)).unwrap();
    }
    let n = 3;
    let children: Vec<(PathBuf, Child)> = (0..n)
        .map(|i| {
            let report = dir.path().join(format!("shard{i}.json"));
            let shard = format!("{i}/{n}");
            let child = batch_cmd(
                &input,
                &out,
                &["--shard", &shard, "--report", report.to_str().unwrap()],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
            (report, child)
        })
        .collect();
    let mut done = Vec::new();
    for (report, child) in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && !stderr.contains("panicked"),
            "{stderr}"
        );
        let json: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
        for clip in json["clips"].as_array().unwrap() {
            assert_eq!(clip["status"], "done");
            done.push(clip["input"].as_str().unwrap().to_string());
        }
    }
    let unique: BTreeSet<_> = done.iter().cloned().collect();
    assert_eq!(unique.len(), done.len(), "no clip twice: {done:?}");
    assert_eq!(unique, names.iter().cloned().collect(), "every clip once");
    for name in &names {
        assert!(record(&out, name).is_file(), "{name}");
    }
    // `auto`: the same share from a Kubernetes Indexed Job's or a Slurm array's environment.
    let shard1: BTreeSet<String> = {
        let json: Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join("shard1.json")).unwrap())
                .unwrap();
        json["clips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["input"].as_str().unwrap().to_string())
            .collect()
    };
    let envs: [&[(&str, &str)]; 2] = [
        &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")],
        &[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    ];
    for env in envs {
        let output = batch_cmd(&input, &out, &["--shard", "auto", "--dry-run"])
            .env_remove_all_shard_vars()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let listed: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| l.strip_prefix("done ").expect("all done").to_string())
            .collect();
        assert_eq!(listed, shard1, "{env:?}");
    }
    let none = batch_cmd(&input, &out, &["--shard", "auto"])
        .env_remove_all_shard_vars()
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: --shard auto:") && stderr.contains("SLURM_ARRAY_TASK_ID"),
        "{stderr}"
    );
    let bad = batch_cmd(&input, &out, &["--shard", "3/3"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "bad usage");
}

#[test]
fn two_unsharded_batches_at_once_never_do_a_clip_twice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    let first = tiny(&input, "c0.mp4", 0, 10);
    let names: Vec<String> = (0..6).map(|i| format!("c{i}.mp4")).collect();
    for name in &names[1..] {
        fs::copy(&first, input.join(name)).unwrap();
    }
    let reports: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("r{i}.json")))
        .collect();
    let children: Vec<Child> = reports
        .iter()
        .map(|r| {
            batch_cmd(&input, &out, &["--report", r.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let mut done = Vec::new();
    for report in &reports {
        let json: Value = serde_json::from_str(&fs::read_to_string(report).unwrap()).unwrap();
        for clip in json["clips"].as_array().unwrap() {
            match clip["status"].as_str().unwrap() {
                "done" => done.push(clip["input"].as_str().unwrap().to_string()),
                "busy" | "skipped" => {}
                other => panic!("{other}: {clip}"),
            }
        }
    }
    done.sort();
    assert_eq!(done, names, "each clip done by exactly one of the two");
}

/// Removes the variables `--shard auto` reads (the test may itself run in an array job).
trait NoShardEnv {
    fn env_remove_all_shard_vars(&mut self) -> &mut Self;
}

impl NoShardEnv for std::process::Command {
    fn env_remove_all_shard_vars(&mut self) -> &mut Self {
        for var in [
            "JOB_COMPLETION_INDEX",
            "JOB_COMPLETIONS",
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_STEP",
            "SLURM_ARRAY_TASK_COUNT",
        ] {
            self.env_remove(var);
        }
        self
    }
}

#[test]
fn sigint_stops_the_clip_in_progress_and_leaves_no_partial() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    tiny(&input, "a.mp4", 0, 10);
    make_clip(
        &input,
        "b.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30:duration=10",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
    );
    let mut child = batch_cmd(&input, &out, &["--preset", "veryslow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    fs::create_dir_all(&out).unwrap();
    wait_for_partial(&out, &mut child);
    std::thread::sleep(Duration::from_millis(200));
    tool("kill", &["-INT", &child.id().to_string()]);
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stopped = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    eprintln!("stopped {stopped:?} after SIGINT");
    assert!(stopped < Duration::from_secs(1), "stopped in {stopped:?}");
    assert!(stderr.contains("b.mp4: interrupted"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("interrupted"));
    assert!(out.join("a.mp4").is_file() && record(&out, "a.mp4").is_file());
    assert!(!out.join("b.mp4").exists() && !record(&out, "b.mp4").exists());
    assert_no_temporaries(&out);
}

/// A small deterministic generator (xorshift64*), so a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing_and_fakes_nothing() {
    let seed: u64 = std::env::var("SMOOTHSCALE_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("kill -9 trials: seed {seed} (replay with SMOOTHSCALE_KILL_SEED={seed})");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    let names = ["a.mp4", "b.mp4", "c.mp4", "d.mp4"];
    for (i, name) in names.iter().enumerate() {
        tiny(&input, name, 40 * i as u32, 40);
    }
    // Clean runs with the two option sets the trials alternate between, so each trial replaces
    // the outputs and records of the other. A slow preset keeps most of a run inside the clips
    // rather than in the process start.
    let crfs = ["20", "35"];
    let mut reference: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut full = Duration::ZERO;
    for crf in crfs {
        let clean = dir.path().join(format!("clean{crf}"));
        let started = Instant::now();
        batch(
            &input,
            &clean,
            &["--crf", crf, "-q", "--preset", "veryslow"],
            0,
        );
        full = full.max(started.elapsed());
        for name in names {
            reference.insert((crf, name), frames_md5(&clean.join(name)));
        }
    }
    assert_ne!(reference[&("20", "a.mp4")], reference[&("35", "a.mp4")]);
    let out = dir.path().join("out");
    let millis = full.as_millis() as u64 + 1;
    let mut killed_mid_clip = 0;
    for trial in 0..16 {
        let crf = crfs[trial % 2];
        let delay = rng.next() % millis;
        eprintln!("trial {trial}: crf {crf}, SIGKILL after {delay} ms");
        let mut child = batch_cmd(&input, &out, &["--crf", crf, "-q", "--preset", "veryslow"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        let partials = fs::read_dir(&out)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count();
        killed_mid_clip += usize::from(partials > 0);
        eprintln!("  {partials} temporary output(s) left by the kill");
        // Whatever either option set would count as done must be exactly its clean output.
        for check in crfs {
            let done = counted_done(&input, &out, &["--crf", check, "--preset", "veryslow"]);
            eprintln!("  after the kill, counted done with crf {check}: {done:?}");
            for name in done {
                let got = frames_md5(&out.join(&name));
                assert_eq!(
                    got,
                    reference[&(check, name.as_str())],
                    "trial {trial}: {name} counted done for crf {check}"
                );
            }
        }
        batch(
            &input,
            &out,
            &["--crf", crf, "-q", "--preset", "veryslow"],
            0,
        );
        for name in names {
            assert_eq!(
                frames_md5(&out.join(name)),
                reference[&(crf, name)],
                "trial {trial}: {name}"
            );
        }
        assert_eq!(
            counted_done(&input, &out, &["--crf", crf, "--preset", "veryslow"]).len(),
            names.len()
        );
        assert_no_temporaries(&out);
    }
    // Most moments of a run are inside a clip; if no kill landed there, the trials tested little.
    assert!(
        killed_mid_clip > 0,
        "no kill interrupted a clip (seed {seed})"
    );
}

#[test]
fn watch_takes_new_files_once_settled_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let out = dir.path().join("out");
    fs::create_dir(&input).unwrap();
    let mut child = batch_cmd(
        &input,
        &out,
        &["--watch", "--settle", "0.5", "--poll", "0.1"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // Written elsewhere and moved in, as a finished upload would be.
    let clip = tiny(dir.path(), "new.mp4", 0, 10);
    fs::rename(&clip, input.join("new.mp4")).unwrap();
    let started = Instant::now();
    while !record(&out, "new.mp4").is_file() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "watch mode ended by itself"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the new file was not processed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    tool("kill", &["-TERM", &child.id().to_string()]);
    let signalled = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(1),
        "{:?}",
        signalled.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("1 clips: 1 done, 0 skipped, 0 failed"),
        "processed once: {table}"
    );
    assert_eq!(
        streams(&probe(&out.join("new.mp4")), "video")[0]["nb_read_frames"],
        "10"
    );
}
