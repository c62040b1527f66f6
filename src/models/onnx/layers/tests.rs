use super::phase_conv_weights;
use crate::models::onnx::reference::{conv2d, pixel_shuffle};
use crate::models::weights::Tensor;

fn lcg(seed: &mut u32) -> f32 {
    *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
    (*seed >> 8) as f32 / 16_777_216.0 - 0.5
}

fn random(shape: &[usize], seed: &mut u32) -> Tensor {
    Tensor {
        shape: shape.to_vec(),
        data: (0..shape.iter().product()).map(|_| lcg(seed)).collect(),
    }
}

/// PyTorch's `ConvTranspose2d(kernel 4, stride 2, padding 1)` by its definition: every input
/// pixel scatters its kernel onto the output at `2 * i - 1 + k`.
fn conv_transpose_up4(x: &Tensor, w: &Tensor, b: &[f32]) -> Tensor {
    let [n, ci, h, wd] = [x.shape[0], x.shape[1], x.shape[2], x.shape[3]];
    let co = w.shape[1];
    let (ho, wo) = (2 * h, 2 * wd);
    let mut out = vec![0.0f32; n * co * ho * wo];
    for bi in 0..n {
        for o in 0..co {
            let plane = &mut out[(bi * co + o) * ho * wo..][..ho * wo];
            plane.fill(b[o]);
            for i in 0..ci {
                for y in 0..h {
                    for xx in 0..wd {
                        let v = x.data[((bi * ci + i) * h + y) * wd + xx];
                        for ky in 0..4 {
                            for kx in 0..4 {
                                let (oy, ox) = (2 * y + ky, 2 * xx + kx);
                                if (1..=ho).contains(&oy) && (1..=wo).contains(&ox) {
                                    plane[(oy - 1) * wo + ox - 1] +=
                                        v * w.data[((i * co + o) * 4 + ky) * 4 + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Tensor {
        shape: vec![n, co, ho, wo],
        data: out,
    }
}

#[test]
fn phase_convolution_equals_transposed_convolution_and_shuffle() {
    let mut seed = 11;
    // (input channels, transposed output channels, shuffle): the encoder's form and the
    // IFBlock's (52 channels shuffled by 2 in the model).
    for (ci, co, r) in [(3, 4, 1), (5, 8, 2), (2, 12, 2)] {
        let x = random(&[2, ci, 5, 7], &mut seed);
        let wt = random(&[ci, co, 4, 4], &mut seed);
        let bias = random(&[co], &mut seed).data;
        let want = conv_transpose_up4(&x, &wt, &bias);
        let want = if r > 1 {
            pixel_shuffle(&want, r, false)
        } else {
            want
        };
        let (w3, b3) = phase_conv_weights(&wt.data, &bias, ci, co, r);
        let w3 = Tensor {
            shape: vec![4 * co, ci, 3, 3],
            data: w3,
        };
        let b3 = Tensor {
            shape: vec![4 * co],
            data: b3,
        };
        let got = pixel_shuffle(&conv2d(&x, &w3, &b3, 1, 1), 2 * r, false);
        assert_eq!(got.shape, want.shape, "{ci} {co} {r}");
        let err = got
            .data
            .iter()
            .zip(&want.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-5, "{ci}->{co} shuffle {r}: max abs {err}");
    }
}
