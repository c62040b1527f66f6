//! The few FFmpeg operations that `ffmpeg-next` does not wrap, behind safe functions.
//!
//! All raw FFmpeg calls of smoothscale live here: each takes `ffmpeg-next` types, checks what it
//! reads, and returns plain Rust values.

use ff::ffi;
use ffmpeg_next as ff;

/// Sets the chroma sample location an encoder writes into the bitstream (H.264/HEVC VUI).
pub fn set_chroma_location(
    encoder: &mut ff::codec::encoder::video::Video,
    location: ff::chroma::Location,
) {
    // SAFETY: the context pointer is owned by `encoder` and valid while it is borrowed mutably;
    // the field is a plain enum the encoder reads when it is opened.
    unsafe {
        (*encoder.as_mut_ptr()).chroma_sample_location = location.into();
    }
}

/// Copies the stream-level side data (display matrix, HDR mastering metadata, …) of `from` to the
/// output stream `to`. Returns how many entries were copied.
#[cfg(not(ffmpeg_7_0))]
pub fn copy_side_data(
    from: &ff::format::stream::Stream,
    to: &mut ff::format::stream::StreamMut,
) -> usize {
    let mut copied = 0;
    for entry in from.side_data() {
        let data = entry.data();
        let kind: ffi::AVPacketSideDataType = entry.kind().into();
        // SAFETY: `to` wraps a live stream of an output context we borrow mutably;
        // `av_stream_new_side_data` allocates `data.len()` bytes owned by that stream (or returns
        // null), and we copy exactly that many bytes from a slice of the same length.
        unsafe {
            let dst = ffi::av_stream_new_side_data(to.as_mut_ptr(), kind, data.len() as _);
            if !dst.is_null() {
                std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
                copied += 1;
            }
        }
    }
    copied
}

/// Copies the stream-level side data (display matrix, HDR mastering metadata, …) of `from` to the
/// output stream `to`. Returns how many entries were copied.
#[cfg(ffmpeg_7_0)]
pub fn copy_side_data(
    from: &ff::format::stream::Stream,
    to: &mut ff::format::stream::StreamMut,
) -> usize {
    let mut copied = 0;
    for entry in from.side_data() {
        let data = entry.data();
        let kind: ffi::AVPacketSideDataType = entry.kind().into();
        // SAFETY: `to` wraps a live stream whose `codecpar` is valid; `av_packet_side_data_new`
        // grows that array and returns an entry owning `data.len()` bytes (or null), into which we
        // copy exactly that many bytes.
        unsafe {
            let par = (*to.as_mut_ptr()).codecpar;
            let sd = ffi::av_packet_side_data_new(
                &mut (*par).coded_side_data,
                &mut (*par).nb_coded_side_data,
                kind,
                data.len(),
                0,
            );
            if !sd.is_null() {
                std::ptr::copy_nonoverlapping(data.as_ptr(), (*sd).data, data.len());
                copied += 1;
            }
        }
    }
    copied
}

/// Clears the codec tag of a stream whose parameters were copied from another container, so the
/// muxer picks the tag its own format uses (an MKV tag is not valid in MP4).
pub fn clear_codec_tag(stream: &mut ff::format::stream::StreamMut) {
    // SAFETY: the stream belongs to an output context we borrow mutably, and its `codecpar` is
    // allocated with the stream; `codec_tag` is a plain integer field.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if !par.is_null() {
            (*par).codec_tag = 0;
        }
    }
}

/// Sets a stream's codec tag (e.g. `hvc1` for HEVC in MP4, which Apple players require).
pub fn set_codec_tag(stream: &mut ff::format::stream::StreamMut, tag: [u8; 4]) {
    // SAFETY: as in `clear_codec_tag`: a live output stream's own `codecpar`, plain integer field.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if !par.is_null() {
            (*par).codec_tag = u32::from_le_bytes(tag);
        }
    }
}

/// The codec configuration record of a stream (`avcC`/`hvcC` for H.264/HEVC in MP4, Annex-B
/// parameter sets for raw streams), empty when the stream has none.
pub fn extradata(parameters: &ff::codec::Parameters) -> &[u8] {
    // SAFETY: `parameters` wraps a live `AVCodecParameters` for the length of the borrow; FFmpeg
    // keeps `extradata` valid (or null) with `extradata_size` bytes while the parameters live.
    unsafe {
        let par = parameters.as_ptr();
        let data = (*par).extradata;
        let size = (*par).extradata_size;
        if data.is_null() || size <= 0 {
            &[]
        } else {
            std::slice::from_raw_parts(data, size as usize)
        }
    }
}

/// The frame size a stream's parameters declare (zeros when unknown), read before any decoder
/// opens so that an absurd size can be refused first.
pub fn declared_size(parameters: &ff::codec::Parameters) -> (u32, u32) {
    // SAFETY: `parameters` wraps a live `AVCodecParameters` for the length of the borrow; reading
    // two plain integer fields has no other requirement.
    let (width, height) = unsafe {
        let par = parameters.as_ptr();
        ((*par).width, (*par).height)
    };
    (
        u32::try_from(width).unwrap_or(0),
        u32::try_from(height).unwrap_or(0),
    )
}

/// The colour description and bit depth a stream's parameters declare (what the demuxer read
/// from the bitstream's headers), for decoders that do not report them per frame (NVDEC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredColour {
    pub space: ff::color::Space,
    pub range: ff::color::Range,
    pub primaries: ff::color::Primaries,
    pub transfer: ff::color::TransferCharacteristic,
    pub location: ff::chroma::Location,
    /// `bits_per_raw_sample`, 0 when unknown.
    pub bits: u32,
}

/// The colour fields of `parameters`.
pub fn declared_colour(parameters: &ff::codec::Parameters) -> DeclaredColour {
    // SAFETY: `parameters` wraps a live `AVCodecParameters` for the length of the borrow; the
    // fields read are plain enums and integers that FFmpeg keeps within their ranges.
    unsafe {
        let par = parameters.as_ptr();
        DeclaredColour {
            space: (*par).color_space.into(),
            range: (*par).color_range.into(),
            primaries: (*par).color_primaries.into(),
            transfer: (*par).color_trc.into(),
            location: (*par).chroma_location.into(),
            bits: u32::try_from((*par).bits_per_raw_sample).unwrap_or(0),
        }
    }
}

/// Sets a stream's codec configuration (its extradata) to a copy of `data`: for H.264/HEVC either
/// an `avcC`/`hvcC` record or Annex-B parameter sets, which the MP4 and Matroska muxers convert
/// themselves. The copy is allocated with `av_malloc` and FFmpeg's zeroed input padding, as
/// FFmpeg requires, and is owned (and freed) by the stream. Fails with `ENOMEM` when the
/// allocation fails and `EINVAL` when `data` is too large for FFmpeg's 32-bit size field.
pub fn set_extradata(
    stream: &mut ff::format::stream::StreamMut,
    data: &[u8],
) -> Result<(), ff::Error> {
    let invalid = || ff::Error::Other {
        errno: ff::util::error::EINVAL,
    };
    let padding = ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
    let size = i32::try_from(data.len())
        .ok()
        .filter(|_| data.len() <= i32::MAX as usize - padding)
        .ok_or_else(invalid)?;
    // SAFETY: the stream belongs to an output context we borrow mutably and its `codecpar` is
    // allocated with it. The old extradata (if any) was allocated by FFmpeg and is released with
    // `av_freep`, which also nulls the field. The new buffer is zero-initialised by `av_mallocz`
    // with `data.len() + padding` bytes, of which we fill exactly `data.len()` from a slice of
    // that length; the size field records the unpadded length, as FFmpeg expects.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if par.is_null() {
            return Err(invalid());
        }
        ffi::av_freep(std::ptr::addr_of_mut!((*par).extradata).cast());
        (*par).extradata_size = 0;
        let buffer = ffi::av_mallocz(data.len() + padding).cast::<u8>();
        if buffer.is_null() {
            return Err(ff::Error::Other {
                errno: ff::util::error::ENOMEM,
            });
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), buffer, data.len());
        (*par).extradata = buffer;
        (*par).extradata_size = size;
    }
    Ok(())
}
