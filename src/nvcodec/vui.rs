//! The colour description NVENC writes into the bitstream's VUI
//! (`NV_ENC_CONFIG_H264_VUI_PARAMETERS`, shared by HEVC), from the tags our RGB → YUV kernel
//! used, so players read the frames as they were written. Values are ITU-T H.273 code points,
//! which are also FFmpeg's enum values.

use ffmpeg_next::ffi::{AVColorPrimaries, AVColorTransferCharacteristic};

use crate::colour::{Matrix, Range, Siting};
use crate::video::ColourTags;

/// The VUI colour fields NVENC takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vui {
    /// `videoFullRangeFlag`.
    pub full_range: bool,
    /// `colourPrimaries`.
    pub primaries: u32,
    /// `transferCharacteristics`.
    pub transfer: u32,
    /// `colourMatrix`.
    pub matrix: u32,
    /// `chromaSampleLocationTop` and `...Bot` (0 left, 1 centre, 2 top-left).
    pub chroma_location: u32,
}

/// The VUI for frames encoded with `tags` (always written: `videoSignalTypePresentFlag`,
/// `colourDescriptionPresentFlag` and `chromaSampleLocationFlag` set).
pub fn vui(tags: &ColourTags) -> Vui {
    Vui {
        full_range: tags.encoding.range == Range::Full,
        primaries: AVColorPrimaries::from(tags.primaries) as u32,
        transfer: AVColorTransferCharacteristic::from(tags.transfer) as u32,
        matrix: match tags.encoding.matrix {
            Matrix::Bt709 => 1,
            Matrix::Bt601 => 6,
            Matrix::Bt2020 => 9,
        },
        chroma_location: match tags.siting {
            Siting::Left => 0,
            Siting::Center => 1,
            Siting::TopLeft => 2,
        },
    }
}

#[cfg(test)]
mod tests {
    use ffmpeg_next::{chroma, color};

    use super::*;

    fn tags(
        space: color::Space,
        range: color::Range,
        primaries: color::Primaries,
        transfer: color::TransferCharacteristic,
        location: chroma::Location,
        size: (usize, usize, u32),
    ) -> ColourTags {
        ColourTags::resolve(space, range, primaries, transfer, location, size)
    }

    #[test]
    fn untagged_hd_is_bt709_limited_left_sited() {
        let t = tags(
            color::Space::Unspecified,
            color::Range::Unspecified,
            color::Primaries::Unspecified,
            color::TransferCharacteristic::Unspecified,
            chroma::Location::Unspecified,
            (1920, 1080, 8),
        );
        assert_eq!(
            vui(&t),
            Vui {
                full_range: false,
                primaries: 1,
                transfer: 1,
                matrix: 1,
                chroma_location: 0
            }
        );
    }

    #[test]
    fn untagged_sd_is_bt601() {
        let t = tags(
            color::Space::Unspecified,
            color::Range::Unspecified,
            color::Primaries::Unspecified,
            color::TransferCharacteristic::Unspecified,
            chroma::Location::Unspecified,
            (640, 480, 8),
        );
        let v = vui(&t);
        assert_eq!((v.primaries, v.transfer, v.matrix), (6, 6, 6));
    }

    #[test]
    fn tagged_bt2020_pq_full_range_centre_sited_is_kept() {
        let t = tags(
            color::Space::BT2020NCL,
            color::Range::JPEG,
            color::Primaries::BT2020,
            color::TransferCharacteristic::SMPTE2084,
            chroma::Location::Center,
            (3840, 2160, 10),
        );
        assert_eq!(
            vui(&t),
            Vui {
                full_range: true,
                primaries: 9,
                transfer: 16,
                matrix: 9,
                chroma_location: 1
            }
        );
    }
}
