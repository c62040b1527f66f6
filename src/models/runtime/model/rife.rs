//! RIFE on the CPU runner. A checkpoint's IFNet runs as two graphs: the feature encoder, whose
//! output depends on one frame only, and everything after it. A source frame is encoded once
//! ([`Model::encode`]) and its [`Encoded`] form serves every pair and timestep it is part of.

use super::{check_image, crop, single_output, zero_pad, Model, ModelKind, RIFE_MULTIPLE};
use crate::models::onnx::{self, GraphError, GraphShape, RifeOptions, RifePart, FEATURE_CHANNELS};
use crate::models::runtime::{CpuSession, RuntimeError, TensorView};
use crate::models::weights::{StateDict, Tensor};

/// A frame made ready for RIFE: zero-padded to a multiple of [`RIFE_MULTIPLE`], with its
/// encoder features when the model runs the encoder apart.
#[derive(Debug, Clone)]
pub struct Encoded {
    image: Tensor,
    features: Option<Tensor>,
    height: usize,
    width: usize,
}

/// The CPU runner's ONNX graph of one part of an IFNet state dict (symbolic sizes, its own warp
/// operator).
pub fn cpu_part_graph(sd: &StateDict, part: RifePart) -> Result<Vec<u8>, GraphError> {
    let opts = RifeOptions {
        shape: GraphShape::dynamic(),
        part,
        cpu_warp: true,
        ..RifeOptions::default()
    };
    onnx::rife(sd, opts)
}

/// The flow graph (taking features) and the encoder graph of an IFNet state dict.
pub(super) fn split_sessions(
    sd: &StateDict,
    threads: usize,
) -> Result<(CpuSession, CpuSession), RuntimeError> {
    let flow = CpuSession::new(&cpu_part_graph(sd, RifePart::FromFeatures)?, threads)?;
    flow.expect_names(&["img0", "img1", "feat0", "feat1", "timestep"], &["out"])?;
    let encoder = CpuSession::new(&cpu_part_graph(sd, RifePart::Encoder)?, threads)?;
    encoder.expect_names(&["img"], &["out"])?;
    Ok((flow, encoder))
}

impl Model {
    fn require_rife(&self) -> Result<(), RuntimeError> {
        if self.kind == ModelKind::Rife {
            Ok(())
        } else {
            Err(RuntimeError::WrongKind(
                self.name.clone(),
                self.kind.label(),
                "RIFE interpolation",
            ))
        }
    }

    /// Pads `img` (N,3,H,W, RGB in [0,1]) and runs the feature encoder on it, once, for all the
    /// interpolations it takes part in.
    pub fn encode(&mut self, img: &Tensor) -> Result<Encoded, RuntimeError> {
        self.require_rife()?;
        let (n, h, w) = check_image("img", img)?;
        let (ph, pw) = (
            h.div_ceil(RIFE_MULTIPLE) * RIFE_MULTIPLE,
            w.div_ceil(RIFE_MULTIPLE) * RIFE_MULTIPLE,
        );
        let image = zero_pad(img, ph, pw);
        let features = match &mut self.encoder {
            None => None,
            Some(encoder) => {
                let feat = single_output(encoder.run(&[("img", TensorView::from(&image))])?)?;
                let want = [n, FEATURE_CHANNELS, ph, pw];
                if feat.shape != want {
                    return Err(RuntimeError::BadOutput {
                        name: "out".into(),
                        reason: format!("shape {:?}, expected {want:?}", feat.shape),
                    });
                }
                self.encoder_runs += 1;
                Some(feat)
            }
        };
        Ok(Encoded {
            image,
            features,
            height: h,
            width: w,
        })
    }

    /// The frame at time `t` in (0, 1) between two encoded frames of the same size.
    pub fn interpolate_encoded(
        &mut self,
        a: &Encoded,
        b: &Encoded,
        t: f32,
    ) -> Result<Tensor, RuntimeError> {
        self.require_rife()?;
        if a.image.shape != b.image.shape || (a.height, a.width) != (b.height, b.width) {
            return Err(RuntimeError::BadInput {
                name: "img1".into(),
                reason: format!(
                    "size {}x{} differs from img0's {}x{}",
                    b.width, b.height, a.width, a.height
                ),
            });
        }
        let (n, ph, pw) = (a.image.shape[0], a.image.shape[2], a.image.shape[3]);
        let ts_shape = [n, 1, 1, 1];
        let ts = vec![t; n];
        let mut inputs = vec![
            ("img0", TensorView::from(&a.image)),
            ("img1", TensorView::from(&b.image)),
        ];
        match (&a.features, &b.features, self.encoder.is_some()) {
            (Some(f0), Some(f1), true) => {
                inputs.push(("feat0", TensorView::from(f0)));
                inputs.push(("feat1", TensorView::from(f1)));
            }
            (None, None, false) => {}
            _ => {
                return Err(RuntimeError::BadInput {
                    name: "feat0".into(),
                    reason: "frames encoded by another model".into(),
                })
            }
        }
        inputs.push((
            "timestep",
            TensorView {
                shape: &ts_shape,
                data: &ts,
            },
        ));
        let out = single_output(self.session.run(&inputs)?)?;
        if out.shape != [n, 3, ph, pw] {
            return Err(RuntimeError::BadOutput {
                name: "out".into(),
                reason: format!("shape {:?}, expected {:?}", out.shape, [n, 3, ph, pw]),
            });
        }
        Ok(crop(&out, a.height, a.width))
    }

    /// The frame at time `t` in (0, 1) between `img0` and `img1` (N,3,H,W, RGB in [0,1]).
    pub fn interpolate(
        &mut self,
        img0: &Tensor,
        img1: &Tensor,
        t: f32,
    ) -> Result<Tensor, RuntimeError> {
        self.require_rife()?;
        check_image("img0", img0)?;
        if img1.shape != img0.shape {
            return Err(RuntimeError::BadInput {
                name: "img1".into(),
                reason: format!(
                    "shape {:?} differs from img0's {:?}",
                    img1.shape, img0.shape
                ),
            });
        }
        let (a, b) = (self.encode(img0)?, self.encode(img1)?);
        self.interpolate_encoded(&a, &b, t)
    }

    /// How many times the feature encoder has run (0 for a model that does not run it apart).
    pub fn encoder_runs(&self) -> usize {
        self.encoder_runs
    }
}
