//! The CPU runner (ONNX Runtime, loaded at run time) against the golden outputs in `../shared`,
//! and the `export-onnx` / `verify` commands of the binary.
//!
//! Needs the library (`scripts/fetch-onnxruntime`) and `../shared`; skips with a reason otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use smoothscale::models::npy;
use smoothscale::models::runtime::{
    library_location, CpuSession, Model, ModelKind, RuntimeError, TensorView,
};
use smoothscale::models::weights::Tensor;

const BIN: &str = env!("CARGO_BIN_EXE_smoothscale");

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The shared folder, when both it and the ONNX Runtime library are present.
fn ready() -> Option<PathBuf> {
    let dir = shared();
    if !dir.join("golden/manifest.json").is_file() {
        eprintln!("skipping: {} not found (golden data absent)", dir.display());
        return None;
    }
    match library_location() {
        Ok(loc) if loc.path.is_file() => Some(dir),
        Ok(loc) => {
            eprintln!(
                "skipping: ONNX Runtime library absent at {} (run scripts/fetch-onnxruntime)",
                loc.path.display()
            );
            None
        }
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

fn cases(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("golden/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["cases"].as_array().unwrap().clone()
}

fn tensor(dir: &Path, case: &serde_json::Value, key: &str) -> Tensor {
    let file = case["tensors"][key]["file"].as_str().unwrap();
    npy::read(&dir.join("golden").join(file)).unwrap()
}

fn max_abs(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape, b.shape);
    a.data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

const X2: &str = "golden/rrdbnet_x2_random_nf32_nb2_gc16.pth";

#[test]
fn golden_cases_match_through_model() {
    let Some(dir) = ready() else { return };
    let mut checked = 0;
    for case in cases(&dir) {
        let name = case["name"].as_str().unwrap();
        let tol = case["tol_max_abs"].as_f64().unwrap() as f32;
        let mut model = Model::load(&dir.join(case["weights_file"].as_str().unwrap()), 2).unwrap();
        let got = if case["kind"] == "rife" {
            assert_eq!(model.kind(), ModelKind::Rife);
            let t = case["timestep"].as_f64().unwrap() as f32;
            let (a, b) = (tensor(&dir, &case, "img0"), tensor(&dir, &case, "img1"));
            model.interpolate(&a, &b, t).unwrap()
        } else {
            model.upscale(&tensor(&dir, &case, "input")).unwrap()
        };
        let err = max_abs(&got, &tensor(&dir, &case, "out"));
        eprintln!("golden {name}: max abs {err:e} (tol {tol:e})");
        assert!(err <= tol, "{name}: max abs {err} > {tol}");
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn cpu_session_checks_names_and_shapes() {
    let Some(dir) = ready() else { return };
    let loaded = smoothscale::models::checkpoint::load(&dir.join(X2)).unwrap();
    let (_, bytes) = smoothscale::models::runtime::graph_for(
        loaded.architecture,
        &loaded.state_dict,
        smoothscale::models::onnx::GraphShape::fixed(8, 8),
    )
    .unwrap();
    let mut s = CpuSession::new(&bytes, 1).unwrap();
    assert_eq!(s.input_names(), ["input"]);
    assert_eq!(s.output_names(), ["out"]);
    let data = vec![0.5f32; 3 * 8 * 8];
    let shape = [1, 3, 8, 8];
    let view = TensorView {
        shape: &shape,
        data: &data,
    };
    let out = s.run(&[("input", view)]).unwrap();
    assert_eq!(out[0].shape, [1, 3, 16, 16]);
    let e = s.run(&[("img0", view)]).unwrap_err();
    assert!(matches!(e, RuntimeError::Names { .. }), "{e}");
    let e = s.run(&[("input", view), ("input", view)]).unwrap_err();
    assert!(matches!(e, RuntimeError::Names { .. }), "{e}");
    let short = TensorView {
        shape: &shape,
        data: &data[1..],
    };
    let e = s.run(&[("input", short)]).unwrap_err();
    assert!(matches!(e, RuntimeError::BadInput { .. }), "{e}");
    let odd = [1, 3, 4, 16];
    let e = s
        .run(&[(
            "input",
            TensorView {
                shape: &odd,
                data: &data,
            },
        )])
        .unwrap_err();
    assert!(matches!(e, RuntimeError::Ort(_)), "{e}");
    assert!(s
        .expect_names(&["img0", "img1", "timestep"], &["out"])
        .is_err());
    // Not a graph at all.
    assert!(matches!(
        CpuSession::new(b"not onnx", 1),
        Err(RuntimeError::Ort(_))
    ));
}

#[test]
fn wrong_kind_and_bad_images_are_errors() {
    let Some(dir) = ready() else { return };
    let mut up = Model::load(&dir.join(X2), 1).unwrap();
    assert_eq!(up.kind(), ModelKind::Upscaler { pad_multiple: 2 });
    let img = Tensor {
        shape: vec![1, 3, 5, 7],
        data: vec![0.25; 105],
    };
    let e = up.interpolate(&img, &img, 0.5).unwrap_err();
    assert!(matches!(e, RuntimeError::WrongKind(..)), "{e}");
    // Odd sizes are reflection-padded for the unshuffle, then cropped back.
    assert_eq!(up.upscale(&img).unwrap().shape, [1, 3, 10, 14]);
    let gray = Tensor {
        shape: vec![1, 1, 4, 4],
        data: vec![0.0; 16],
    };
    assert!(matches!(
        up.upscale(&gray),
        Err(RuntimeError::BadInput { .. })
    ));

    let mut rife = Model::load(&dir.join("models/rife-v4.25/flownet.pkl"), 2).unwrap();
    let e = rife.upscale(&img).unwrap_err();
    assert!(matches!(e, RuntimeError::WrongKind(..)), "{e}");
    let other = Tensor {
        shape: vec![1, 3, 5, 8],
        data: vec![0.0; 120],
    };
    assert!(matches!(
        rife.interpolate(&img, &other, 0.5),
        Err(RuntimeError::BadInput { .. })
    ));
    // A model file that is not a model.
    let not_model = dir.join("golden/manifest.json");
    assert!(matches!(
        Model::load(&not_model, 1),
        Err(RuntimeError::Checkpoint(_))
    ));
}

fn run_bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn export_onnx_then_run_the_file_and_verify() {
    let Some(dir) = ready() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let onnx = tmp.path().join("x2.onnx");
    let x2 = dir.join(X2);
    let out = run_bin(
        &[
            "export-onnx",
            "--model",
            x2.to_str().unwrap(),
            "--out",
            onnx.to_str().unwrap(),
        ],
        &[],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("input") && stdout.contains("[batch, 3, height, width]"),
        "{stdout}"
    );
    assert!(stdout.contains("out"), "{stdout}");
    // No temporary file left next to it.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

    // The written file runs through Model as is and matches the golden output.
    let case = cases(&dir)
        .into_iter()
        .find(|c| c["name"] == "esrgan_x2_random_40x36")
        .unwrap();
    let mut model = Model::load(&onnx, 1).unwrap();
    let got = model.upscale(&tensor(&dir, &case, "input")).unwrap();
    assert!(max_abs(&got, &tensor(&dir, &case, "out")) <= 1e-4);
    assert!(matches!(
        model.interpolate(&got, &got, 0.5),
        Err(RuntimeError::WrongKind(..))
    ));

    // Fixed size, and RIFE's multiple-of-64 rule.
    let fixed = tmp.path().join("fixed.onnx");
    let out = run_bin(
        &[
            "export-onnx",
            "--model",
            x2.to_str().unwrap(),
            "--out",
            fixed.to_str().unwrap(),
            "--height",
            "36",
            "--width",
            "40",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("[batch, 3, 36, 40]"),
        "{}",
        text(&out.stdout)
    );
    let rife = dir.join("models/rife-v4.25/flownet.pkl");
    let bad = tmp.path().join("rife.onnx");
    let out = run_bin(
        &[
            "export-onnx",
            "--model",
            rife.to_str().unwrap(),
            "--out",
            bad.to_str().unwrap(),
            "--height",
            "100",
            "--width",
            "64",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("multiples of 64"),
        "{}",
        text(&out.stderr)
    );
    assert!(!bad.exists());

    // verify over the whole golden folder.
    let golden = dir.join("golden");
    let out = run_bin(&["verify", "--golden", golden.to_str().unwrap()], &[]);
    let stdout = text(&out.stdout);
    eprintln!("{stdout}");
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        stdout.matches("PASS").count(),
        cases(&dir).len(),
        "{stdout}"
    );
    assert!(!stdout.contains("FAIL"));
}

#[test]
fn verify_fails_on_missing_folder_and_bad_output() {
    let Some(dir) = ready() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = run_bin(
        &[
            "verify",
            "--golden",
            tmp.path().join("nope").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no golden folder"),
        "{}",
        text(&out.stderr)
    );

    // One case whose expected output is altered: FAIL and exit 1.
    let case = cases(&dir)
        .into_iter()
        .find(|c| c["name"] == "esrgan_x2_random_40x36")
        .unwrap();
    let g = tmp.path().join("golden");
    let cdir = g.join("esrgan_x2_random_40x36");
    std::fs::create_dir_all(&cdir).unwrap();
    let src = dir.join("golden/esrgan_x2_random_40x36");
    std::fs::copy(src.join("input.npy"), cdir.join("input.npy")).unwrap();
    let mut bytes = std::fs::read(src.join("out.npy")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40; // flips an exponent bit of the last value
    std::fs::write(cdir.join("out.npy"), bytes).unwrap();
    let manifest = serde_json::json!({ "cases": [case] });
    std::fs::write(g.join("manifest.json"), manifest.to_string()).unwrap();
    let out = run_bin(
        &[
            "verify",
            "--golden",
            g.to_str().unwrap(),
            "--models",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL") && !stdout.contains("PASS"),
        "{stdout}"
    );
}

#[test]
fn missing_or_broken_library_is_a_clear_error() {
    let dir = shared();
    if !dir.join("golden/manifest.json").is_file() {
        eprintln!("skipping: {} not found (golden data absent)", dir.display());
        return;
    }
    let golden = dir.join("golden");
    let missing = "/nonexistent/smoothscale-test/libonnxruntime.so.1.31.1";
    let not_a_lib = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    for (lib, expect) in [(missing, "fetch-onnxruntime"), (not_a_lib, "cannot load")] {
        let out = run_bin(
            &["verify", "--golden", golden.to_str().unwrap()],
            &[("SMOOTHSCALE_ORT_LIB", lib)],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing runs without the library");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(lib) && stderr.contains(expect), "{stderr}");
    }
}

/// A smooth pattern in [0, 1] that differs between `seed`s.
fn pattern(seed: f32, h: usize, w: usize) -> Tensor {
    let data = (0..3 * h * w)
        .map(|i| {
            let (c, y, x) = (i / (h * w), (i / w) % h, i % w);
            0.5 + 0.45
                * ((x as f32 * 0.11 + seed) * (c as f32 + 1.0)).sin()
                * (y as f32 * 0.07).cos()
        })
        .collect();
    Tensor {
        shape: vec![1, 3, h, w],
        data,
    }
}

/// The runner's split graphs (encoder + flow part, warping with the CPU runner's own operator)
/// against the whole graph as exported for TensorRT (standard `GridSample`).
#[test]
fn rife_split_into_encoder_and_flow_matches_the_whole_graph() {
    let Some(dir) = ready() else { return };
    let weights = dir.join("models/rife-v4.25/flownet.pkl");
    let loaded = smoothscale::models::checkpoint::load(&weights).unwrap();
    let whole = smoothscale::models::onnx::rife(
        &loaded.state_dict,
        smoothscale::models::onnx::RifeOptions::default(),
    )
    .unwrap();
    let mut whole = CpuSession::new(&whole, 2).unwrap();
    let mut split = Model::load(&weights, 2).unwrap();
    let (a, b, c) = (
        pattern(0.0, 64, 128),
        pattern(1.0, 64, 128),
        pattern(2.5, 64, 128),
    );
    let (ea, eb, ec) = (
        split.encode(&a).unwrap(),
        split.encode(&b).unwrap(),
        split.encode(&c).unwrap(),
    );
    assert_eq!(split.encoder_runs(), 3);
    // Frame b serves both pairs, at several timesteps, from one encoding.
    for (first, second, x, y) in [(&a, &b, &ea, &eb), (&b, &c, &eb, &ec)] {
        for t in [0.25f32, 0.5, 0.75] {
            let ts = [t];
            let want = whole
                .run(&[
                    ("img0", TensorView::from(first)),
                    ("img1", TensorView::from(second)),
                    (
                        "timestep",
                        TensorView {
                            shape: &[1, 1, 1, 1],
                            data: &ts,
                        },
                    ),
                ])
                .unwrap()
                .remove(0);
            let got = split.interpolate_encoded(x, y, t).unwrap();
            let err = max_abs(&got, &want);
            assert!(err < 1e-5, "t={t}: max abs {err}");
        }
    }
    assert_eq!(split.encoder_runs(), 3, "no encoding after the first");
    // Frames of another size cannot be paired.
    let small = split.encode(&pattern(0.0, 64, 64)).unwrap();
    assert!(split.interpolate_encoded(&ea, &small, 0.5).is_err());
}
