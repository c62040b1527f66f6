//! Seams of tiled upscaling, measured against a whole-frame run on real weights.
//!
//! SRVGGNetCompact (receptive field 17 pixels) is exact with the default context
//! (`--tile-pad 32`). RRDBNet sees much further (about 100 pixels for 6 blocks): at the default
//! context its seams are a few code values (printed here), so whole frames (`--tile 0`, the
//! default) or a larger `--tile-pad` are the choice for it.

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
fn seams_shrink_with_context_and_vanish_for_srvgg_at_the_default_pad() {
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
    // The top-left 160x120 of a real frame: big enough that tiles of 64 with 32 pixels of context
    // do not see the whole frame.
    let t = npy::read(&input).unwrap();
    let (src_w, src_h) = (t.shape[3], t.shape[2]);
    let (w, h) = (160, 120);
    let mut data = Vec::with_capacity(3 * w * h);
    for c in 0..3 {
        for y in 0..h {
            let row = (c * src_h + y) * src_w;
            data.extend_from_slice(&t.data[row..row + w]);
        }
    }
    let frame = RgbFrame::from_chw(w, h, data).unwrap();
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
        for p in [0, 8, pad] {
            let tiling = Tiling {
                tile: 24,
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
        let (_, at_default) = errors[2];
        if model.extension().is_some_and(|e| e == "param") {
            assert!(
                at_default < 1.0 / 255.0,
                "{}: {at_default}",
                model.display()
            );
        }
        // More context, smaller seams; without context they are visible, so the test can tell.
        assert!(
            errors[0].1 > errors[1].1 && errors[1].1 > at_default,
            "{errors:?}"
        );
    }
}
