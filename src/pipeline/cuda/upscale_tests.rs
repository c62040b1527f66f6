use super::*;

#[test]
fn whole_frames_keep_the_network_padding_and_tiles_none() {
    let frame = EngineShape::Frame {
        height: 1080,
        width: 1920,
    };
    let l = upscale_layouts((1919, 1079), frame, (2, 2), ScaleResize::None).unwrap();
    assert_eq!((l.input.padded_width, l.input.padded_height), (1920, 1080));
    assert_eq!((l.raw.width, l.raw.height), (3838, 2158));
    assert_eq!((l.raw.padded_width, l.raw.padded_height), (3840, 2160));
    assert_eq!(l.output, l.raw);
    let tiles = EngineShape::Tiles {
        tile: 256,
        pad: 64,
        batch: 4,
    };
    let l = upscale_layouts((641, 480), tiles, (4, 1), ScaleResize::Half).unwrap();
    assert_eq!((l.input.padded_width, l.raw.padded_width), (641, 2564));
    // The x4 output resized by 0.5: 2x, unpadded, as resize_half writes it.
    assert_eq!(
        (l.output.width, l.output.height, l.output.padded_width),
        (1282, 960, 1282)
    );
}

#[test]
fn call_plans_have_full_calls_and_a_smaller_last_one_of_its_own_shape() {
    // 1080p in 512-pixel tiles (engines/realesrgan-x2plus-tile512.profile): 12 tiles, 3 x 4.
    let even = call_plan(12, 4);
    assert_eq!(even.ranges, [0..4, 4..8, 8..12]);
    assert_eq!((even.full, even.partial), (4, None));
    assert!(
        even.one_shape(),
        "every call binds the same slots: captured"
    );
    // 1080p in 384-pixel tiles: 15 tiles, 3 x 4 and a last call of 3, which would rebind the
    // context on every frame: plain enqueues.
    let odd = call_plan(15, 4);
    assert_eq!(odd.ranges.last(), Some(&(12..15)));
    assert_eq!((odd.full, odd.partial), (4, Some(3)));
    assert!(!odd.one_shape());
    // A whole frame: one call of one tile.
    let whole = call_plan(1, 1);
    assert_eq!(
        (whole.ranges.len(), whole.ranges.first()),
        (1, Some(&(0..1)))
    );
    assert_eq!((whole.full, whole.partial), (1, None));
    // Fewer tiles than a batch: one call, its slots that many tiles.
    let few = call_plan(3, 4);
    assert_eq!((few.ranges.len(), few.ranges.first()), (1, Some(&(0..3))));
    assert_eq!((few.full, few.partial), (3, None));
}
