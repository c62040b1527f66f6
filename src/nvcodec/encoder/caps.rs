//! What this GPU's NVENC can do: the codecs it lists and `nvEncGetEncodeCaps` for one codec.

use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::version::NV_ENC_CAPS_PARAM_VER;

use super::config::codec_guid;
use super::error::NvencError;
use super::handles::EncoderHandle;
use crate::nvcodec::{CodecGuid, NvencCaps};

fn same_guid(a: &sys::GUID, b: &sys::GUID) -> bool {
    (a.Data1, a.Data2, a.Data3, a.Data4) == (b.Data1, b.Data2, b.Data3, b.Data4)
}

/// Checks that the session lists `codec`; a GPU that lists no codec at all has no NVENC.
pub(crate) fn check_codec(session: &EncoderHandle, codec: CodecGuid) -> Result<(), NvencError> {
    let f = &session.nvenc.functions;
    let mut count = 0u32;
    // SAFETY: a live session and an out-pointer.
    let status = unsafe { (f.nvEncGetEncodeGUIDCount)(session.raw, &mut count) };
    session.check("nvEncGetEncodeGUIDCount", status)?;
    if count == 0 {
        return Err(NvencError::NoNvenc {
            detail: "the encoder lists no codec".to_string(),
        });
    }
    let mut guids = vec![sys::GUID::default(); count as usize];
    let mut written = 0u32;
    // SAFETY: `guids` has room for `count` GUIDs, the size passed.
    let status =
        unsafe { (f.nvEncGetEncodeGUIDs)(session.raw, guids.as_mut_ptr(), count, &mut written) };
    session.check("nvEncGetEncodeGUIDs", status)?;
    let wanted = codec_guid(codec);
    let listed = guids
        .iter()
        .take(written as usize)
        .any(|g| same_guid(g, &wanted));
    if listed {
        Ok(())
    } else {
        Err(NvencError::Codec(codec))
    }
}

fn cap(
    session: &EncoderHandle,
    codec: CodecGuid,
    which: sys::NV_ENC_CAPS,
) -> Result<i32, NvencError> {
    let mut param = sys::NV_ENC_CAPS_PARAM {
        version: NV_ENC_CAPS_PARAM_VER,
        capsToQuery: which,
        ..Default::default()
    };
    let mut value = 0i32;
    // SAFETY: a live session, an initialised query and an out-pointer.
    let status = unsafe {
        (session.nvenc.functions.nvEncGetEncodeCaps)(
            session.raw,
            codec_guid(codec),
            &mut param,
            &mut value,
        )
    };
    session.check("nvEncGetEncodeCaps", status)?;
    Ok(value)
}

/// The capabilities [`crate::nvcodec::nvenc_params`] decides with.
pub(crate) fn query_caps(
    session: &EncoderHandle,
    codec: CodecGuid,
) -> Result<NvencCaps, NvencError> {
    let positive = |v: i32| u32::try_from(v).unwrap_or(0);
    Ok(NvencCaps {
        ten_bit: cap(session, codec, sys::NV_ENC_CAPS_SUPPORT_10BIT_ENCODE)? != 0,
        lookahead: cap(session, codec, sys::NV_ENC_CAPS_SUPPORT_LOOKAHEAD)? != 0,
        temporal_aq: cap(session, codec, sys::NV_ENC_CAPS_SUPPORT_TEMPORAL_AQ)? != 0,
        max_b_frames: positive(cap(session, codec, sys::NV_ENC_CAPS_NUM_MAX_BFRAMES)?).min(255)
            as u8,
        max_width: positive(cap(session, codec, sys::NV_ENC_CAPS_WIDTH_MAX)?),
        max_height: positive(cap(session, codec, sys::NV_ENC_CAPS_HEIGHT_MAX)?),
    })
}
