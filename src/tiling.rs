//! The tile plan of the upscaler, shared by every backend: the frame is cut into `tile × tile`
//! regions (the last row and column smaller), each seen by the model with at least `pad` pixels of
//! context on every side that is not a frame border. Unlike Real-ESRGAN's `tile_process`, which
//! clips the context at the borders, the context window keeps the full slot size and moves inward
//! there, so all tiles fill equal slots of one batch tensor (`slot_width × slot_height`) with real
//! pixels only. Filling a clipped context up with zeros instead would put seams near the borders
//! (measured in `tests/tiling_seams.rs`). After the model, only each tile's kept region is copied
//! back.
//!
//! [`extract_tiles`] and [`stitch_tiles`] are the references of `src/cuda/kernels/tiles.cu`.

use std::ops::Range;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Rect {
    /// Whether `(x, y)` lies inside.
    pub fn contains(&self, x: usize, y: usize) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.width && y < self.y + self.height
    }
}

/// One tile: the region it contributes to the output and the region the model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Input pixels this tile's (upscaled) output provides.
    pub keep: Rect,
    /// Input pixels copied into its slot: `keep` grown by the pad, clipped to the frame.
    pub context: Rect,
}

/// How a `width × height` frame is cut into tiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TilePlan {
    pub width: usize,
    pub height: usize,
    /// Slot size of the batch tensor, in input pixels: `tile + 2 × pad`, at most the frame size.
    pub slot_width: usize,
    pub slot_height: usize,
    /// Row-major tiles.
    pub tiles: Vec<Tile>,
}

impl TilePlan {
    /// The plan for a `width × height` frame with tiles of `tile` pixels and `pad` of context.
    ///
    /// # Panics
    /// If `tile`, `width` or `height` is zero.
    pub fn new(width: usize, height: usize, tile: usize, pad: usize) -> Self {
        assert!(tile > 0 && width > 0 && height > 0, "empty tile plan");
        // Every context is a full slot: `pad` pixels around the tile, the window shifted inward at
        // the frame borders rather than clipped. No slot holds filler, so each tile sees real
        // pixels wherever the whole frame has them, and the frame borders are the model's own.
        let axis = |n: usize| -> Vec<(usize, usize, usize, usize)> {
            let slot = (tile + 2 * pad).min(n);
            (0..n.div_ceil(tile))
                .map(|i| {
                    let start = i * tile;
                    let end = (start + tile).min(n);
                    let lo = start.saturating_sub(pad).min(n - slot);
                    (start, end - start, lo, slot)
                })
                .collect()
        };
        let (cols, rows) = (axis(width), axis(height));
        let mut tiles = Vec::with_capacity(cols.len() * rows.len());
        for &(y, h, cy, ch) in &rows {
            for &(x, w, cx, cw) in &cols {
                tiles.push(Tile {
                    keep: Rect {
                        x,
                        y,
                        width: w,
                        height: h,
                    },
                    context: Rect {
                        x: cx,
                        y: cy,
                        width: cw,
                        height: ch,
                    },
                });
            }
        }
        TilePlan {
            width,
            height,
            slot_width: (tile + 2 * pad).min(width),
            slot_height: (tile + 2 * pad).min(height),
            tiles,
        }
    }
}

impl TilePlan {
    /// The largest kept region `(width, height)`: the grid of the stitch kernel, before scaling.
    pub fn max_keep(&self) -> (usize, usize) {
        self.tiles.iter().fold((0, 0), |(w, h), t| {
            (w.max(t.keep.width), h.max(t.keep.height))
        })
    }
}

/// Copies each tile's context of `src` (`channels` planes of the plan's frame) into its slot of a
/// `[tiles, channels, slot_height, slot_width]` batch; the rest of each slot is `T::default()`.
pub fn extract_tiles<T: Copy + Default>(plan: &TilePlan, src: &[T], channels: usize) -> Vec<T> {
    extract_tile_range(plan, 0..plan.tiles.len(), src, channels)
}

/// [`extract_tiles`] of the tiles in `range` only: the batch of one model call.
pub fn extract_tile_range<T: Copy + Default>(
    plan: &TilePlan,
    range: Range<usize>,
    src: &[T],
    channels: usize,
) -> Vec<T> {
    let (sw, sh) = (plan.slot_width, plan.slot_height);
    let plane = plan.width * plan.height;
    assert_eq!(src.len(), channels * plane, "source planes");
    let tiles = &plan.tiles[range];
    let mut batch = vec![T::default(); tiles.len() * channels * sw * sh];
    for (t, tile) in tiles.iter().enumerate() {
        let ctx = tile.context;
        for c in 0..channels {
            let slot = (t * channels + c) * sw * sh;
            for y in 0..ctx.height {
                let from = c * plane + (ctx.y + y) * plan.width + ctx.x;
                let to = slot + y * sw;
                batch[to..to + ctx.width].copy_from_slice(&src[from..from + ctx.width]);
            }
        }
    }
    batch
}

/// The inverse of [`extract_tiles`] after a model that scales by `scale`: `batch` holds
/// `[tiles, channels, slot_height × scale, slot_width × scale]`; each tile's kept region is copied
/// into the `channels` planes of the `width × scale` by `height × scale` output.
pub fn stitch_tiles<T: Copy + Default>(
    plan: &TilePlan,
    batch: &[T],
    scale: usize,
    channels: usize,
) -> Vec<T> {
    let mut out = vec![T::default(); channels * plan.width * scale * plan.height * scale];
    stitch_tile_range(plan, 0..plan.tiles.len(), batch, scale, channels, &mut out);
    out
}

/// [`stitch_tiles`] of the tiles in `range` only (`batch` holds just those), into `out`.
pub fn stitch_tile_range<T: Copy>(
    plan: &TilePlan,
    range: Range<usize>,
    batch: &[T],
    scale: usize,
    channels: usize,
    out: &mut [T],
) {
    let (sw, sh) = (plan.slot_width * scale, plan.slot_height * scale);
    let (w, h) = (plan.width * scale, plan.height * scale);
    let tiles = &plan.tiles[range];
    assert_eq!(batch.len(), tiles.len() * channels * sw * sh, "batch");
    assert_eq!(out.len(), channels * w * h, "output planes");
    for (t, tile) in tiles.iter().enumerate() {
        let (keep, ctx) = (tile.keep, tile.context);
        let (sx, sy) = ((keep.x - ctx.x) * scale, (keep.y - ctx.y) * scale);
        let kw = keep.width * scale;
        for c in 0..channels {
            let slot = (t * channels + c) * sw * sh;
            for y in 0..keep.height * scale {
                let from = slot + (sy + y) * sw + sx;
                let to = c * w * h + (keep.y * scale + y) * w + keep.x * scale;
                out[to..to + kw].copy_from_slice(&batch[from..from + kw]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Kept regions cover the frame exactly once; each context holds its kept region with at
        /// least `pad` pixels (or all there is) on every side, lies in the frame and fills a slot.
        #[test]
        fn kept_regions_cover_once(w in 1usize..300, h in 1usize..300, tile in 1usize..130,
                                   pad in 0usize..20) {
            let plan = TilePlan::new(w, h, tile, pad);
            let mut count = vec![0u8; w * h];
            for t in &plan.tiles {
                let (k, c) = (t.keep, t.context);
                prop_assert!(c.x <= k.x && c.y <= k.y);
                prop_assert!(k.x + k.width <= c.x + c.width && k.y + k.height <= c.y + c.height);
                prop_assert!(c.x + c.width <= w && c.y + c.height <= h);
                prop_assert!(c.width == plan.slot_width && c.height == plan.slot_height);
                prop_assert!(k.x - c.x >= pad.min(k.x) && k.y - c.y >= pad.min(k.y));
                let (kr, kb) = (k.x + k.width, k.y + k.height);
                prop_assert!(c.x + c.width - kr >= pad.min(w - kr));
                prop_assert!(c.y + c.height - kb >= pad.min(h - kb));
                for y in k.y..k.y + k.height {
                    for x in k.x..k.x + k.width {
                        count[y * w + x] += 1;
                    }
                }
            }
            prop_assert!(count.iter().all(|&n| n == 1));
        }

        /// Extract then stitch with an identity "model" gives the frame back.
        #[test]
        fn extract_stitch_round_trip(w in 1usize..80, h in 1usize..80, tile in 1usize..40,
                                     pad in 0usize..8) {
            let plan = TilePlan::new(w, h, tile, pad);
            let src: Vec<u32> = (0..2 * w * h).map(|v| v as u32 + 1).collect();
            let batch = extract_tiles(&plan, &src, 2);
            prop_assert_eq!(stitch_tiles(&plan, &batch, 1, 2), src);
        }

        /// Extracting and stitching call by call, in batches of `per`, gives the same frame.
        #[test]
        fn calls_of_a_few_tiles_stitch_the_same(w in 1usize..80, h in 1usize..80,
                                                tile in 1usize..40, pad in 0usize..8,
                                                per in 1usize..5) {
            let plan = TilePlan::new(w, h, tile, pad);
            let src: Vec<u32> = (0..3 * w * h).map(|v| v as u32 + 1).collect();
            let mut out = vec![0u32; src.len()];
            let n = plan.tiles.len();
            for start in (0..n).step_by(per) {
                let range = start..(start + per).min(n);
                let batch = extract_tile_range(&plan, range.clone(), &src, 3);
                stitch_tile_range(&plan, range, &batch, 1, 3, &mut out);
            }
            prop_assert_eq!(out, src);
        }
    }

    #[test]
    fn real_esrgan_layout() {
        let plan = TilePlan::new(100, 50, 40, 10);
        assert_eq!((plan.slot_width, plan.slot_height), (60, 50));
        assert_eq!(plan.tiles.len(), 3 * 2);
        let last = plan.tiles[5];
        assert_eq!(
            last.keep,
            Rect {
                x: 80,
                y: 40,
                width: 20,
                height: 10
            }
        );
        assert_eq!(
            last.context,
            Rect {
                x: 40,
                y: 0,
                width: 60,
                height: 50
            }
        );
    }
}
