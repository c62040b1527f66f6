//! `--tile`: how the upscaler cuts frames, decided from the memory a job may use. Shared by both
//! backends; each supplies what one model call of a given tiling holds (its own estimate) and the
//! bytes it may spend on that call.
//!
//! `auto` (the default) upscales whole frames when that call fits, and otherwise tiles (multiples
//! of [`TILE_STEP`] input pixels, with the requested pad) of the size that fits and runs the model
//! over the fewest pixels per frame (usually the largest that fits; a slightly smaller one when
//! it divides the frame better), then as many of those tiles per call as fit. `--tile N` forces the size; its batch is bounded the same way.
//! `--tile 0` forces whole frames.

use super::models::Tiling;

/// Auto tile sizes are multiples of this many input pixels: a multiple of every upscaler's
/// alignment (RRDBNet x2 needs 2, x1 needs 4, the others 1).
pub const TILE_STEP: usize = 16;

/// The smallest tile `auto` tries: below it the pad dominates each call.
pub const MIN_AUTO_TILE: usize = 64;

/// The pixels of context around each tile unless told otherwise: 64 keeps seams under 1/255 for
/// both upscaler families (`tests/tiling_seams.rs`).
pub const DEFAULT_PAD: usize = 64;

/// What `--tile` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSize {
    /// Whole frames when they fit, else the largest tile that fits.
    Auto,
    /// Whole frames, whatever they need (`--tile 0`).
    Whole,
    /// Tiles of this many input pixels square.
    Pixels(usize),
}

/// `--tile` and `--tile-pad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRequest {
    pub size: TileSize,
    pub pad: usize,
}

impl Default for TileRequest {
    fn default() -> Self {
        TileRequest {
            size: TileSize::Auto,
            pad: DEFAULT_PAD,
        }
    }
}

impl TileRequest {
    /// Tiles of `tile` pixels (0: whole frames) with `pad` of context.
    pub fn fixed(tile: usize, pad: usize) -> Self {
        TileRequest {
            size: if tile == 0 {
                TileSize::Whole
            } else {
                TileSize::Pixels(tile)
            },
            pad,
        }
    }
}

/// No tiling of the request fits the memory given to the model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoTilingFits {
    /// The smallest call tried, in bytes.
    pub smallest: u64,
    /// The bytes the call may use.
    pub budget: u64,
}

/// Decides the tiling of `request` for `width` x `height` frames: `call_bytes` is what one model
/// call of a tiling holds, `budget` what the call may use.
pub fn choose(
    request: TileRequest,
    (width, height): (usize, usize),
    call_bytes: impl Fn(&Tiling) -> u64,
    budget: u64,
) -> Result<Tiling, NoTilingFits> {
    let pad = request.pad;
    let whole = Tiling {
        tile: 0,
        pad,
        batch: 1,
    };
    let tile = match request.size {
        TileSize::Whole => return Ok(whole),
        TileSize::Pixels(tile) => tile,
        TileSize::Auto => {
            if call_bytes(&whole) <= budget {
                return Ok(whole);
            }
            let largest = (width.max(height) / TILE_STEP) * TILE_STEP;
            let one = |tile: usize| Tiling {
                tile,
                pad,
                batch: 1,
            };
            // Of the sizes whose single tile fits, the one that runs the model over the fewest
            // pixels per frame (a tile just over a divisor of the frame wastes a whole row of
            // slots); ties go to the larger tile.
            let best = (MIN_AUTO_TILE..=largest)
                .rev()
                .step_by(TILE_STEP)
                .filter(|&t| call_bytes(&one(t)) <= budget)
                .min_by_key(|&t| frame_work((width, height), t, pad));
            match best {
                Some(tile) => tile,
                None => {
                    return Err(NoTilingFits {
                        smallest: call_bytes(&one(MIN_AUTO_TILE)),
                        budget,
                    })
                }
            }
        }
    };
    let single = Tiling {
        tile,
        pad,
        batch: 1,
    };
    if single.is_whole(width, height) {
        return Ok(single);
    }
    let tiles = crate::tiling::TilePlan::new(width, height, tile, pad)
        .tiles
        .len();
    let batch = (1..=tiles)
        .rev()
        .find(|&batch| call_bytes(&Tiling { batch, ..single }) <= budget);
    match batch {
        Some(batch) => Ok(Tiling { batch, ..single }),
        // A forced size is kept even when one tile is over: the caller's limit check says so.
        None if request.size != TileSize::Auto => Ok(single),
        None => Err(NoTilingFits {
            smallest: call_bytes(&single),
            budget,
        }),
    }
}

/// Input pixels the model runs over for one frame in tiles of `tile` with `pad`: every tile's
/// full slot.
pub fn frame_work((width, height): (usize, usize), tile: usize, pad: usize) -> usize {
    let plan = crate::tiling::TilePlan::new(width, height, tile, pad);
    plan.tiles.len() * plan.slot_width * plan.slot_height
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call holding `per` bytes per input pixel of its batch, like the real estimates.
    fn cost(width: usize, height: usize, per: u64) -> impl Fn(&Tiling) -> u64 {
        move |t: &Tiling| {
            let pixels = if t.is_whole(width, height) {
                width * height
            } else {
                let plan = crate::tiling::TilePlan::new(width, height, t.tile, t.pad);
                plan.slot_width * plan.slot_height * t.batch.min(plan.tiles.len())
            };
            pixels as u64 * per
        }
    }

    #[test]
    fn auto_keeps_whole_frames_that_fit() {
        let (w, h) = (1920, 1088);
        let t = choose(TileRequest::default(), (w, h), cost(w, h, 100), 1 << 30).unwrap();
        assert!(t.is_whole(w, h), "{t:?}");
    }

    #[test]
    fn auto_takes_the_tile_of_least_work_that_fits_then_the_largest_batch() {
        let (w, h) = (1920, 1088);
        let per = 16 << 10;
        let budget = 8u64 << 30;
        let call = cost(w, h, per);
        let t = choose(TileRequest::default(), (w, h), &call, budget).unwrap();
        assert!(!t.is_whole(w, h));
        assert_eq!(t.tile % TILE_STEP, 0);
        assert_eq!(t.pad, DEFAULT_PAD);
        assert!(call(&t) <= budget, "{t:?}");
        // Every other size that fits runs the model over at least as many pixels.
        let work = frame_work((w, h), t.tile, t.pad);
        for other in (MIN_AUTO_TILE..=1920).step_by(TILE_STEP) {
            let single = Tiling {
                tile: other,
                batch: 1,
                ..t
            };
            if call(&single) <= budget {
                assert!(
                    frame_work((w, h), other, t.pad) >= work,
                    "{other} beats {t:?}"
                );
            }
        }
        // 8 GiB at 16 KiB holds 512 Ki pixels: slots up to 720^2 (tiles up to 592). Of those,
        // 544 halves the 1088 rows exactly (8 slots of 672^2); 592 needs 8 slots of 720^2.
        assert_eq!((t.tile, t.batch), (544, 1));
        // With room for several slots of a forced size, the batch grows to what fits.
        let forced = TileRequest::fixed(256, 64);
        let t = choose(forced, (w, h), &call, budget).unwrap();
        assert_eq!(t.tile, 256);
        // 384^2 slots at 16 KiB are 2.25 GiB: three fit in 8 GiB.
        assert_eq!(t.batch, 3);
    }

    #[test]
    fn the_batch_never_exceeds_the_frames_tiles() {
        let (w, h) = (300, 200);
        let t = choose(TileRequest::fixed(100, 8), (w, h), cost(w, h, 1), u64::MAX).unwrap();
        assert_eq!(t.batch, 6);
    }

    #[test]
    fn whole_is_forced_and_auto_fails_below_the_smallest_tile() {
        let (w, h) = (1920, 1088);
        let call = cost(w, h, 1 << 20);
        let whole = choose(TileRequest::fixed(0, 64), (w, h), &call, 1).unwrap();
        assert!(whole.is_whole(w, h));
        let e = choose(TileRequest::default(), (w, h), &call, 1 << 30).unwrap_err();
        assert_eq!(e.budget, 1 << 30);
        assert_eq!(e.smallest, 192 * 192 * (1 << 20));
        // A forced size too large for one call is kept for the limit check to refuse.
        let t = choose(TileRequest::fixed(512, 64), (w, h), &call, 1 << 30).unwrap();
        assert_eq!((t.tile, t.batch), (512, 1));
    }

    #[test]
    fn a_frame_within_one_tile_is_whole() {
        let (w, h) = (200, 100);
        let t = choose(TileRequest::fixed(256, 64), (w, h), cost(w, h, 1), 10).unwrap();
        assert!(t.is_whole(w, h));
    }
}
