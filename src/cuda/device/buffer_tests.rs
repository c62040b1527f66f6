use super::*;

#[test]
fn slot_ranges_stay_inside_f32_batches() {
    let f = PixelFormat::RgbF32;
    assert_eq!(slot_elements(f, 5, 12, &(0..4)), Some(0..48));
    assert_eq!(slot_elements(f, 5, 12, &(4..5)), Some(48..60));
    assert_eq!(slot_elements(f, 5, 12, &(4..6)), None);
    assert_eq!(slot_elements(f, 5, 12, &(2..2)), None);
    assert_eq!(slot_elements(PixelFormat::RgbF16, 5, 12, &(0..1)), None);
    let l = FrameLayout::planar(f, 5, 3, 4).unwrap();
    assert_eq!(f32_elements(&l).unwrap(), 3 * 8 * 4);
    let nv12 = FrameLayout::yuv420(PixelFormat::Nv12, 4, 4, 4).unwrap();
    assert!(f32_elements(&nv12).is_err());
}
