//! Seams of tiled upscaling, measured against a whole-frame run on real weights.
//!
//! A real 320x240 frame is cut into 64-pixel tiles. SRVGGNetCompact (receptive field 17 pixels)
//! is exact from 32 pixels of context. RRDBNet (anime_6B) sees much further: at 32 its seams are
//! visible (about 18 code values), at the default of 64 they are far under one code value.

use std::path::Path;

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

#[test]
fn seams_stay_under_one_code_value_at_the_default_pad() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let input = shared.join("golden/rife_plant_320x240_t0.5/img0.npy");
    let models = [
        shared.join("models/realesrgan/realesr-animevideov3-x4.param"),
        shared.join("models/realesrgan/RealESRGAN_x4plus_anime_6B.pth"),
    ];
    if !input.is_file() || models.iter().any(|m| !m.is_file()) {
        eprintln!("skipping: ../shared (golden input and Real-ESRGAN weights) is absent");
        return;
    }
    if let Err(e) = smoothscale::models::runtime::init() {
        eprintln!("skipping: {e}");
        return;
    }
    let t = npy::read(&input).unwrap();
    let (w, h) = (t.shape[3], t.shape[2]);
    let frame = RgbFrame::from_chw(w, h, t.data[..3 * w * h].to_vec()).unwrap();
    let pad = Tiling::default().pad;
    for model in &models {
        let whole = Upscaler::new(
            model,
            4,
            Tiling {
                tile: 0,
                ..Tiling::default()
            },
            2,
        )
        .unwrap()
        .upscale(&frame)
        .unwrap();
        let mut errors = Vec::new();
        for p in [32, pad] {
            let tiling = Tiling {
                tile: 64,
                pad: p,
                batch: 4,
            };
            let tiled = Upscaler::new(model, 4, tiling, 2)
                .unwrap()
                .upscale(&frame)
                .unwrap();
            errors.push((p, max_abs(&tiled, &whole)));
        }
        eprintln!("{}: max abs seam error by pad {errors:?}", model.display());
        let (_, at_default) = errors[1];
        assert!(
            at_default < 1.0 / 255.0,
            "{}: {at_default} at the default pad",
            model.display()
        );
        if model.extension().is_some_and(|e| e == "pth") {
            // Less context, visible seams: the test can tell.
            assert!(errors[0].1 > 1.0 / 255.0, "{errors:?}");
        }
    }
}
