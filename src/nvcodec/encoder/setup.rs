//! Bringing an opened session to work: the preset's configuration with ours written over it,
//! `nvEncInitializeEncoder`, and the parameter sets for the container.

use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::guid::NV_ENC_PRESET_P7_GUID;
use smoothscale_nvcodec_sys::version::{
    NV_ENC_CONFIG_VER, NV_ENC_PRESET_CONFIG_VER, NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER,
};

use super::config::{apply_config, codec_guid, initialize_params};
use super::error::NvencError;
use super::handles::EncoderHandle;
use crate::nvcodec::{NvencParams, Vui};

/// Takes the preset's configuration (P7, high quality), writes ours over it, and initialises.
pub(crate) fn initialize(
    session: &EncoderHandle,
    params: &NvencParams,
    vui: &Vui,
) -> Result<(), NvencError> {
    let mut preset = sys::NV_ENC_PRESET_CONFIG {
        version: NV_ENC_PRESET_CONFIG_VER,
        presetCfg: sys::NV_ENC_CONFIG {
            version: NV_ENC_CONFIG_VER,
            ..Default::default()
        },
        ..Default::default()
    };
    let f = &session.nvenc.functions;
    // SAFETY: a live session and a versioned preset struct the driver fills.
    let status = unsafe {
        (f.nvEncGetEncodePresetConfigEx)(
            session.raw,
            codec_guid(params.codec),
            NV_ENC_PRESET_P7_GUID,
            sys::NV_ENC_TUNING_INFO_HIGH_QUALITY,
            &mut preset,
        )
    };
    session.check("nvEncGetEncodePresetConfigEx", status)?;
    let mut config = preset.presetCfg;
    apply_config(params, vui, &mut config);
    let mut init = initialize_params(params, &mut config);
    // SAFETY: initialised parameters pointing at `config`, which outlives the call.
    let status = unsafe { (f.nvEncInitializeEncoder)(session.raw, &mut init) };
    session.check("nvEncInitializeEncoder", status)
}

/// `nvEncGetSequenceParams`: the parameter sets as Annex-B.
pub(crate) fn sequence_params(session: &EncoderHandle) -> Result<Vec<u8>, NvencError> {
    let mut buffer = vec![0u8; sys::NV_MAX_SEQ_HDR_LEN as usize];
    let mut size = 0u32;
    let mut payload = sys::NV_ENC_SEQUENCE_PARAM_PAYLOAD {
        version: NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER,
        inBufferSize: buffer.len() as u32,
        spsppsBuffer: buffer.as_mut_ptr().cast(),
        outSPSPPSPayloadSize: &mut size,
        ..Default::default()
    };
    // SAFETY: an initialised session; the buffer and size pointers are live for the call.
    let status =
        unsafe { (session.nvenc.functions.nvEncGetSequenceParams)(session.raw, &mut payload) };
    session.check("nvEncGetSequenceParams", status)?;
    buffer.truncate(size as usize);
    Ok(buffer)
}
