//! Replays the saved fuzz inputs through the fuzz targets' own entry points (`fuzz/src/lib.rs`,
//! included by path so nothing differs from what the fuzzer ran): every crash the fuzzers found,
//! and a few minimized corpus inputs, in `tests/fuzz-regressions/<target>/`; and the seeds of
//! `fuzz/seeds/<target>/`. A file named `accept-*` must be accepted, one named `reject-*` (every
//! crash input among them) refused with an error; none may panic. See docs/fuzzing.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use smoothscale::models::checkpoint::{read_ncnn_bytes, read_state_dict, read_torch_bytes, Limits};
use smoothscale::tensorrt::{manifest_from_bytes, read_manifest};

#[path = "../fuzz/src/lib.rs"]
mod harness;

/// A fuzz entry point: true when the input was accepted.
type Target = fn(&[u8]) -> bool;

const TARGETS: [(&str, Target); 4] = [
    ("checkpoint", harness::checkpoint),
    ("ncnn", harness::ncnn),
    ("engine_manifest", harness::engine_manifest),
    ("annexb", harness::annexb),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn regression_inputs_are_refused_or_accepted_as_named() {
    let mut seen = 0;
    for (target, run) in TARGETS {
        for path in files(&root().join("tests/fuzz-regressions").join(target)) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let data = std::fs::read(&path).unwrap();
            let accepted = run(&data);
            if name.starts_with("accept-") {
                assert!(accepted, "{target}/{name} should be accepted");
            } else if name.starts_with("reject-") {
                assert!(!accepted, "{target}/{name} should be refused");
            } else {
                panic!("{target}/{name}: name it accept-* or reject-*");
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no regression inputs found");
}

#[test]
fn seeds_run_without_panicking() {
    for (target, run) in TARGETS {
        let seeds = files(&root().join("fuzz/seeds").join(target));
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for path in seeds {
            run(&std::fs::read(&path).unwrap());
        }
    }
}

#[test]
fn byte_entry_points_agree_with_the_path_readers() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    // torch: a seed archive (mode byte 0, then the zip), and a wrapped real pickle.
    let seeds = root().join("fuzz/seeds/checkpoint");
    let zip = std::fs::read(seeds.join("zip-three-dtypes")).unwrap()[1..].to_vec();
    let pickle = std::fs::read(seeds.join("pickle-views")).unwrap()[1..].to_vec();
    for (name, bytes) in [("a.pth", zip), ("b.pth", harness::torch_archive(&pickle))] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let from_bytes = read_torch_bytes(&bytes, &limits).unwrap();
        let (from_path, _) = read_state_dict(&p, &limits).unwrap();
        assert_eq!(from_bytes, from_path, "{name}");
        assert!(!from_bytes.is_empty());
    }
    // ncnn: .param text, NUL, .bin.
    let seed = std::fs::read(root().join("fuzz/seeds/ncnn/srvgg-x4-small")).unwrap();
    let nul = seed.iter().position(|&b| b == 0).unwrap();
    let (param, bin) = (&seed[..nul], &seed[nul + 1..]);
    std::fs::write(dir.path().join("m.param"), param).unwrap();
    std::fs::write(dir.path().join("m.bin"), bin).unwrap();
    let from_bytes = read_ncnn_bytes(param, bin, &limits).unwrap();
    let (from_path, _) = read_state_dict(&dir.path().join("m.param"), &limits).unwrap();
    assert_eq!(from_bytes, from_path);
    // The .param size limit applies to the bytes too.
    let tiny = Limits {
        max_param_bytes: 10,
        ..Limits::default()
    };
    assert!(read_ncnn_bytes(param, bin, &tiny).is_err());
    // Engine manifests: the same manifest, and the same refusal of a malformed one.
    let json = std::fs::read(root().join("fuzz/seeds/engine_manifest/valid")).unwrap();
    let p = dir.path().join("e.json");
    std::fs::write(&p, &json).unwrap();
    assert_eq!(
        manifest_from_bytes(&json).unwrap(),
        read_manifest(&p).unwrap()
    );
    assert!(manifest_from_bytes(&json[..json.len() / 2]).is_err());
    assert!(manifest_from_bytes(&vec![b' '; 64 * 1024 + 1]).is_err());
}

/// Pickles past the fuzzers' input sizes, found by reading the code while they ran: they must be
/// refused (or read) in bounded memory and time. Before the fixes the first copied 1.8 GB of
/// strings and the second took minutes (quadratic appends).
#[test]
fn large_pickles_stay_bounded() {
    let check = |pickle: Vec<u8>, accepted: bool| {
        let start = Instant::now();
        let mut input = vec![1u8];
        input.extend_from_slice(&pickle);
        assert_eq!(harness::checkpoint(&input), accepted);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
    };
    // A 60 000-character string memoized once and read 30 000 times.
    let mut p = b"\x80\x02X".to_vec();
    p.extend_from_slice(&60_000u32.to_le_bytes());
    p.extend(std::iter::repeat_n(b'a', 60_000));
    p.extend_from_slice(b"q\x00(");
    for _ in 0..30_000 {
        p.extend_from_slice(b"h\x00");
    }
    p.extend_from_slice(b"t.");
    check(p, false);
    // 200 000 single APPENDs to one list, then an empty state_dict.
    let mut p = b"\x80\x02]".to_vec();
    for _ in 0..200_000 {
        p.extend_from_slice(b"K\x00a");
    }
    p.extend_from_slice(b"0}.");
    check(p, true);
}
