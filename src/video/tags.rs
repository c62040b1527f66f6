//! From FFmpeg's colour tags to the colour maths' [`Encoding`] and [`Siting`], and back.
//!
//! Untagged HD is BT.709 and untagged SD BT.601; the range is limited unless tagged full. The
//! output is tagged with what was used, so a player reads the frames as we wrote them.

use ffmpeg_next::{chroma, color};

use crate::colour::{Encoding, Matrix, Range, Siting};

/// The colour description of a video stream: how to read it, and the tags to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourTags {
    pub encoding: Encoding,
    pub siting: Siting,
    pub primaries: color::Primaries,
    pub transfer: color::TransferCharacteristic,
}

impl ColourTags {
    /// The tags of a stream that says nothing about its colour (the defaults for its size).
    pub fn untagged(width: usize, height: usize, bits: u32) -> Self {
        Self::resolve(
            color::Space::Unspecified,
            color::Range::Unspecified,
            color::Primaries::Unspecified,
            color::TransferCharacteristic::Unspecified,
            chroma::Location::Unspecified,
            (width, height, bits),
        )
    }

    /// Resolves the tags of a `width × height` stream with `bits` per sample.
    pub fn resolve(
        space: color::Space,
        range: color::Range,
        primaries: color::Primaries,
        transfer: color::TransferCharacteristic,
        location: chroma::Location,
        (width, height, bits): (usize, usize, u32),
    ) -> Self {
        let matrix = match space {
            color::Space::BT709 => Matrix::Bt709,
            color::Space::BT470BG | color::Space::SMPTE170M | color::Space::FCC => Matrix::Bt601,
            color::Space::BT2020NCL | color::Space::BT2020CL => Matrix::Bt2020,
            _ => Matrix::default_for_size(width, height),
        };
        let range = match range {
            color::Range::JPEG => Range::Full,
            _ => Range::Limited,
        };
        let siting = match location {
            chroma::Location::Center => Siting::Center,
            chroma::Location::TopLeft => Siting::TopLeft,
            _ => Siting::Left,
        };
        let (default_primaries, default_transfer) = match matrix {
            Matrix::Bt709 => (
                color::Primaries::BT709,
                color::TransferCharacteristic::BT709,
            ),
            Matrix::Bt601 => (
                color::Primaries::SMPTE170M,
                color::TransferCharacteristic::SMPTE170M,
            ),
            Matrix::Bt2020 => (
                color::Primaries::BT2020,
                color::TransferCharacteristic::BT2020_10,
            ),
        };
        ColourTags {
            encoding: Encoding {
                matrix,
                range,
                bits,
            },
            siting,
            primaries: if primaries == color::Primaries::Unspecified {
                default_primaries
            } else {
                primaries
            },
            transfer: if transfer == color::TransferCharacteristic::Unspecified {
                default_transfer
            } else {
                transfer
            },
        }
    }

    /// The matrix tag to write.
    pub fn space_tag(&self) -> color::Space {
        match self.encoding.matrix {
            Matrix::Bt709 => color::Space::BT709,
            Matrix::Bt601 => color::Space::SMPTE170M,
            Matrix::Bt2020 => color::Space::BT2020NCL,
        }
    }

    /// The range tag to write.
    pub fn range_tag(&self) -> color::Range {
        match self.encoding.range {
            Range::Full => color::Range::JPEG,
            Range::Limited => color::Range::MPEG,
        }
    }

    /// The chroma location tag to write.
    pub fn location_tag(&self) -> chroma::Location {
        match self.siting {
            Siting::Left => chroma::Location::Left,
            Siting::Center => chroma::Location::Center,
            Siting::TopLeft => chroma::Location::TopLeft,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untagged(w: usize, h: usize) -> ColourTags {
        ColourTags::untagged(w, h, 8)
    }

    #[test]
    fn untagged_defaults_follow_size() {
        let hd = untagged(1920, 1080);
        assert_eq!(hd.encoding.matrix, Matrix::Bt709);
        assert_eq!(hd.encoding.range, Range::Limited);
        assert_eq!(hd.space_tag(), color::Space::BT709);
        assert_eq!(hd.primaries, color::Primaries::BT709);
        let sd = untagged(320, 240);
        assert_eq!(sd.encoding.matrix, Matrix::Bt601);
        assert_eq!(sd.siting, Siting::Left);
        assert_eq!(sd.transfer, color::TransferCharacteristic::SMPTE170M);
    }

    #[test]
    fn tags_win_over_size_and_round_trip() {
        let t = ColourTags::resolve(
            color::Space::BT470BG,
            color::Range::JPEG,
            color::Primaries::BT470BG,
            color::TransferCharacteristic::GAMMA28,
            chroma::Location::Center,
            (3840, 2160, 10),
        );
        assert_eq!(
            t.encoding,
            Encoding {
                matrix: Matrix::Bt601,
                range: Range::Full,
                bits: 10
            }
        );
        assert_eq!(t.range_tag(), color::Range::JPEG);
        assert_eq!(t.location_tag(), chroma::Location::Center);
        assert_eq!(t.primaries, color::Primaries::BT470BG);
        assert_eq!(t.transfer, color::TransferCharacteristic::GAMMA28);
    }
}
