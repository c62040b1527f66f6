//! Validates the ONNX graphs with the official checker and ONNX Runtime (Python, see
//! `tests/python-requirements.txt`): shapes and channel orders with small random weights against
//! the plain-Rust reference, and the real networks against the golden outputs in `../shared`.
//! Tests skip with a printed reason when `python3` lacks `onnx`/`onnxruntime`.

use std::path::{Path, PathBuf};
use std::process::Command;

use smoothscale::models::checkpoint;
use smoothscale::models::onnx::half::half_graph;
use smoothscale::models::onnx::{
    reference, rife, rrdbnet, srvgg, GraphError, GraphShape, RifeOptions,
};
use smoothscale::models::weights::{StateDict, Tensor};

// ---------- npy I/O (float32, little-endian, C order) ----------

fn write_npy(path: &Path, t: &Tensor) {
    let shape: Vec<String> = t.shape.iter().map(usize::to_string).collect();
    let tuple = if shape.len() == 1 {
        format!("({},)", shape[0])
    } else {
        format!("({})", shape.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(t.data.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, bytes).unwrap();
}

fn read_npy(path: &Path) -> Tensor {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let (hlen, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        let l = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        (l as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).unwrap();
    assert!(header.contains("'<f4'") && header.contains("'fortran_order': False"));
    let open = header.find("'shape': (").unwrap() + 10;
    let close = open + header[open..].find(')').unwrap();
    let shape: Vec<usize> = header[open..close]
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let data: Vec<f32> = bytes[start + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data.len(), shape.iter().product::<usize>());
    Tensor { shape, data }
}

// ---------- running the validator ----------

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import onnx, onnxruntime, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "SKIP: python3 with onnx + onnxruntime + numpy not available \
             (pip install -r tests/python-requirements.txt)"
        );
    }
    ok
}

/// Checks `model` with `check_model(full_check=True)`, runs it with ONNX Runtime on `inputs` and
/// returns the output `out`.
fn run_onnx(model: &[u8], inputs: &[(&str, &Tensor)]) -> Tensor {
    let dir = tempfile::tempdir().unwrap();
    let model_path = dir.path().join("model.onnx");
    std::fs::write(&model_path, model).unwrap();
    let mut args = vec![
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/onnx_check.py").to_owned(),
        model_path.display().to_string(),
        dir.path().join("out").display().to_string(),
    ];
    for (name, t) in inputs {
        let p = dir.path().join(format!("{name}.npy"));
        write_npy(&p, t);
        args.push(format!("{name}={}", p.display()));
    }
    let out = Command::new("python3").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "onnx_check.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    read_npy(&dir.path().join("out").join("out.npy"))
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape, b.shape, "shape mismatch");
    let d = a.data.iter().zip(&b.data).map(|(x, y)| (x - y).abs());
    d.fold(0.0, f32::max)
}

// ---------- random weights ----------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn tensor(&mut self, shape: &[usize], amp: f32) -> Tensor {
        let n = shape.iter().product();
        Tensor {
            shape: shape.to_vec(),
            data: (0..n).map(|_| self.next() * amp).collect(),
        }
    }

    fn image(&mut self, shape: &[usize]) -> Tensor {
        let mut t = self.tensor(shape, 0.5);
        t.data.iter_mut().for_each(|v| *v += 0.5);
        t
    }
}

/// Inserts `{key}.weight` (`o, i, k, k`, or `i, o, k, k` when transposed) and `{key}.bias`.
fn put_conv(sd: &mut StateDict, rng: &mut Rng, key: &str, i: usize, o: usize, k: usize) {
    let amp = 1.0 / ((i * k * k) as f32).sqrt();
    sd.insert(format!("{key}.weight"), rng.tensor(&[o, i, k, k], amp));
    sd.insert(format!("{key}.bias"), rng.tensor(&[o], 0.1));
}

fn srvgg_weights(rng: &mut Rng, nf: usize, num_conv: usize, s: usize) -> StateDict {
    let mut sd = StateDict::new();
    put_conv(&mut sd, rng, "body.0", 3, nf, 3);
    for k in 0..=num_conv {
        let slope = rng.tensor(&[nf], 0.3);
        sd.insert(format!("body.{}.weight", 2 * k + 1), slope);
        if k < num_conv {
            put_conv(&mut sd, rng, &format!("body.{}", 2 * k + 2), nf, nf, 3);
        }
    }
    let last = format!("body.{}", 2 * num_conv + 2);
    put_conv(&mut sd, rng, &last, nf, 3 * s * s, 3);
    sd
}

fn rrdb_weights(rng: &mut Rng, nf: usize, nb: usize, gc: usize, scale: usize) -> StateDict {
    let mut sd = StateDict::new();
    let r = 4 / scale;
    put_conv(&mut sd, rng, "conv_first", 3 * r * r, nf, 3);
    for i in 0..nb {
        for j in 1..=3 {
            for k in 1..=5 {
                let o = if k == 5 { nf } else { gc };
                let key = format!("body.{i}.rdb{j}.conv{k}");
                put_conv(&mut sd, rng, &key, nf + (k - 1) * gc, o, 3);
            }
        }
    }
    for key in ["conv_body", "conv_up1", "conv_up2", "conv_hr"] {
        put_conv(&mut sd, rng, key, nf, nf, 3);
    }
    put_conv(&mut sd, rng, "conv_last", nf, 3, 3);
    sd
}

/// Like [`put_conv`] for a transposed conv: weight `i, o, k, k`, bias `o`.
fn put_conv_t(sd: &mut StateDict, rng: &mut Rng, key: &str, i: usize, o: usize, k: usize) {
    let amp = 1.0 / ((i * k * k) as f32).sqrt();
    sd.insert(format!("{key}.weight"), rng.tensor(&[i, o, k, k], amp));
    sd.insert(format!("{key}.bias"), rng.tensor(&[o], 0.1));
}

fn rife_weights(rng: &mut Rng, c: usize) -> StateDict {
    let mut sd = StateDict::new();
    put_conv(&mut sd, rng, "encode.cnn0", 3, 16, 3);
    put_conv(&mut sd, rng, "encode.cnn1", 16, 16, 3);
    put_conv(&mut sd, rng, "encode.cnn2", 16, 16, 3);
    put_conv_t(&mut sd, rng, "encode.cnn3", 16, 4, 4);
    for b in 0..5 {
        let in_ch = if b == 0 { 15 } else { 28 };
        put_conv(
            &mut sd,
            rng,
            &format!("block{b}.conv0.0.0"),
            in_ch,
            c / 2,
            3,
        );
        put_conv(&mut sd, rng, &format!("block{b}.conv0.1.0"), c / 2, c, 3);
        for k in 0..8 {
            put_conv(
                &mut sd,
                rng,
                &format!("block{b}.convblock.{k}.conv"),
                c,
                c,
                3,
            );
            let beta = rng.tensor(&[1, c, 1, 1], 0.5);
            sd.insert(format!("block{b}.convblock.{k}.beta"), beta);
        }
        put_conv_t(&mut sd, rng, &format!("block{b}.lastconv.0"), c, 52, 4);
    }
    sd
}

fn dynamic_batch(batch: usize) -> GraphShape {
    GraphShape {
        batch: Some(batch),
        size: None,
    }
}

// ---------- random-weight tests ----------

#[test]
fn srvgg_random_weights_match_reference() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(1);
    // Slopes in [-0.3, 0.3]; the second model also has slopes above 1, as the released models
    // do (PReLU is written with batch normalisations, see src/models/onnx/srvgg.rs).
    for (nf, num_conv, s, steep) in [(8, 2, 4, false), (6, 1, 2, true)] {
        let mut sd = srvgg_weights(&mut rng, nf, num_conv, s);
        if steep {
            for (key, channel) in [("body.1.weight", 0), ("body.3.weight", 2)] {
                sd.get_mut(key).unwrap().data[channel] = 1.5;
            }
        }
        for (shape, dims) in [
            (GraphShape::fixed(12, 20), [1, 3, 12, 20]),
            (GraphShape::dynamic(), [2, 3, 10, 14]),
        ] {
            let x = rng.image(&dims);
            let got = run_onnx(&srvgg(&sd, shape).unwrap(), &[("input", &x)]);
            let want = reference::srvgg_forward(&sd, &x).unwrap();
            let err = max_abs_diff(&got, &want);
            eprintln!("srvgg nf{nf} conv{num_conv} x{s} {dims:?}: max abs {err:e}");
            assert!(err < 1e-4, "max abs {err}");
        }
    }
}

#[test]
fn rrdbnet_random_weights_match_reference_x4_x2_x1() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(2);
    for scale in [4, 2, 1] {
        let sd = rrdb_weights(&mut rng, 8, 1, 4, scale);
        for (shape, dims) in [
            (GraphShape::fixed(16, 20), [1, 3, 16, 20]),
            (dynamic_batch(2), [2, 3, 8, 12]),
        ] {
            let x = rng.image(&dims);
            let got = run_onnx(&rrdbnet(&sd, shape).unwrap(), &[("input", &x)]);
            assert_eq!(got.shape, [dims[0], 3, dims[2] * scale, dims[3] * scale]);
            let want = reference::rrdbnet_forward(&sd, &x).unwrap();
            let err = max_abs_diff(&got, &want);
            eprintln!("rrdbnet x{scale} {dims:?}: max abs {err:e}");
            assert!(err < 1e-4, "max abs {err}");
        }
    }
}

fn rife_inputs(rng: &mut Rng, n: usize, h: usize, w: usize, t: f32) -> [Tensor; 3] {
    let ts = Tensor {
        shape: vec![n, 1, 1, 1],
        data: vec![t; n],
    };
    [rng.image(&[n, 3, h, w]), rng.image(&[n, 3, h, w]), ts]
}

fn run_rife(sd: &StateDict, shape: GraphShape, inp: &[Tensor; 3]) -> Tensor {
    let opts = RifeOptions {
        shape,
        ..RifeOptions::default()
    };
    let model = rife(sd, opts).unwrap();
    run_onnx(
        &model,
        &[("img0", &inp[0]), ("img1", &inp[1]), ("timestep", &inp[2])],
    )
}

#[test]
fn rife_random_weights_static_and_dynamic_agree() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(3);
    let sd = rife_weights(&mut rng, 16);
    let inp = rife_inputs(&mut rng, 1, 64, 128, 0.3);
    let fixed = run_rife(&sd, GraphShape::fixed(64, 128), &inp);
    assert_eq!(fixed.shape, [1, 3, 64, 128]);
    assert!(fixed.data.iter().all(|v| v.is_finite()));
    let dynamic = run_rife(&sd, GraphShape::dynamic(), &inp);
    let err = max_abs_diff(&fixed, &dynamic);
    eprintln!("rife static vs dynamic: max abs {err:e}");
    assert!(err < 1e-4, "max abs {err}");
    let inp2 = rife_inputs(&mut rng, 2, 128, 64, 0.7);
    let other = run_rife(&sd, GraphShape::dynamic(), &inp2);
    assert_eq!(other.shape, [2, 3, 128, 64]);
}

/// The fp16 rewrite of every network: the official checker's strict type inference accepts it
/// (static and symbolic sizes), its convolutions read fp16 weights, RIFE's sampling reads fp32
/// values made in the exact region, and the output stays near the fp32 graph's.
#[test]
fn half_graphs_type_check_and_stay_close() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(5);
    let rife_sd = rife_weights(&mut rng, 16);
    let inp = rife_inputs(&mut rng, 1, 64, 128, 0.4);
    let rife_inputs = [("img0", &inp[0]), ("img1", &inp[1]), ("timestep", &inp[2])];
    let image = rng.image(&[1, 3, 8, 12]);
    let upscaler_inputs = [("input", &image)];
    let srvgg_sd = srvgg_weights(&mut rng, 8, 2, 4);
    let rrdb_sd = rrdb_weights(&mut rng, 8, 1, 4, 2);
    for shape in [GraphShape::fixed(64, 128), GraphShape::dynamic()] {
        let opts = RifeOptions {
            shape,
            ..RifeOptions::default()
        };
        check_half("rife", &rife(&rife_sd, opts).unwrap(), &rife_inputs);
    }
    let fixed = GraphShape::fixed(8, 12);
    check_half("srvgg", &srvgg(&srvgg_sd, fixed).unwrap(), &upscaler_inputs);
    check_half(
        "rrdbnet",
        &rrdbnet(&rrdb_sd, fixed).unwrap(),
        &upscaler_inputs,
    );
}

fn check_half(name: &str, fp32: &[u8], inputs: &[(&str, &Tensor)]) {
    use prost::Message as _;
    use smoothscale::models::onnx::half::EXACT_PREFIX;
    use smoothscale::models::onnx::proto::{DataType, ModelProto};

    let half = half_graph(fp32).unwrap();
    let g = ModelProto::decode(&half[..]).unwrap().graph.unwrap();
    let init_type = |v: &str| {
        g.initializer
            .iter()
            .find(|i| i.name.as_deref() == Some(v))
            .and_then(|i| i.data_type)
    };
    let producer = |v: &str| g.node.iter().find(|n| n.output.iter().any(|o| o == v));
    for n in &g.node {
        match n.op_type.as_deref() {
            Some("Conv" | "ConvTranspose") => {
                assert_eq!(
                    init_type(&n.input[1]),
                    Some(DataType::Float16 as i32),
                    "{name}"
                )
            }
            Some("GridSample") => {
                for v in &n.input {
                    let from = producer(v).and_then(|p| p.name.clone()).unwrap_or_default();
                    assert!(from.starts_with(EXACT_PREFIX), "{name}: {v} from {from}");
                }
            }
            _ => {}
        }
    }
    let want = run_onnx(fp32, inputs);
    let got = run_onnx(&half, inputs);
    let err = max_abs_diff(&got, &want);
    eprintln!("{name}: fp16 graph against fp32, max abs {err:e}");
    assert!(err < 2e-2, "{name}: max abs {err}");
}

/// The fp8 graphs (Q/DQ in FP8 E4M3 before the convolutions with 16-multiple channels, opset 19)
/// pass the official checker's strict type inference, ONNX Runtime runs them, and with ranges
/// measured on the input they stay near the fp32 graph.
#[test]
fn fp8_graphs_type_check_and_stay_close() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(8);
    let image = rng.image(&[1, 3, 16, 12]);
    let inputs = [("input", &image)];
    let srvgg_sd = srvgg_weights(&mut rng, 16, 3, 4);
    let rrdb_sd = rrdb_weights(&mut rng, 32, 1, 16, 2);
    for shape in [GraphShape::fixed(16, 12), GraphShape::dynamic()] {
        check_fp8("srvgg", &srvgg(&srvgg_sd, shape).unwrap(), &image, &inputs);
        check_fp8(
            "rrdbnet",
            &rrdbnet(&rrdb_sd, shape).unwrap(),
            &image,
            &inputs,
        );
    }
}

fn check_fp8(name: &str, fp32: &[u8], image: &Tensor, inputs: &[(&str, &Tensor)]) {
    use prost::Message as _;
    use smoothscale::models::calibration::measure_ranges;
    use smoothscale::models::onnx::fp8::to_fp8;
    use smoothscale::models::onnx::proto::ModelProto;

    let model = ModelProto::decode(fp32).unwrap();
    // The ranges through the library's ONNX Runtime; the graphs through Python's.
    let ranges = measure_ranges(&model, &[image], 1, &mut || {}).unwrap();
    assert!(!ranges.is_empty(), "{name}: no fp8 convolution");
    let fp8 = to_fp8(model, &ranges).unwrap().encode_to_vec();
    let want = run_onnx(fp32, inputs);
    let got = run_onnx(&fp8, inputs);
    let db = smoothscale::models::golden::psnr(&got.data, &want.data);
    let err = max_abs_diff(&got, &want);
    eprintln!("{name}: fp8 graph against fp32, PSNR {db:.1} dB, max abs {err:e}");
    assert!(db > 30.0 && err > 0.0, "{name}: PSNR {db}, max abs {err}");
}

/// With all IFBlock outputs zero except block4's biases, the flow is a constant integer shift
/// and the mask a constant, so the output is a known blend of shifted inputs. This checks the
/// warp (direction, normalisation, border), DepthToSpace CRD order and the final merge.
#[test]
fn rife_constant_flow_warps_and_merges_exactly() {
    if !python_ready() {
        return;
    }
    let mut rng = Rng(4);
    let mut sd = rife_weights(&mut rng, 8);
    for b in 0..5 {
        let w = sd.get_mut(&format!("block{b}.lastconv.0.weight")).unwrap();
        w.data.iter_mut().for_each(|v| *v = 0.0);
        let bias = sd.get_mut(&format!("block{b}.lastconv.0.bias")).unwrap();
        bias.data.iter_mut().for_each(|v| *v = 0.0);
        if b == 4 {
            // DepthToSpace CRD: output channel c <- input channels 4c..4c+4.
            bias.data[0..4].fill(2.0); // flow x of img0
            bias.data[12..16].fill(-3.0); // flow y of img1
            bias.data[16..20].fill(0.7); // mask
        }
    }
    let (h, w) = (64, 64);
    let inp = rife_inputs(&mut rng, 1, h, w, 0.5);
    let m = 1.0 / (1.0 + (-0.7f32).exp());
    let mut want = inp[0].clone();
    for c in 0..3 {
        for y in 0..h {
            for x in 0..w {
                let a = inp[0].data[(c * h + y) * w + (x + 2).min(w - 1)];
                let b = inp[1].data[(c * h + y.saturating_sub(3)) * w + x];
                want.data[(c * h + y) * w + x] = a * m + b * (1.0 - m);
            }
        }
    }
    for shape in [GraphShape::fixed(h, w), GraphShape::dynamic()] {
        let got = run_rife(&sd, shape, &inp);
        let err = max_abs_diff(&got, &want);
        eprintln!("rife constant flow {shape:?}: max abs {err:e}");
        assert!(err < 1e-4, "max abs {err}");
    }
}

// ---------- error reporting (no Python needed) ----------

#[test]
fn bad_weights_are_reported_by_name() {
    let mut rng = Rng(5);
    let mut sd = rrdb_weights(&mut rng, 4, 1, 2, 4);
    sd.remove("conv_hr.bias");
    let err = rrdbnet(&sd, GraphShape::dynamic()).unwrap_err();
    assert_eq!(err, GraphError::MissingTensor("conv_hr.bias".into()));

    let mut sd = srvgg_weights(&mut rng, 4, 1, 4);
    sd.insert("body.1.weight".into(), rng.tensor(&[5], 1.0));
    let err = srvgg(&sd, GraphShape::dynamic()).unwrap_err();
    assert!(matches!(err, GraphError::BadShape { ref name, .. } if name == "body.1.weight"));

    let mut sd = srvgg_weights(&mut rng, 4, 1, 4);
    sd.get_mut("body.0.bias").unwrap().data.pop();
    let err = srvgg(&sd, GraphShape::dynamic()).unwrap_err();
    assert!(matches!(err, GraphError::BadData { ref name, .. } if name == "body.0.bias"));

    let mut sd = rife_weights(&mut rng, 8);
    sd.insert("teacher.x".into(), rng.tensor(&[1], 1.0));
    assert!(rife(&sd, RifeOptions::default()).is_ok());
    sd.insert("block9.extra".into(), rng.tensor(&[1], 1.0));
    let err = rife(&sd, RifeOptions::default()).unwrap_err();
    assert_eq!(err, GraphError::UnexpectedTensor("block9.extra".into()));
    sd.remove("block9.extra");
    sd.remove("block3.convblock.7.beta");
    let err = rife(&sd, RifeOptions::default()).unwrap_err();
    assert_eq!(
        err,
        GraphError::MissingTensor("block3.convblock.7.beta".into())
    );

    let sd = rife_weights(&mut rng, 8);
    let opts = RifeOptions {
        shape: GraphShape::fixed(64, 100),
        ..RifeOptions::default()
    };
    assert!(matches!(
        rife(&sd, opts),
        Err(GraphError::InvalidSize { .. })
    ));
    let sd = rrdb_weights(&mut rng, 4, 1, 2, 2);
    let err = rrdbnet(&sd, GraphShape::fixed(15, 16)).unwrap_err();
    assert!(matches!(err, GraphError::InvalidSize { .. }));
    assert!(rrdbnet(&StateDict::new(), GraphShape::dynamic()).is_err());
}

// ---------- golden outputs of the reference implementations (needs ../shared) ----------

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("golden/manifest.json").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} not found (golden data absent)", dir.display());
        None
    }
}

fn zero_pad(t: &Tensor, h: usize, w: usize) -> Tensor {
    let [n, c, th, tw] = [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];
    let mut data = vec![0.0; n * c * h * w];
    for p in 0..n * c {
        for y in 0..th {
            let src = &t.data[(p * th + y) * tw..][..tw];
            data[(p * h + y) * w..][..tw].copy_from_slice(src);
        }
    }
    Tensor {
        shape: vec![n, c, h, w],
        data,
    }
}

fn crop(t: &Tensor, h: usize, w: usize) -> Tensor {
    let [n, c, th, tw] = [t.shape[0], t.shape[1], t.shape[2], t.shape[3]];
    let mut data = Vec::with_capacity(n * c * h * w);
    for p in 0..n * c {
        for y in 0..h {
            data.extend_from_slice(&t.data[(p * th + y) * tw..][..w]);
        }
    }
    Tensor {
        shape: vec![n, c, h, w],
        data,
    }
}

/// How each golden case is run: the fp32 graph with a static or a dynamic frame size, and the
/// static graph rewritten for fp16 arithmetic (what a strongly typed TensorRT build compiles).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Static,
    Dynamic,
    Half,
}

/// Runs one golden case as `variant`; returns the output and the reference.
fn golden_case(
    case: &serde_json::Value,
    sd: &StateDict,
    dir: &Path,
    variant: Variant,
) -> (Tensor, Tensor) {
    let load = |name: &str| {
        let file = case["tensors"][name]["file"].as_str().unwrap();
        read_npy(&dir.join(file))
    };
    let build = |graph: Vec<u8>| match variant {
        Variant::Half => half_graph(&graph).unwrap(),
        _ => graph,
    };
    let got = if case["kind"] == "rife" {
        let (img0, img1) = (load("img0"), load("img1"));
        let (h, w) = (img0.shape[2], img0.shape[3]);
        let (ph, pw) = (h.div_ceil(64) * 64, w.div_ceil(64) * 64);
        let shape = if variant == Variant::Dynamic {
            GraphShape::dynamic()
        } else {
            GraphShape::fixed(ph, pw)
        };
        let t = case["timestep"].as_f64().unwrap() as f32;
        let ts = Tensor {
            shape: vec![1, 1, 1, 1],
            data: vec![t],
        };
        let opts = RifeOptions {
            shape,
            ..RifeOptions::default()
        };
        let model = build(rife(sd, opts).unwrap());
        let inputs = [
            ("img0", &zero_pad(&img0, ph, pw)),
            ("img1", &zero_pad(&img1, ph, pw)),
            ("timestep", &ts),
        ];
        crop(&run_onnx(&model, &inputs), h, w)
    } else {
        let x = load("input");
        let shape = if variant == Variant::Dynamic {
            GraphShape::dynamic()
        } else {
            GraphShape::fixed(x.shape[2], x.shape[3])
        };
        let model = match case["kind"].as_str().unwrap() {
            "rrdbnet" => rrdbnet(sd, shape).unwrap(),
            _ => srvgg(sd, shape).unwrap(),
        };
        run_onnx(&build(model), &[("input", &x)])
    };
    (got, load("out"))
}

#[test]
fn golden_outputs_match() {
    let Some(dir) = shared_dir() else { return };
    if !python_ready() {
        return;
    }
    let golden = dir.join("golden");
    let manifest = std::fs::read_to_string(golden.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let mut checked = 0;
    for case in manifest["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let weights = dir.join(case["weights_file"].as_str().unwrap());
        let sd = match load_weights(&weights) {
            Ok(sd) => sd,
            Err(why) => panic!("golden {name}: cannot read {}: {why}", weights.display()),
        };
        let tol = case["tol_max_abs"].as_f64().unwrap() as f32;
        let err = |variant| {
            let (got, want) = golden_case(case, &sd, &golden, variant);
            max_abs_diff(&got, &want)
        };
        let (fixed, dynamic) = (err(Variant::Static), err(Variant::Dynamic));
        eprintln!("golden {name}: max abs static {fixed:e}, dynamic {dynamic:e} (tol {tol:e})");
        assert!(fixed <= tol && dynamic <= tol, "{name} exceeds {tol}");
        // fp16 arithmetic: the criterion of a TensorRT fp16 engine (issue 6), 45 dB.
        let (got, want) = golden_case(case, &sd, &golden, Variant::Half);
        let db = smoothscale::models::golden::psnr(&got.data, &want.data);
        let err = max_abs_diff(&got, &want);
        eprintln!("golden {name}: fp16 graph PSNR {db:.1} dB, max abs {err:e}");
        assert!(db >= 45.0, "{name}: fp16 graph PSNR {db:.1} dB < 45");
        checked += 1;
    }
    assert!(checked > 0, "no golden case could be checked");
}

/// Reads a checkpoint (torch zip or ncnn) with the project's reader.
fn load_weights(path: &Path) -> Result<StateDict, String> {
    checkpoint::load(path)
        .map(|m| m.state_dict)
        .map_err(|e| e.to_string())
}
