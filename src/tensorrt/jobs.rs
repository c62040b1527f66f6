//! Which engine a job needs, and how its tiles are split into engine calls. Pure.

use std::ops::Range;

use super::spec::{EngineShape, Network};
use crate::models::runtime::ModelKind;
use crate::pipeline::Tiling;

/// The engine shape a job on `width` × `height` frames needs: RIFE and whole-frame upscaling
/// (`tiling.tile` 0) take the frame padded to the network's multiple; tiled upscaling takes the
/// tile engine, unless the frame is smaller than one tile with its context (then the whole frame
/// is one call).
pub fn shape_for_job(net: Network, width: usize, height: usize, tiling: Tiling) -> EngineShape {
    let m = net.multiple();
    let frame = EngineShape::Frame {
        height: height.div_ceil(m) * m,
        width: width.div_ceil(m) * m,
    };
    match (net.kind, tiling) {
        (ModelKind::Upscaler { .. }, t)
            if t.tile > 0 && width >= t.tile + 2 * t.pad && height >= t.tile + 2 * t.pad =>
        {
            EngineShape::Tiles {
                tile: t.tile,
                pad: t.pad,
                batch: t.batch,
            }
        }
        _ => frame,
    }
}

/// Splits `tiles` tiles into consecutive engine calls of at most `max_batch` each (the last one
/// may be smaller: the tile engines accept any batch from 1).
pub fn tile_batches(tiles: usize, max_batch: usize) -> Vec<Range<usize>> {
    let step = max_batch.max(1);
    (0..tiles)
        .step_by(step)
        .map(|start| start..(start + step).min(tiles))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::checkpoint::Architecture;

    const X2: Architecture = Architecture::RrdbNet {
        scale: 2,
        nf: 64,
        nb: 23,
        gc: 32,
    };

    #[test]
    fn jobs_pick_their_engine_shape() {
        let rife = Network::of(Architecture::Rife425);
        let x2 = Network::of(X2);
        let whole = Tiling {
            tile: 0,
            pad: 64,
            batch: 1,
        };
        let tiled = Tiling {
            tile: 512,
            pad: 64,
            batch: 4,
        };
        let frame = |height, width| EngineShape::Frame { height, width };
        assert_eq!(shape_for_job(rife, 1920, 1080, tiled), frame(1088, 1920));
        assert_eq!(shape_for_job(x2, 1919, 1080, whole), frame(1080, 1920));
        assert_eq!(
            shape_for_job(x2, 1920, 1080, tiled),
            EngineShape::Tiles {
                tile: 512,
                pad: 64,
                batch: 4
            }
        );
        // Smaller than one tile with its context: the whole frame is one call.
        assert_eq!(shape_for_job(x2, 600, 320, tiled), frame(320, 600));
    }

    #[test]
    fn tiles_split_into_batches() {
        assert_eq!(tile_batches(12, 4), vec![0..4, 4..8, 8..12]);
        assert_eq!(tile_batches(13, 4), vec![0..4, 4..8, 8..12, 12..13]);
        assert_eq!(tile_batches(3, 8), vec![0..3]);
        assert!(tile_batches(0, 4).is_empty());
        assert_eq!(tile_batches(2, 0), vec![0..1, 1..2]);
    }
}
