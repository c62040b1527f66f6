//! A network loaded from any model file and run on the CPU, with the padding each one needs.

use std::path::Path;

mod rife;
mod sized;

use super::{CpuSession, RuntimeError, TensorView};

use crate::models::checkpoint::{self, Architecture};
use crate::models::onnx::{self, GraphShape, RifeOptions};
use crate::models::weights::{StateDict, Tensor};
pub use rife::{cpu_part_graph, Encoded};

/// RIFE frames are zero-padded right/bottom to a multiple of this.
pub const RIFE_MULTIPLE: usize = 64;

/// What a model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// RIFE frame interpolation: `img0`, `img1`, `timestep` → `out`.
    Rife,
    /// Super-resolution: `input` → `out`. Inputs are reflection-padded to a multiple of
    /// `pad_multiple` (the pixel-unshuffle factor of RRDBNet x2/x1; 1 for the others).
    Upscaler { pad_multiple: usize },
}

impl ModelKind {
    fn label(self) -> &'static str {
        match self {
            ModelKind::Rife => "RIFE interpolation",
            ModelKind::Upscaler { .. } => "upscaler",
        }
    }
}

/// A model file committed to a CPU session.
#[derive(Debug)]
pub struct Model {
    name: String,
    kind: ModelKind,
    /// The network read from a checkpoint; `None` for an `.onnx` file run as is.
    architecture: Option<Architecture>,
    session: CpuSession,
    /// RIFE from a checkpoint: the feature encoder as its own graph, `session` then taking the
    /// features as inputs (see [`Model::encode`]).
    encoder: Option<CpuSession>,
    /// Encoder runs so far.
    encoder_runs: usize,
    /// An upscaler from a checkpoint: `session` is rebuilt for each new input size.
    sized: Option<sized::SizedGraph>,
    /// What stops a running call (given to every session, rebuilt ones included).
    cancel: Option<super::Cancel>,
    /// Bytes of the weights as loaded (the file's size for an `.onnx` file).
    weight_bytes: u64,
}

/// What a checkpoint's network does, and the padding its inputs need.
pub fn kind_of(arch: Architecture) -> ModelKind {
    match arch {
        Architecture::Rife425 => ModelKind::Rife,
        Architecture::RrdbNet { scale, .. } => ModelKind::Upscaler {
            pad_multiple: match scale {
                2 => 2,
                1 => 4,
                _ => 1,
            },
        },
        Architecture::SrVgg { .. } => ModelKind::Upscaler { pad_multiple: 1 },
    }
}

/// Builds the ONNX graph of a checkpoint's network for `shape` (RIFE at model scale 1.0).
pub fn graph_for(
    arch: Architecture,
    sd: &StateDict,
    shape: GraphShape,
) -> Result<(ModelKind, Vec<u8>), RuntimeError> {
    let bytes = match arch {
        Architecture::Rife425 => {
            let opts = RifeOptions {
                shape,
                ..RifeOptions::default()
            };
            onnx::rife(sd, opts)?
        }
        Architecture::RrdbNet { .. } => onnx::rrdbnet(sd, shape)?,
        Architecture::SrVgg { .. } => onnx::srvgg(sd, shape)?,
    };
    Ok((kind_of(arch), bytes))
}

impl Model {
    /// Loads a checkpoint (torch zip, ncnn) through [`checkpoint::load`] or an `.onnx` file as
    /// is, with `threads` intra-op threads (0: one per core). An `.onnx` file must have the
    /// names of our graphs; it is run without padding.
    pub fn load(path: &Path, threads: usize) -> Result<Self, RuntimeError> {
        let name = path.display().to_string();
        let is_onnx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"));
        if is_onnx {
            let io = |source| RuntimeError::Io {
                path: path.to_path_buf(),
                source,
            };
            let limit = checkpoint::Limits::default().max_total_bytes;
            let bytes = std::fs::metadata(path).map_err(io)?.len();
            if bytes > limit {
                return Err(RuntimeError::TooLarge {
                    path: path.to_path_buf(),
                    bytes,
                    limit,
                });
            }
            let bytes = std::fs::read(path).map_err(io)?;
            let in_file = |e: RuntimeError| RuntimeError::InFile {
                path: path.to_path_buf(),
                source: Box::new(e),
            };
            let session = CpuSession::new(&bytes, threads).map_err(in_file)?;
            let kind = if session.input_names().len() == 3 {
                session
                    .expect_names(&["img0", "img1", "timestep"], &["out"])
                    .map_err(in_file)?;
                ModelKind::Rife
            } else {
                session
                    .expect_names(&["input"], &["out"])
                    .map_err(in_file)?;
                ModelKind::Upscaler { pad_multiple: 1 }
            };
            return Ok(Self {
                name,
                kind,
                architecture: None,
                session,
                encoder: None,
                encoder_runs: 0,
                sized: None,
                cancel: None,
                weight_bytes: bytes.len() as u64,
            });
        }
        let loaded = checkpoint::load(path)?;
        let weight_bytes = loaded
            .state_dict
            .values()
            .map(|t| (t.data.len() * std::mem::size_of::<f32>()) as u64)
            .sum();
        if loaded.architecture == Architecture::Rife425 {
            let (session, encoder) = rife::split_sessions(&loaded.state_dict, threads)?;
            return Ok(Self {
                name,
                kind: ModelKind::Rife,
                architecture: Some(loaded.architecture),
                session,
                encoder: Some(encoder),
                encoder_runs: 0,
                sized: None,
                cancel: None,
                weight_bytes,
            });
        }
        let (kind, bytes) = graph_for(
            loaded.architecture,
            &loaded.state_dict,
            GraphShape::dynamic(),
        )?;
        // The session with symbolic sizes checks the graph now; the first call replaces it
        // with one built for its size.
        let session = CpuSession::new(&bytes, threads)?;
        match kind {
            ModelKind::Rife => session.expect_names(&["img0", "img1", "timestep"], &["out"])?,
            ModelKind::Upscaler { .. } => session.expect_names(&["input"], &["out"])?,
        }
        let sized = matches!(kind, ModelKind::Upscaler { .. })
            .then(|| sized::SizedGraph::new(loaded.architecture, loaded.state_dict, threads));
        Ok(Self {
            name,
            kind,
            architecture: Some(loaded.architecture),
            session,
            encoder: None,
            encoder_runs: 0,
            sized,
            cancel: None,
            weight_bytes,
        })
    }

    /// Lets `cancel` stop this model's running and later calls.
    pub fn set_cancel(&mut self, cancel: super::Cancel) {
        self.session.set_cancel(Some(cancel.clone()));
        if let Some(encoder) = &mut self.encoder {
            encoder.set_cancel(Some(cancel.clone()));
        }
        self.cancel = Some(cancel);
    }

    /// Bytes of the weights as loaded (for an `.onnx` file, the file's size).
    pub fn weight_bytes(&self) -> u64 {
        self.weight_bytes
    }

    /// The network, when it was read from a checkpoint.
    pub fn architecture(&self) -> Option<Architecture> {
        self.architecture
    }

    /// What the model does.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The upscaled image (raw network output, not clamped) of `img` (N,3,H,W, RGB in [0,1]).
    pub fn upscale(&mut self, img: &Tensor) -> Result<Tensor, RuntimeError> {
        let ModelKind::Upscaler { pad_multiple } = self.kind else {
            return Err(RuntimeError::WrongKind(
                self.name.clone(),
                self.kind.label(),
                "upscaler",
            ));
        };
        let (n, h, w) = check_image("input", img)?;
        let (ph, pw) = (
            h.div_ceil(pad_multiple) * pad_multiple,
            w.div_ceil(pad_multiple) * pad_multiple,
        );
        let x = reflect_pad(img, ph, pw);
        if let Some(sized) = &mut self.sized {
            if let Some(mut session) = sized.session_for(ph, pw)? {
                session.set_cancel(self.cancel.clone());
                self.session = session;
            }
        }
        let out = single_output(self.session.run(&[("input", TensorView::from(&x))])?)?;
        let bad = |reason: String| RuntimeError::BadOutput {
            name: "out".into(),
            reason,
        };
        if out.shape.len() != 4 || out.shape[0] != n || out.shape[1] != 3 {
            return Err(bad(format!("shape {:?}", out.shape)));
        }
        let scale = out.shape[2] / ph;
        if scale == 0 || out.shape[2] != ph * scale || out.shape[3] != pw * scale {
            return Err(bad(format!(
                "shape {:?} is not a multiple of the input {ph}x{pw}",
                out.shape
            )));
        }
        Ok(crop(&out, h * scale, w * scale))
    }
}

fn single_output(mut out: Vec<Tensor>) -> Result<Tensor, RuntimeError> {
    match out.len() {
        1 => Ok(out.remove(0)),
        k => Err(RuntimeError::BadOutput {
            name: "out".into(),
            reason: format!("{k} outputs, expected 1"),
        }),
    }
}

/// Checks an N,3,H,W image and returns (N, H, W).
fn check_image(name: &str, t: &Tensor) -> Result<(usize, usize, usize), RuntimeError> {
    match t.shape[..] {
        [n, 3, h, w] if n > 0 && h > 0 && w > 0 && t.numel() == t.data.len() => Ok((n, h, w)),
        _ => Err(RuntimeError::BadInput {
            name: name.into(),
            reason: format!(
                "shape {:?} is not N,3,H,W with {} values",
                t.shape,
                t.data.len()
            ),
        }),
    }
}

/// Pads an N,C,H,W tensor to `ph`×`pw` with `index(y_or_x, size)` choosing the source pixel
/// (`None`: zero).
fn pad_with(
    t: &Tensor,
    ph: usize,
    pw: usize,
    index: impl Fn(usize, usize) -> Option<usize>,
) -> Tensor {
    let (nc, h, w) = (t.shape[0] * t.shape[1], t.shape[2], t.shape[3]);
    let mut data = vec![0.0; nc * ph * pw];
    for p in 0..nc {
        for y in 0..ph {
            let Some(sy) = index(y, h) else { continue };
            let src = &t.data[(p * h + sy) * w..][..w];
            let dst = &mut data[(p * ph + y) * pw..][..pw];
            for (x, d) in dst.iter_mut().enumerate() {
                if let Some(sx) = index(x, w) {
                    *d = src[sx];
                }
            }
        }
    }
    Tensor {
        shape: vec![t.shape[0], t.shape[1], ph, pw],
        data,
    }
}

/// Zero padding right/bottom.
pub fn zero_pad(t: &Tensor, ph: usize, pw: usize) -> Tensor {
    pad_with(t, ph, pw, |i, n| (i < n).then_some(i))
}

/// Reflection padding right/bottom (like `F.pad(mode="reflect")`, repeated for tiny sizes).
pub fn reflect_pad(t: &Tensor, ph: usize, pw: usize) -> Tensor {
    pad_with(t, ph, pw, |i, n| {
        if n == 1 {
            return Some(0);
        }
        let period = 2 * (n - 1);
        let m = i % period;
        Some(if m < n { m } else { period - m })
    })
}

/// The top-left `h`×`w` of an N,C,H,W tensor.
pub fn crop(t: &Tensor, h: usize, w: usize) -> Tensor {
    if t.shape[2] == h && t.shape[3] == w {
        return t.clone();
    }
    let (nc, th, tw) = (t.shape[0] * t.shape[1], t.shape[2], t.shape[3]);
    let mut data = Vec::with_capacity(nc * h * w);
    for p in 0..nc {
        for y in 0..h {
            data.extend_from_slice(&t.data[(p * th + y) * tw..][..w]);
        }
    }
    Tensor {
        shape: vec![t.shape[0], t.shape[1], h, w],
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: usize, w: usize) -> Tensor {
        Tensor {
            shape: vec![1, 1, h, w],
            data: (0..h * w).map(|v| v as f32).collect(),
        }
    }

    #[test]
    fn zero_pad_and_crop_round_trip() {
        let a = t(2, 3);
        let p = zero_pad(&a, 3, 4);
        assert_eq!(p.data, vec![0., 1., 2., 0., 3., 4., 5., 0., 0., 0., 0., 0.]);
        assert_eq!(crop(&p, 2, 3), a);
    }

    #[test]
    fn reflect_pad_matches_torch() {
        // torch: F.pad(arange(3).view(1,1,1,3), (0,2,0,0), mode="reflect") == [0,1,2,1,0]
        let p = reflect_pad(&t(1, 3), 1, 5);
        assert_eq!(p.data, vec![0., 1., 2., 1., 0.]);
        let p = reflect_pad(&t(2, 1), 4, 1);
        assert_eq!(p.data, vec![0., 1., 0., 1.]);
    }
}
