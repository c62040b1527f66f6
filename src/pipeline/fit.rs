//! `--size WxH --fit crop|pad|scale`: an exact output size after the models, planned the same
//! way for both backends. `crop` takes the centre of the frame without resampling (3840x2176 →
//! 3840x2160), `pad` centres it on black borders, `scale` resamples it (Lanczos on the CPU) and
//! adjusts the sample aspect ratio so that the picture keeps its shape on screen, as FFmpeg's
//! `scale` filter does. A size the chosen fit cannot reach is refused before any frame.

use crate::tiling::{Rect, Tile, TilePlan};
use crate::timeline::Rational;

/// How the frame is brought to the output size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Crop,
    Pad,
    Scale,
}

impl Fit {
    pub fn name(self) -> &'static str {
        match self {
            Fit::Crop => "crop",
            Fit::Pad => "pad",
            Fit::Scale => "scale",
        }
    }
}

/// `--size` and `--fit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSize {
    pub width: u32,
    pub height: u32,
    pub fit: Fit,
}

/// What happens to each frame after the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitPlan {
    /// The frame already has the size.
    Keep,
    /// The `width` x `height` window at (`x`, `y`) of the frame.
    Crop {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// The frame at (`x`, `y`) of a black `width` x `height` frame.
    Pad {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
    },
    /// The frame resampled to `width` x `height`.
    Scale { width: u32, height: u32 },
}

impl FitPlan {
    /// The output size for frames of `width` x `height`.
    pub fn size(&self, width: u32, height: u32) -> (u32, u32) {
        match *self {
            FitPlan::Keep => (width, height),
            FitPlan::Crop { width, height, .. }
            | FitPlan::Pad { width, height, .. }
            | FitPlan::Scale { width, height } => (width, height),
        }
    }
}

impl FitPlan {
    /// Crop and pad as one-tile plans of the tile kernels, shared by both backends: the window
    /// of a crop is the one tile extracted from the frame (its slot is the output), and a padded
    /// frame is the one tile stitched into the black output at its offset (its slot is the
    /// frame). `(extract, stitch)`; `None` for [`FitPlan::Keep`] and [`FitPlan::Scale`].
    pub fn tile_plans(&self, (width, height): (u32, u32)) -> Option<(TilePlan, TilePlan)> {
        let one = |frame: (u32, u32), slot: (u32, u32), at: (u32, u32)| {
            let rect = Rect {
                x: at.0 as usize,
                y: at.1 as usize,
                width: slot.0 as usize,
                height: slot.1 as usize,
            };
            TilePlan {
                width: frame.0 as usize,
                height: frame.1 as usize,
                slot_width: slot.0 as usize,
                slot_height: slot.1 as usize,
                tiles: vec![Tile {
                    keep: rect,
                    context: rect,
                }],
            }
        };
        match *self {
            FitPlan::Crop {
                x,
                y,
                width: w,
                height: h,
            } => Some((
                one((width, height), (w, h), (x, y)),
                one((w, h), (w, h), (0, 0)),
            )),
            FitPlan::Pad {
                x,
                y,
                width: w,
                height: h,
            } => Some((
                one((width, height), (width, height), (0, 0)),
                one((w, h), (width, height), (x, y)),
            )),
            FitPlan::Keep | FitPlan::Scale { .. } => None,
        }
    }
}

/// A size the fit cannot give (a usage error: exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--size {want_w}x{want_h} --fit {fit}: {why} (the frames are {have_w}x{have_h} after the models)", fit = .fit.name())]
pub struct FitError {
    pub want_w: u32,
    pub want_h: u32,
    pub have_w: u32,
    pub have_h: u32,
    pub fit: Fit,
    pub why: &'static str,
}

/// Plans `size` for frames of `width` x `height` (after the models); `chroma` is the output's
/// chroma subsampling shift `(x, y)` (4:2:0 is (1, 1)): the size must be a multiple of it.
pub fn plan(
    size: OutputSize,
    (width, height): (u32, u32),
    chroma: (u32, u32),
) -> Result<FitPlan, FitError> {
    let error = |why| FitError {
        want_w: size.width,
        want_h: size.height,
        have_w: width,
        have_h: height,
        fit: size.fit,
        why,
    };
    let (mx, my) = (1 << chroma.0, 1 << chroma.1);
    if !size.width.is_multiple_of(mx) || !size.height.is_multiple_of(my) {
        return Err(error(
            "the size must be even for the output's chroma subsampling",
        ));
    }
    if (size.width, size.height) == (width, height) {
        return Ok(FitPlan::Keep);
    }
    // Centred. Frames are cropped and padded as RGB, before the conversion to YUV, so the
    // offsets need not fall on the chroma grid.
    let centre = |outer: u32, inner: u32| (outer - inner) / 2;
    match size.fit {
        Fit::Crop => {
            if size.width > width || size.height > height {
                return Err(error(
                    "cropping cannot make a frame larger (use --fit pad or --fit scale)",
                ));
            }
            Ok(FitPlan::Crop {
                x: centre(width, size.width),
                y: centre(height, size.height),
                width: size.width,
                height: size.height,
            })
        }
        Fit::Pad => {
            if size.width < width || size.height < height {
                return Err(error(
                    "padding cannot make a frame smaller (use --fit crop or --fit scale)",
                ));
            }
            Ok(FitPlan::Pad {
                x: centre(size.width, width),
                y: centre(size.height, height),
                width: size.width,
                height: size.height,
            })
        }
        Fit::Scale => Ok(FitPlan::Scale {
            width: size.width,
            height: size.height,
        }),
    }
}

/// The sample aspect ratio of the output: unchanged by cropping and padding, which keep the
/// pixels; multiplied by `(w / W) / (h / H)` by resampling, so the picture keeps its display
/// shape. An unknown ratio (zero) is taken as square, and stays unknown where that holds.
pub fn sample_aspect(plan: &FitPlan, (width, height): (u32, u32), sar: Rational) -> Rational {
    let FitPlan::Scale {
        width: out_w,
        height: out_h,
    } = *plan
    else {
        return sar;
    };
    let square = Rational::from_int(1);
    let base = if sar.is_positive() { sar } else { square };
    let stretch = Rational::new(
        i128::from(width) * i128::from(out_h),
        i128::from(height) * i128::from(out_w),
    );
    match stretch {
        Some(stretch) if stretch != square => base * stretch,
        _ => sar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(width: u32, height: u32, fit: Fit) -> OutputSize {
        OutputSize { width, height, fit }
    }

    #[test]
    fn uhd_from_a_1088_tall_2x_output_is_a_centre_crop() {
        let p = plan(size(3840, 2160, Fit::Crop), (3840, 2176), (1, 1)).unwrap();
        assert_eq!(
            p,
            FitPlan::Crop {
                x: 0,
                y: 8,
                width: 3840,
                height: 2160
            }
        );
        assert_eq!(p.size(3840, 2176), (3840, 2160));
        let square = Rational::from_int(1);
        assert_eq!(sample_aspect(&p, (3840, 2176), square), square);
    }

    #[test]
    fn pad_centres_on_the_chroma_grid_and_scale_takes_any_even_size() {
        let p = plan(size(100, 60, Fit::Pad), (64, 48), (1, 1)).unwrap();
        assert_eq!(
            p,
            FitPlan::Pad {
                x: 18,
                y: 6,
                width: 100,
                height: 60
            }
        );
        // An odd margin puts the odd pixel on the right.
        let p = plan(size(70, 48, Fit::Pad), (64, 48), (1, 1)).unwrap();
        assert!(matches!(p, FitPlan::Pad { x: 3, y: 0, .. }), "{p:?}");
        let p = plan(size(96, 40, Fit::Scale), (64, 48), (1, 1)).unwrap();
        assert_eq!(
            p,
            FitPlan::Scale {
                width: 96,
                height: 40
            }
        );
        assert_eq!(
            plan(size(64, 48, Fit::Scale), (64, 48), (1, 1)),
            Ok(FitPlan::Keep)
        );
    }

    #[test]
    fn crop_and_pad_through_the_tile_functions() {
        use crate::tiling::{extract_tiles, stitch_tiles};
        // A 6x4 frame of distinct values, one plane.
        let frame: Vec<u32> = (1..=24).collect();
        let crop = plan(size(4, 2, Fit::Crop), (6, 4), (1, 1)).unwrap();
        let (extract, _) = crop.tile_plans((6, 4)).unwrap();
        assert_eq!(
            extract_tiles(&extract, &frame, 1),
            [8, 9, 10, 11, 14, 15, 16, 17]
        );
        let pad = plan(size(8, 6, Fit::Pad), (6, 4), (1, 1)).unwrap();
        let (_, stitch) = pad.tile_plans((6, 4)).unwrap();
        let padded = stitch_tiles(&stitch, &frame, 1, 1);
        assert_eq!(padded.len(), 48);
        assert_eq!(&padded[..8], &[0; 8]);
        assert_eq!(&padded[8..16], &[0, 1, 2, 3, 4, 5, 6, 0]);
        assert_eq!(&padded[40..], &[0; 8]);
        assert!(FitPlan::Keep.tile_plans((6, 4)).is_none());
    }

    #[test]
    fn unreachable_sizes_are_refused() {
        let e = plan(size(4000, 2160, Fit::Crop), (3840, 2176), (1, 1)).unwrap_err();
        assert!(e.to_string().contains("cropping cannot make"), "{e}");
        assert!(e.to_string().contains("3840x2176 after the models"), "{e}");
        let e = plan(size(3840, 2000, Fit::Pad), (3840, 2176), (1, 1)).unwrap_err();
        assert!(e.to_string().contains("padding cannot make"), "{e}");
        // Mixed: wider but shorter cannot be cropped or padded.
        assert!(plan(size(4000, 2000, Fit::Crop), (3840, 2176), (1, 1)).is_err());
        assert!(plan(size(4000, 2000, Fit::Pad), (3840, 2176), (1, 1)).is_err());
        let e = plan(size(3841, 2160, Fit::Scale), (3840, 2176), (1, 1)).unwrap_err();
        assert!(e.to_string().contains("even"), "{e}");
        // 4:4:4 takes odd sizes.
        assert!(plan(size(3841, 2161, Fit::Scale), (3840, 2176), (0, 0)).is_ok());
    }

    #[test]
    fn scaling_keeps_the_display_shape() {
        let square = Rational::from_int(1);
        let p = plan(size(3840, 2160, Fit::Scale), (1920, 1088), (1, 1)).unwrap();
        // 1920x1088 square pixels shown as 3840x2160 samples: each sample 2160/2176 as wide.
        let sar = sample_aspect(&p, (1920, 1088), square);
        assert_eq!(sar, Rational::new(2160, 2176).unwrap());
        let display = 3840.0 * sar.to_f64() / 2160.0;
        assert!((display - 1920.0 / 1088.0).abs() < 1e-12, "{sar:?}");
        // A uniform scale keeps the ratio; an unknown one stays unknown there.
        let p = plan(size(3840, 2176, Fit::Scale), (1920, 1088), (1, 1)).unwrap();
        assert_eq!(sample_aspect(&p, (1920, 1088), square), square);
        assert_eq!(
            sample_aspect(&p, (1920, 1088), Rational::ZERO),
            Rational::ZERO
        );
    }
}
