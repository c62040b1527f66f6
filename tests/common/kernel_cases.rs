//! The inputs and references of the CUDA kernel tests, shared by the host runs
//! (`tests/cuda_kernels_host*.rs`) and the device runs (`tests/gpu_kernels.rs`): a reproducible
//! generator, the frame sizes and colour parameters under test, Y'CbCr codes and RGB frames of
//! each kind (random, black, white, extremes), pitched planes, and the Rust references.

use smoothscale::colour::{
    f16_to_f32, f32_to_f16, rgb_to_yuv_planes, yuv_planes_to_rgb, Encoding, Matrix, PlaneMut,
    PlaneRef, Range, Siting,
};
use smoothscale::cuda::device::{Gpu, Kernels};
use smoothscale::frame::{Planar, RgbFrame};

/// Frame sizes: single pixel, odd, non-square, wider than a block.
pub const SIZES: [(usize, usize); 7] =
    [(1, 1), (2, 2), (3, 5), (17, 9), (33, 31), (64, 64), (70, 3)];
pub const MATRICES: [Matrix; 3] = [Matrix::Bt601, Matrix::Bt709, Matrix::Bt2020];
pub const RANGES: [Range; 2] = [Range::Limited, Range::Full];
pub const SITINGS: [Siting; 3] = [Siting::Left, Siting::Center, Siting::TopLeft];
/// The sample layouts under test: (bits, sample shift, 16-bit samples): NV12, P010, P016.
pub const LAYOUTS: [(u32, u32, bool); 3] = [(8, 0, false), (10, 6, true), (16, 0, true)];
/// Tiling cases: (width, height, tile, pad, scale).
pub const TILE_CASES: [(usize, usize, usize, usize, usize); 6] = [
    (1, 1, 4, 2, 2),
    (37, 23, 16, 4, 2),
    (64, 64, 32, 8, 4),
    (50, 9, 7, 3, 1),
    (100, 61, 128, 10, 2),
    (19, 40, 5, 0, 3),
];
/// Resize-by-half sizes.
pub const RESIZE_SIZES: [(usize, usize); 5] = [(1, 1), (2, 2), (3, 7), (33, 18), (64, 63)];
/// Scene-metric cases: (width, height, cell).
pub const SCENE_CASES: [(usize, usize, usize); 5] = [
    (1, 1, 8),
    (9, 5, 4),
    (64, 36, 8),
    (100, 57, 16),
    (31, 31, 1),
];

/// xorshift64*: reproducible inputs without a dependency.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Every encoding of [`LAYOUTS`] × [`MATRICES`] × [`RANGES`], with its sample shift and width.
pub fn encodings() -> Vec<(Encoding, u32, bool)> {
    let mut all = Vec::new();
    for (bits, shift, wide) in LAYOUTS {
        for matrix in MATRICES {
            for range in RANGES {
                all.push((
                    Encoding {
                        matrix,
                        range,
                        bits,
                    },
                    shift,
                    wide,
                ));
            }
        }
    }
    all
}

/// Kinds of frame content: 0 random codes, 1 black, 2 white, 3 codes at the extremes.
pub fn fill_codes(
    rng: &mut Rng,
    kind: usize,
    max: u64,
    n: usize,
    luma: bool,
    e: Encoding,
) -> Vec<u16> {
    let (black, white, neutral) = (e.luma([0.0; 3]), e.luma([1.0; 3]), e.chroma([0.0; 3]).0);
    (0..n)
        .map(|_| match (kind, luma) {
            (0, _) => rng.below(max + 1) as u16,
            (1, true) => black as u16,
            (2, true) => white as u16,
            (1 | 2, false) => neutral as u16,
            _ => [0, max][rng.below(2) as usize] as u16,
        })
        .collect()
}

/// Writes codes `<< shift` into a pitch-linear plane of `width` samples per row (the bytes past
/// the row are 0xa5, so a kernel that reads them shows).
pub fn to_pitched(codes: &[u16], width: usize, pitch: usize, wide: bool, shift: u32) -> Vec<u8> {
    let rows = codes.len() / width;
    let mut out = vec![0xa5u8; pitch * rows];
    for (k, &c) in codes.iter().enumerate() {
        let (x, y) = (k % width, k / width);
        let v = c << shift;
        if wide {
            out[y * pitch + 2 * x..][..2].copy_from_slice(&v.to_ne_bytes());
        } else {
            out[y * pitch + x] = v as u8;
        }
    }
    out
}

/// The samples of the first `width` of each of `rows` rows `pitch` bytes apart.
pub fn read_pitched(data: &[u8], width: usize, rows: usize, pitch: usize, wide: bool) -> Vec<u16> {
    let mut out = Vec::with_capacity(width * rows);
    for y in 0..rows {
        for x in 0..width {
            out.push(if wide {
                u16::from_ne_bytes([data[y * pitch + 2 * x], data[y * pitch + 2 * x + 1]])
            } else {
                u16::from(data[y * pitch + x])
            });
        }
    }
    out
}

/// A 4:2:0 frame's codes: luma `w × h`, Cb and Cr `ceil(w / 2) × ceil(h / 2)`.
pub struct YuvCodes {
    pub width: usize,
    pub height: usize,
    pub y: Vec<u16>,
    pub cb: Vec<u16>,
    pub cr: Vec<u16>,
}

impl YuvCodes {
    /// Codes of content `kind` (see [`fill_codes`]).
    pub fn generate(rng: &mut Rng, e: Encoding, kind: usize, width: usize, height: usize) -> Self {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let max = e.max_code() as u64;
        YuvCodes {
            width,
            height,
            y: fill_codes(rng, kind, max, width * height, true, e),
            cb: fill_codes(rng, kind, max, cw * ch, false, e),
            cr: fill_codes(rng, kind, max, cw * ch, false, e),
        }
    }

    /// Cb and Cr interleaved, as NV12/P016 store them.
    pub fn interleaved_chroma(&self) -> Vec<u16> {
        self.cb
            .iter()
            .zip(&self.cr)
            .flat_map(|(&b, &r)| [b, r])
            .collect()
    }

    /// The reference conversion to R'G'B', zero-padded to a multiple of `pad` (as RIFE's input).
    pub fn reference_rgb(&self, e: Encoding, siting: Siting, pad: usize) -> Planar<f32> {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        fn plane(data: &[u16], width: usize, height: usize) -> PlaneRef<'_, u16> {
            PlaneRef {
                data,
                stride: width,
                width,
                height,
            }
        }
        let mut frame = RgbFrame::new(w, h);
        let planes = [
            plane(&self.y, w, h),
            plane(&self.cb, cw, ch),
            plane(&self.cr, cw, ch),
        ];
        yuv_planes_to_rgb(planes, (1, 1), siting, e, &mut frame);
        frame.pad_chw(pad)
    }

    /// The reference conversion of `frame` to codes.
    pub fn from_rgb(frame: &RgbFrame, e: Encoding, siting: Siting) -> Self {
        let (w, h) = (frame.width(), frame.height());
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut y = vec![0u16; w * h];
        let (mut cb, mut cr) = (vec![0u16; cw * ch], vec![0u16; cw * ch]);
        let plane = |d, width, height| PlaneMut {
            data: d,
            stride: width,
            width,
            height,
        };
        let planes = [
            plane(&mut y, w, h),
            plane(&mut cb, cw, ch),
            plane(&mut cr, cw, ch),
        ];
        rgb_to_yuv_planes(frame, planes, (1, 1), siting, e);
        YuvCodes {
            width: w,
            height: h,
            y,
            cb,
            cr,
        }
    }

    /// The largest difference in code values from the pitched luma and chroma planes a kernel
    /// wrote, after checking that the bits below `shift` are zero.
    pub fn max_code_error(
        &self,
        luma: (&[u8], usize),
        chroma: (&[u8], usize),
        wide: bool,
        shift: u32,
    ) -> u16 {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let got_y = read_pitched(luma.0, w, h, luma.1, wide);
        let got_uv = read_pitched(chroma.0, 2 * cw, ch, chroma.1, wide);
        let mut worst = 0;
        for (k, &g) in got_y.iter().enumerate() {
            assert_eq!(g & ((1 << shift) - 1), 0, "low bits of a shifted sample");
            worst = worst.max((g >> shift).abs_diff(self.y[k]));
        }
        for k in 0..cw * ch {
            worst = worst.max((got_uv[2 * k] >> shift).abs_diff(self.cb[k]));
            worst = worst.max((got_uv[2 * k + 1] >> shift).abs_diff(self.cr[k]));
        }
        worst
    }
}

/// An R'G'B' frame of content `kind`: 0 random in [-0.1, 1.1), 1 black, 2 white, 3 extremes.
/// With `half`, every value is rounded through f16 (the reference of f16 input).
pub fn rgb_frame(rng: &mut Rng, kind: usize, w: usize, h: usize, half: bool) -> RgbFrame {
    let mut value = |_| match kind {
        0 => rng.unit() * 1.2 - 0.1,
        1 => 0.0,
        2 => 1.0,
        _ => [0.0, 1.0][rng.below(2) as usize],
    };
    let mut data: Vec<f32> = (0..3 * w * h).map(&mut value).collect();
    if half {
        data.iter_mut()
            .for_each(|v| *v = f16_to_f32(f32_to_f16(*v)));
    }
    RgbFrame::from_chw(w, h, data).expect("CHW data")
}

/// The model stand-in of the tiling tests: nearest-neighbour upscaling of every slot by `scale`.
pub fn upscale_slots<T: Copy>(
    batch: &[T],
    slots: usize,
    w: usize,
    h: usize,
    scale: usize,
) -> Vec<T> {
    let mut out = Vec::with_capacity(batch.len() * scale * scale);
    for s in 0..slots {
        for y in 0..h * scale {
            for x in 0..w * scale {
                out.push(batch[s * w * h + (y / scale) * w + x / scale]);
            }
        }
    }
    out
}

/// Two luma planes of `h` rows `pitch` bytes apart that differ in their first half.
pub fn scene_pair(rng: &mut Rng, pitch: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
    let a: Vec<u8> = (0..pitch * h).map(|_| rng.next() as u8).collect();
    let mut b = a.clone();
    b.iter_mut()
        .take(pitch * h / 2)
        .for_each(|v| *v = v.wrapping_add(rng.next() as u8 % 40));
    (a, b)
}

/// 16-bit samples of native-endian bytes.
pub fn wide_samples(d: &[u8]) -> Vec<u16> {
    d.chunks_exact(2)
        .map(|c| u16::from_ne_bytes([c[0], c[1]]))
        .collect()
}

/// The device under test of the `gpu_kernels*` tests: the kernels loaded and one stream.
pub struct Device {
    pub kernels: Kernels,
    pub stream: std::sync::Arc<cudarc::driver::CudaStream>,
}

/// The first device with the kernels loaded, or `None` (after the skip line) without one.
pub fn device() -> Option<Device> {
    let context = super::gpu::cuda_device()?;
    let gpu = Gpu::from_context(context).expect("device properties");
    eprintln!("{}", gpu.info());
    let kernels = Kernels::load(&gpu).expect("the kernels load on the device");
    eprintln!("kernels: {:?}", kernels.origin());
    let stream = gpu.new_stream().expect("a stream");
    Some(Device { kernels, stream })
}

/// Native-endian bytes of f32 values.
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

/// Native-endian bytes of u16 samples.
pub fn u16_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

/// f32 values of native-endian bytes.
pub fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
