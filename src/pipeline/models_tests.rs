use super::*;

#[test]
fn a_model_of_twice_the_factor_is_resized_by_half() {
    let p = Path::new("m.param");
    assert_eq!(scale_resize(p, 2, 2, false), Ok(ScaleResize::None));
    assert_eq!(scale_resize(p, 4, 2, true), Ok(ScaleResize::Half));
    assert_eq!(scale_resize(p, 4, 4, false), Ok(ScaleResize::None));
    let e = scale_resize(p, 2, 4, false).unwrap_err();
    assert_eq!((e.native, e.wanted), (2, 4));
}

#[test]
fn tiling_is_off_for_frames_within_one_tile() {
    let t = Tiling {
        tile: 64,
        pad: 8,
        batch: 2,
    };
    assert!(t.is_whole(64, 40));
    assert!(!t.is_whole(65, 40));
    assert!(Tiling::default().is_whole(1920, 1080));
    // Calls hold the frame, or a batch of padded tiles (never more tiles than there are).
    assert_eq!(Tiling::default().call_pixels(1920, 1080), 1920 * 1080);
    assert_eq!(t.call_pixels(200, 100), 2 * 80 * 80);
    assert_eq!(t.call_pixels(70, 40), 2 * 70 * 40);
}
