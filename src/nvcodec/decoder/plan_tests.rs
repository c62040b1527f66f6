use super::*;

fn format(codec: NalCodec, bit_depth: u8, chroma: Chroma, w: u32, h: u32) -> StreamFormat {
    StreamFormat {
        codec,
        bit_depth,
        chroma,
        coded_width: w,
        coded_height: h,
        display: [0, 0, w, h],
        min_surfaces: 5,
    }
}

fn caps() -> DecoderCaps {
    DecoderCaps {
        supported: true,
        output_format_mask: NV12_BIT | P016_BIT,
        min_width: 48,
        min_height: 16,
        max_width: 8192,
        max_height: 8192,
        max_macroblocks: 262_144,
    }
}

#[test]
fn eight_bit_decodes_to_nv12_and_ten_bit_to_p016() {
    let f8 = format(NalCodec::H264, 8, Chroma::Yuv420, 1920, 1088);
    assert_eq!(check_caps(&f8, &caps()), Ok(SurfaceFormat::Nv12));
    let f10 = format(NalCodec::Hevc, 10, Chroma::Yuv420, 3840, 2160);
    assert_eq!(check_caps(&f10, &caps()), Ok(SurfaceFormat::P016));
    assert_eq!(SurfaceFormat::P016.bytes_per_sample(), 2);
}

#[test]
fn unsupported_profiles_and_chroma_are_refused_by_name() {
    let f = format(NalCodec::H264, 10, Chroma::Yuv420, 640, 480);
    let no = DecoderCaps {
        supported: false,
        ..caps()
    };
    let e = check_caps(&f, &no).unwrap_err();
    assert_eq!(
        e.to_string(),
        "this GPU's NVDEC cannot decode 10-bit Yuv420 H.264"
    );
    let f = format(NalCodec::Hevc, 8, Chroma::Yuv444, 640, 480);
    assert!(matches!(
        check_caps(&f, &caps()),
        Err(CapsError::Chroma {
            chroma: Chroma::Yuv444,
            ..
        })
    ));
}

#[test]
fn sizes_outside_the_limits_are_refused() {
    for (w, h) in [(32, 240), (320, 8), (8208, 480), (8192, 8192)] {
        let f = format(NalCodec::H264, 8, Chroma::Yuv420, w, h);
        let small = DecoderCaps {
            max_macroblocks: 65_536,
            ..caps()
        };
        assert!(
            matches!(check_caps(&f, &small), Err(CapsError::Size { .. })),
            "{w}x{h}"
        );
    }
}

#[test]
fn a_missing_output_format_is_refused() {
    let f = format(NalCodec::Hevc, 10, Chroma::Yuv420, 640, 480);
    let nv12_only = DecoderCaps {
        output_format_mask: NV12_BIT,
        ..caps()
    };
    assert_eq!(
        check_caps(&f, &nv12_only),
        Err(CapsError::Output {
            codec: NalCodec::Hevc,
            bit_depth: 10,
            format: SurfaceFormat::P016
        })
    );
}

#[test]
fn surfaces_leave_headroom_within_nvdec_limit() {
    assert_eq!(decode_surfaces(5), 5 + DISPLAY_HEADROOM);
    assert_eq!(decode_surfaces(30), MAX_DECODE_SURFACES);
}

#[test]
fn target_is_the_visible_area_rounded_to_even() {
    let mut f = format(NalCodec::H264, 8, Chroma::Yuv420, 1920, 1088);
    f.display = [0, 0, 1920, 1080];
    assert_eq!(target_size(&f), (1920, 1080));
    f.display = [2, 0, 323, 241];
    assert_eq!(f.display_size(), (321, 241));
    assert_eq!(target_size(&f), (322, 242));
    f.coded_width = 336;
    f.coded_height = 256;
    assert_eq!(crop(&f), [2, 0, 324, 242]);
    // Already even: the visible area itself.
    f.display = [0, 0, 320, 240];
    assert_eq!(crop(&f), [0, 0, 320, 240]);
}

#[test]
fn pictures_take_the_decoders_size_and_refuse_a_mismatch() {
    // 1920x1080 in a 1920x1088 coded picture: the decoder outputs 1920x1080.
    let mut f = format(NalCodec::H264, 8, Chroma::Yuv420, 1920, 1088);
    f.display = [0, 0, 1920, 1080];
    let g = Geometry::of(&f, SurfaceFormat::Nv12);
    assert_eq!((g.target, g.visible), ((1920, 1080), (1920, 1080)));
    assert_eq!(picture_size((1920, 1080), &g), Ok((1920, 1080)));
    // A container that declares nothing: the decoder's size.
    assert_eq!(picture_size((0, 0), &g), Ok((1920, 1080)));
    // The container declares more than the decoder outputs: refused, never read past the
    // surface's last row.
    assert_eq!(
        picture_size((1920, 1088), &g),
        Err(PictureSizeError::Mismatch {
            declared: (1920, 1088),
            decoded: (1920, 1080)
        })
    );
    assert_eq!(
        picture_size((1280, 720), &g),
        Err(PictureSizeError::Mismatch {
            declared: (1280, 720),
            decoded: (1920, 1080)
        })
    );
    // An odd visible size sits inside its even surface; a larger one does not.
    f.display = [0, 0, 1917, 1079];
    let odd = Geometry::of(&f, SurfaceFormat::Nv12);
    assert_eq!(odd.target, (1918, 1080));
    assert_eq!(picture_size((1917, 1079), &odd), Ok((1917, 1079)));
    assert_eq!(
        check_inside((1919, 1080), &odd),
        Err(PictureSizeError::Surface {
            asked: (1919, 1080),
            surface: (1918, 1080)
        })
    );
}
