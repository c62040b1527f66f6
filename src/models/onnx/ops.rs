//! Typed helpers for the ONNX operators the networks use (opset 17 semantics).

use super::builder::{attr_float, attr_int, attr_ints, attr_str, GraphBuilder};
use super::proto::DataType;

impl GraphBuilder {
    /// 2-D convolution with bias, square kernel taken from the weight, symmetric padding.
    pub fn conv(&mut self, x: &str, w: &str, b: &str, stride: i64, pad: i64) -> String {
        let attrs = vec![
            attr_ints("strides", &[stride, stride]),
            attr_ints("pads", &[pad, pad, pad, pad]),
        ];
        self.op("Conv", &[x, w, b], attrs)
    }

    /// 2-D transposed convolution with bias (weight layout `in, out, kh, kw`).
    pub fn conv_transpose(&mut self, x: &str, w: &str, b: &str, stride: i64, pad: i64) -> String {
        let attrs = vec![
            attr_ints("strides", &[stride, stride]),
            attr_ints("pads", &[pad, pad, pad, pad]),
        ];
        self.op("ConvTranspose", &[x, w, b], attrs)
    }

    /// Leaky ReLU with negative slope `alpha`.
    pub fn leaky_relu(&mut self, x: &str, alpha: f32) -> String {
        self.op("LeakyRelu", &[x], vec![attr_float("alpha", alpha)])
    }

    /// Element-wise `a + b` with broadcasting.
    pub fn add(&mut self, a: &str, b: &str) -> String {
        self.op("Add", &[a, b], vec![])
    }

    /// Element-wise `a - b` with broadcasting.
    pub fn sub(&mut self, a: &str, b: &str) -> String {
        self.op("Sub", &[a, b], vec![])
    }

    /// Element-wise `a * b` with broadcasting.
    pub fn mul(&mut self, a: &str, b: &str) -> String {
        self.op("Mul", &[a, b], vec![])
    }

    /// Element-wise `a / b` with broadcasting.
    pub fn div(&mut self, a: &str, b: &str) -> String {
        self.op("Div", &[a, b], vec![])
    }

    /// `x * k` for a float constant `k`.
    pub fn mul_scalar(&mut self, x: &str, k: f32) -> String {
        let c = self.scalar("k", k);
        self.mul(x, &c)
    }

    /// `x * k[c]` for each channel `c` of an NCHW `x`, as a `BatchNormalization` with scale
    /// `k`, zero bias and mean, unit variance and epsilon 0, which computes exactly `x * k + 0`.
    ///
    /// ONNX Runtime turns a batch normalisation into a depthwise convolution in its blocked
    /// (NCHWc) layout and fuses a following `Add` into it, where a `Mul` by a constant it cannot
    /// fold into the preceding convolution (whose output has other uses, or is an `Add`) makes
    /// it leave that layout and come back around the `Mul`. TensorRT reads it as a scale layer.
    pub fn scale_channels(&mut self, x: &str, k: &[f32]) -> String {
        let c = k.len();
        let scale = self.const_f32("bn_scale", &[c], k);
        let zeros = self.const_f32("bn_zero", &[c], &vec![0.0; c]);
        let ones = self.const_f32("bn_one", &[c], &vec![1.0; c]);
        self.op(
            "BatchNormalization",
            &[x, &scale, &zeros, &zeros, &ones],
            vec![attr_float("epsilon", 0.0)],
        )
    }

    /// Rectified linear unit.
    pub fn relu(&mut self, x: &str) -> String {
        self.op("Relu", &[x], vec![])
    }

    /// Concatenation along `axis`.
    pub fn concat(&mut self, xs: &[&str], axis: i64) -> String {
        self.op("Concat", xs, vec![attr_int("axis", axis)])
    }

    /// `x[start:end]` along one axis.
    pub fn slice(&mut self, x: &str, axis: i64, start: i64, end: i64) -> String {
        let s = self.ints("starts", &[start]);
        let e = self.ints("ends", &[end]);
        let a = self.ints("axes", &[axis]);
        self.op("Slice", &[x, &s, &e, &a], vec![])
    }

    fn resize(&mut self, x: &str, scale: f32, attrs: Vec<super::proto::AttributeProto>) -> String {
        let scales = self.const_f32("scales", &[4], &[1.0, 1.0, scale, scale]);
        self.op("Resize", &[x, "", &scales], attrs)
    }

    /// Bilinear resize of an NCHW tensor by `scale` on H and W, PyTorch `align_corners=False`.
    pub fn resize_bilinear(&mut self, x: &str, scale: f32) -> String {
        let attrs = vec![
            attr_str("mode", "linear"),
            attr_str("coordinate_transformation_mode", "half_pixel"),
        ];
        self.resize(x, scale, attrs)
    }

    /// Nearest-neighbour upsampling of an NCHW tensor by an integer factor (PyTorch `nearest`).
    pub fn resize_nearest(&mut self, x: &str, scale: f32) -> String {
        let attrs = vec![
            attr_str("mode", "nearest"),
            attr_str("coordinate_transformation_mode", "asymmetric"),
            attr_str("nearest_mode", "floor"),
        ];
        self.resize(x, scale, attrs)
    }

    /// PyTorch `PixelShuffle(block)`: DepthToSpace in CRD order.
    pub fn depth_to_space_crd(&mut self, x: &str, block: i64) -> String {
        let attrs = vec![attr_int("blocksize", block), attr_str("mode", "CRD")];
        self.op("DepthToSpace", &[x], attrs)
    }

    /// Reshape to the shape held by the int64 value `shape` (0 copies, -1 infers).
    pub fn reshape(&mut self, x: &str, shape: &str) -> String {
        self.op("Reshape", &[x, shape], vec![])
    }

    /// Axis permutation.
    pub fn transpose(&mut self, x: &str, perm: &[i64]) -> String {
        self.op("Transpose", &[x], vec![attr_ints("perm", perm)])
    }

    /// Logistic sigmoid.
    pub fn sigmoid(&mut self, x: &str) -> String {
        self.op("Sigmoid", &[x], vec![])
    }

    /// Clamp to `[lo, hi]`.
    pub fn clip(&mut self, x: &str, lo: f32, hi: f32) -> String {
        let lo = self.scalar("clip_min", lo);
        let hi = self.scalar("clip_max", hi);
        self.op("Clip", &[x, &lo, &hi], vec![])
    }

    /// Element type conversion.
    pub fn cast(&mut self, x: &str, to: DataType) -> String {
        self.op("Cast", &[x], vec![attr_int("to", to as i64)])
    }

    /// GridSample, bilinear, border padding, `align_corners=1` (grid is `N,H,W,2`).
    pub fn grid_sample(&mut self, x: &str, grid: &str) -> String {
        let attrs = vec![
            attr_str("mode", "bilinear"),
            attr_str("padding_mode", "border"),
            attr_int("align_corners", 1),
        ];
        self.op("GridSample", &[x, grid], attrs)
    }

    /// The runtime shape of `x`, dimensions `start..end`, as a 1-D int64 value.
    pub fn shape(&mut self, x: &str, start: i64, end: i64) -> String {
        let attrs = vec![attr_int("start", start), attr_int("end", end)];
        self.op("Shape", &[x], attrs)
    }

    /// Broadcast `x` to the shape held by the int64 value `shape`.
    pub fn expand(&mut self, x: &str, shape: &str) -> String {
        self.op("Expand", &[x, shape], vec![])
    }

    /// basicsr `pixel_unshuffle(x, r)` on an NCHW tensor with `channels` channels: output
    /// channel `c*r*r + dy*r + dx`. Built from Reshape + Transpose + Reshape (SpaceToDepth
    /// orders channels differently). Works for symbolic H and W (which must divide by `r`).
    pub fn pixel_unshuffle(&mut self, x: &str, channels: usize, r: usize) -> String {
        let (c, r) = (channels as i64, r as i64);
        let w = self.shape(x, 3, 4);
        let rr = self.ints("r", &[r]);
        let w_r = self.op("Div", &[&w, &rr], vec![]);
        let head = self.ints("unshuffle_head", &[0, c, -1, r]);
        let shape6 = self.concat(&[&head, &w_r, &rr], 0);
        let x6 = self.reshape(x, &shape6);
        let t = self.transpose(&x6, &[0, 1, 3, 5, 2, 4]);
        let head4 = self.ints("unshuffle_head", &[0, c * r * r, -1]);
        let shape4 = self.concat(&[&head4, &w_r], 0);
        self.reshape(&t, &shape4)
    }
}
