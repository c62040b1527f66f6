//! What an NVENC failure leads to: the software encoder, or the end of the run. A pure decision,
//! tested on the CPU; `encode.rs` acts on it.

use crate::nvcodec::encoder::NvencError;
use crate::video::VideoCodec;

/// When NVENC failed: while the encoder was being set up (nothing muxed yet), or on a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvencStage {
    Setup,
    Encoding,
}

/// What an NVENC failure leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterNvencError {
    /// The software encoder takes over on the same device frames; the one warning to log.
    Software { warning: String },
    /// The run stops with the error.
    Fail,
}

/// The decision on an NVENC failure. Whatever fails while NVENC is being set up (no library or
/// a container without the driver's video capability, an API version the driver does not speak,
/// a codec or size NVENC cannot do, memory, a refused registration), no packet has been written
/// yet, so the software encoder takes over, with one warning naming NVENC's error. NVENC failing
/// on a frame stops the run (the file already holds NVENC's packets), as does any failure of the
/// rest of the GPU path, which is not decided here.
pub fn after_nvenc_error(
    error: &NvencError,
    stage: NvencStage,
    codec: VideoCodec,
) -> AfterNvencError {
    if stage == NvencStage::Encoding {
        return AfterNvencError::Fail;
    }
    let what = if error.is_no_nvenc() {
        "no NVENC"
    } else {
        "NVENC could not be set up"
    };
    AfterNvencError::Software {
        warning: format!(
            "{what} ({error}); encoding in software ({}) instead: every output frame is copied \
             to the host",
            codec.encoder_name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nvenc_setup_failure_falls_back_with_one_warning_naming_it() {
        use crate::nvcodec::NvencParamError;
        use smoothscale_nvcodec_sys::{self as sys, LoadError};
        let failures = [
            NvencError::Load(LoadError::ApiTooOld {
                library: "libnvidia-encode.so.1",
                driver_major: 11,
                driver_minor: 0,
                needed_major: 12,
                needed_minor: 1,
            }),
            NvencError::NoNvenc {
                detail: "nvEncOpenEncodeSessionEx returned NVENCSTATUS 2".into(),
            },
            NvencError::Codec(crate::nvcodec::CodecGuid::Hevc),
            NvencError::Params(NvencParamError::BadSize {
                width: 8192,
                height: 8192,
                max_width: 4096,
                max_height: 4096,
            }),
            NvencError::Call {
                function: "nvEncRegisterResource",
                status: sys::NV_ENC_ERR_RESOURCE_REGISTER_FAILED,
                detail: String::new(),
            },
            NvencError::Call {
                function: "nvEncInitializeEncoder",
                status: sys::NV_ENC_ERR_INVALID_VERSION,
                detail: ": invalid struct version".into(),
            },
            NvencError::Call {
                function: "nvEncCreateBitstreamBuffer",
                status: sys::NV_ENC_ERR_OUT_OF_MEMORY,
                detail: String::new(),
            },
        ];
        let warning = |e: &NvencError, codec| match after_nvenc_error(e, NvencStage::Setup, codec) {
            AfterNvencError::Software { warning } => warning,
            AfterNvencError::Fail => panic!("{e} at setup stops the run"),
        };
        for e in &failures {
            let w = warning(e, VideoCodec::Hevc);
            assert!(w.contains(&e.to_string()), "{w}");
            assert!(w.contains("libx265"), "{w}");
            assert_eq!(w.lines().count(), 1, "{w}");
            // On a frame, after packets were muxed, the same error stops the run.
            assert_eq!(
                after_nvenc_error(e, NvencStage::Encoding, VideoCodec::Hevc),
                AfterNvencError::Fail
            );
        }
        assert!(warning(&failures[1], VideoCodec::H264).starts_with("no NVENC ("));
        let refused = warning(&failures[4], VideoCodec::H264);
        assert!(
            refused.starts_with("NVENC could not be set up ("),
            "{refused}"
        );
    }
}
