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
