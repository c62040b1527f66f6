//! Seams of tiled upscaling, measured against a whole-frame run on real weights.
//!
//! A real 320x240 frame is cut into 64-pixel tiles. SRVGGNetCompact (receptive field 17 pixels)
//! is exact from 32 pixels of context. RRDBNet (anime_6B) sees much further: at 32 its seams are
//! visible (about 18 code values), at the default of 64 they are far under one code value.
//! RRDBNet x4plus (23 blocks) costs about 36 GFLOP per 1000 input pixels, so it is measured on a
//! 256x64 strip of the same frame (four 64-pixel tiles side by side, seams across the strip).

use std::path::{Path, PathBuf};

use smoothscale::frame::RgbFrame;
use smoothscale::models::npy;
use smoothscale::pipeline::{Tiling, Upscaler};

fn max_abs(a: &RgbFrame, b: &RgbFrame) -> f32 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    a.as_chw()
        .iter()
        .zip(b.as_chw())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The golden RIFE input frame (320x240), or `None` (with a message) when ../shared, the
/// models or ONNX Runtime are absent.
fn frame_and_runtime(models: &[PathBuf]) -> Option<RgbFrame> {
    let input = shared().join("golden/rife_plant_320x240_t0.5/img0.npy");
    if !input.is_file() || models.iter().any(|m| !m.is_file()) {
        eprintln!("skipping: ../shared (golden input and Real-ESRGAN weights) is absent");
        return None;
    }
    if let Err(e) = smoothscale::models::runtime::init() {
        eprintln!("skipping: {e}");
        return None;
    }
    let t = npy::read(&input).unwrap();
    let (w, h) = (t.shape[3], t.shape[2]);
    Some(RgbFrame::from_chw(w, h, t.data[..3 * w * h].to_vec()).unwrap())
}

/// The `width` x `height` window of `f` whose top-left corner is (`x0`, `y0`).
fn crop(f: &RgbFrame, x0: usize, y0: usize, width: usize, height: usize) -> RgbFrame {
    let (fw, fh) = (f.width(), f.height());
    let data = (0..3)
        .flat_map(|c| (y0..y0 + height).map(move |y| (c * fh + y) * fw + x0))
        .flat_map(|row| f.as_chw()[row..row + width].iter().copied())
        .collect();
    RgbFrame::from_chw(width, height, data).unwrap()
}

/// Max abs difference between 64-pixel tiles with each of `pads` and the whole frame, by pad.
fn seam_errors(model: &Path, frame: &RgbFrame, pads: &[usize]) -> Vec<(usize, f32)> {
    let upscale = |tiling: Tiling| {
        Upscaler::new(model, 4, tiling, 2)
            .unwrap()
            .upscale(frame)
            .unwrap()
    };
    let whole = upscale(Tiling {
        tile: 0,
        ..Tiling::default()
    });
    let errors: Vec<(usize, f32)> = pads
        .iter()
        .map(|&pad| {
            let tiled = upscale(Tiling {
                tile: 64,
                pad,
                batch: 4,
            });
            (pad, max_abs(&tiled, &whole))
        })
        .collect();
    eprintln!(
        "{} on {}x{}: max abs seam error by pad {errors:?}",
        model.display(),
        frame.width(),
        frame.height()
    );
    errors
}

/// Checks that the default pad (the last of `errors`) keeps seams under one code value and,
/// where `rrdb`, that a pad of 32 (the first) does not: the measurement can tell.
fn assert_seams(model: &Path, errors: &[(usize, f32)], rrdb: bool) {
    let (_, at_default) = errors[errors.len() - 1];
    assert!(
        at_default < 1.0 / 255.0,
        "{}: {at_default} at the default pad",
        model.display()
    );
    if rrdb {
        // Less context, visible seams.
        assert!(errors[0].1 > 1.0 / 255.0, "{errors:?}");
    }
}

#[test]
fn seams_stay_under_one_code_value_at_the_default_pad() {
    let models = [
        shared().join("models/realesrgan/realesr-animevideov3-x4.param"),
        shared().join("models/realesrgan/RealESRGAN_x4plus_anime_6B.pth"),
    ];
    let Some(frame) = frame_and_runtime(&models) else {
        return;
    };
    let pad = Tiling::default().pad;
    for model in &models {
        let errors = seam_errors(model, &frame, &[32, pad]);
        assert_seams(
            model,
            &errors,
            model.extension().is_some_and(|e| e == "pth"),
        );
    }
}

#[test]
fn x4plus_seams_stay_under_one_code_value_at_the_default_pad() {
    let model = shared().join("models/realesrgan/realesrgan-x4plus.param");
    let Some(frame) = frame_and_runtime(std::slice::from_ref(&model)) else {
        return;
    };
    // Rows 88..152 and columns 32..288: the plant's leaves and edges, not flat background.
    let strip = crop(&frame, 32, 88, 256, 64);
    let errors = seam_errors(&model, &strip, &[32, Tiling::default().pad]);
    assert_seams(&model, &errors, true);
}
