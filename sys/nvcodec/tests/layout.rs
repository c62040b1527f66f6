//! Layout tests: the sizes, alignments and field offsets of the structs we pass to the driver, the
//! NVENC version macros and the GUIDs, each compared with what a C compiler computes from the same
//! SDK headers. Needs a C compiler (`$CC`, else cc, gcc or clang); no NVIDIA library or GPU.

use std::collections::BTreeSet;
use std::mem::{align_of, offset_of, size_of};
use std::process::Command;

use smoothscale_nvcodec_sys::guid::*;
use smoothscale_nvcodec_sys::version::*;
use smoothscale_nvcodec_sys::*;

/// One checked item: the C statement that prints it, and the line Rust expects.
struct Check {
    c: String,
    rust: String,
}

macro_rules! structs {
    ($($ty:ident),* $(,)?) => {
        vec![$(Check {
            c: format!(
                "printf(\"size {0} %zu %zu\\n\", sizeof({0}), _Alignof({0}));",
                stringify!($ty)
            ),
            rust: format!("size {} {} {}", stringify!($ty), size_of::<$ty>(), align_of::<$ty>()),
        }),*]
    };
}

macro_rules! offsets {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {
        vec![$($(Check {
            c: format!(
                "printf(\"offset {0}.{1} %zu\\n\", offsetof({0}, {1}));",
                stringify!($ty),
                stringify!($field)
            ),
            rust: format!(
                "offset {}.{} {}",
                stringify!($ty),
                stringify!($field),
                offset_of!($ty, $field)
            ),
        },)*)*]
    };
}

macro_rules! values {
    ($($name:ident),* $(,)?) => {
        vec![$(Check {
            c: format!(
                "printf(\"value {0} %u\\n\", (unsigned)({0}));",
                stringify!($name)
            ),
            rust: format!("value {} {}", stringify!($name), $name as u32),
        }),*]
    };
}

macro_rules! guids {
    ($($name:ident),* $(,)?) => {
        vec![$(Check {
            c: format!(
                "{{ const GUID g = {0}; printf(\"guid {0} %08x %04x %04x\", g.Data1, g.Data2, \
                 g.Data3); for (int i = 0; i < 8; i++) printf(\" %02x\", g.Data4[i]); \
                 printf(\"\\n\"); }}",
                stringify!($name)
            ),
            rust: {
                let g = $name;
                let mut line = format!(
                    "guid {} {:08x} {:04x} {:04x}",
                    stringify!($name), g.Data1, g.Data2, g.Data3
                );
                for b in g.Data4 {
                    line.push_str(&format!(" {b:02x}"));
                }
                line
            },
        }),*]
    };
}

fn checks() -> Vec<Check> {
    let mut all = structs![
        GUID,
        CUVIDDECODECAPS,
        CUVIDDECODECREATEINFO,
        CUVIDRECONFIGUREDECODERINFO,
        CUVIDPICPARAMS,
        CUVIDPROCPARAMS,
        CUVIDGETDECODESTATUS,
        CUVIDEOFORMAT,
        CUVIDEOFORMATEX,
        CUVIDSOURCEDATAPACKET,
        CUVIDPARSERDISPINFO,
        CUVIDPARSERPARAMS,
        NV_ENCODE_API_FUNCTION_LIST,
        NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS,
        NV_ENC_CAPS_PARAM,
        NV_ENC_INITIALIZE_PARAMS,
        NV_ENC_CONFIG,
        NV_ENC_RC_PARAMS,
        NV_ENC_QP,
        NV_ENC_CONFIG_H264,
        NV_ENC_CONFIG_HEVC,
        NV_ENC_CODEC_CONFIG,
        NV_ENC_CONFIG_H264_VUI_PARAMETERS,
        NV_ENC_PRESET_CONFIG,
        NV_ENC_PIC_PARAMS,
        NV_ENC_LOCK_BITSTREAM,
        NV_ENC_MAP_INPUT_RESOURCE,
        NV_ENC_REGISTER_RESOURCE,
        NV_ENC_CREATE_BITSTREAM_BUFFER,
        NV_ENC_SEQUENCE_PARAM_PAYLOAD,
    ];
    all.extend(offsets! {
        GUID { Data1, Data2, Data3, Data4 }
        CUVIDDECODECAPS { eCodecType, nBitDepthMinus8, bIsSupported, nOutputFormatMask, nMaxWidth,
            nMaxMBCount, nMinWidth, nMinHeight }
        CUVIDDECODECREATEINFO { ulWidth, ulNumDecodeSurfaces, CodecType, ChromaFormat,
            bitDepthMinus8, display_area, OutputFormat, DeinterlaceMode, ulTargetWidth,
            ulNumOutputSurfaces, vidLock, target_rect, enableHistogram }
        CUVIDRECONFIGUREDECODERINFO { ulWidth, ulTargetWidth, ulNumDecodeSurfaces, display_area,
            target_rect }
        CUVIDPICPARAMS { PicWidthInMbs, CurrPicIdx, nBitstreamDataLen, pBitstreamData,
            nNumSlices, pSliceDataOffsets, CodecSpecific }
        CUVIDPROCPARAMS { progressive_frame, second_field, top_field_first, output_stream }
        CUVIDGETDECODESTATUS { decodeStatus }
        CUVIDEOFORMAT { codec, frame_rate, progressive_sequence, bit_depth_luma_minus8,
            min_num_decode_surfaces, coded_width, coded_height, display_area, chroma_format,
            bitrate, display_aspect_ratio, video_signal_description, seqhdr_data_length }
        CUVIDEOFORMATEX { format }
        CUVIDSOURCEDATAPACKET { flags, payload_size, payload, timestamp }
        CUVIDPARSERDISPINFO { picture_index, progressive_frame, top_field_first, repeat_first_field,
            timestamp }
        CUVIDPARSERPARAMS { CodecType, ulMaxNumDecodeSurfaces, ulClockRate, ulErrorThreshold,
            ulMaxDisplayDelay, pUserData, pfnSequenceCallback, pfnDecodePicture,
            pfnDisplayPicture, pfnGetOperatingPoint, pExtVideoInfo }
        NV_ENCODE_API_FUNCTION_LIST { version, nvEncOpenEncodeSessionEx, nvEncGetEncodeCaps,
            nvEncInitializeEncoder, nvEncEncodePicture, nvEncLockBitstream, nvEncRegisterResource,
            nvEncDestroyEncoder, nvEncSetIOCudaStreams, nvEncGetEncodePresetConfigEx, reserved2 }
        NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS { version, deviceType, device, apiVersion }
        NV_ENC_CAPS_PARAM { version, capsToQuery }
        NV_ENC_INITIALIZE_PARAMS { version, encodeGUID, presetGUID, encodeWidth, encodeHeight,
            darWidth, frameRateNum, frameRateDen, enableEncodeAsync, enablePTD,
            privDataSize, privData, encodeConfig, maxEncodeWidth, maxEncodeHeight, tuningInfo }
        NV_ENC_CONFIG { version, profileGUID, gopLength, frameIntervalP, monoChromeEncoding,
            frameFieldMode, mvPrecision, rcParams, encodeCodecConfig }
        NV_ENC_RC_PARAMS { version, rateControlMode, constQP, averageBitRate, maxBitRate,
            vbvBufferSize, targetQuality, targetQualityLSB, lookaheadDepth, multiPass }
        NV_ENC_QP { qpInterP, qpInterB, qpIntra }
        NV_ENC_CONFIG_H264 { level, idrPeriod, h264VUIParameters }
        NV_ENC_CONFIG_HEVC { level, tier, idrPeriod, hevcVUIParameters }
        NV_ENC_CONFIG_H264_VUI_PARAMETERS { videoSignalTypePresentFlag, videoFullRangeFlag,
            colourDescriptionPresentFlag, colourPrimaries, transferCharacteristics, colourMatrix,
            chromaSampleLocationFlag }
        NV_ENC_PRESET_CONFIG { version, presetCfg }
        NV_ENC_PIC_PARAMS { version, inputWidth, inputHeight, inputPitch, encodePicFlags,
            inputTimeStamp, inputBuffer, outputBitstream, bufferFmt, pictureStruct, pictureType }
        NV_ENC_LOCK_BITSTREAM { version, outputBitstream, sliceOffsets, frameIdx,
            bitstreamSizeInBytes, outputTimeStamp, bitstreamBufferPtr, pictureType }
        NV_ENC_MAP_INPUT_RESOURCE { version, registeredResource, mappedResource, mappedBufferFmt }
        NV_ENC_REGISTER_RESOURCE { version, resourceType, width, height, pitch, subResourceIndex,
            resourceToRegister, registeredResource, bufferFormat, bufferUsage }
        NV_ENC_CREATE_BITSTREAM_BUFFER { version, bitstreamBuffer }
        NV_ENC_SEQUENCE_PARAM_PAYLOAD { version, inBufferSize, spsppsBuffer, outSPSPPSPayloadSize }
    });
    all.extend(values![
        NVENCAPI_VERSION,
        NV_ENCODE_API_FUNCTION_LIST_VER,
        NV_ENC_CAPS_PARAM_VER,
        NV_ENC_CREATE_BITSTREAM_BUFFER_VER,
        NV_ENC_RC_PARAMS_VER,
        NV_ENC_CONFIG_VER,
        NV_ENC_INITIALIZE_PARAMS_VER,
        NV_ENC_RECONFIGURE_PARAMS_VER,
        NV_ENC_PRESET_CONFIG_VER,
        NV_ENC_PIC_PARAMS_VER,
        NV_ENC_LOCK_BITSTREAM_VER,
        NV_ENC_MAP_INPUT_RESOURCE_VER,
        NV_ENC_REGISTER_RESOURCE_VER,
        NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER,
        NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
        NV_MAX_SEQ_HDR_LEN,
        CUVID_PKT_ENDOFSTREAM,
        CUVID_PKT_TIMESTAMP,
        CUVID_PKT_DISCONTINUITY,
        CUVID_PKT_ENDOFPICTURE,
        cudaVideoCodec_H264,
        cudaVideoCodec_HEVC,
        cudaVideoCodec_AV1,
        cudaVideoSurfaceFormat_NV12,
        cudaVideoSurfaceFormat_P016,
        NV_ENC_PARAMS_RC_CONSTQP,
        NV_ENC_PARAMS_RC_VBR,
        NV_ENC_TUNING_INFO_HIGH_QUALITY,
        NV_ENC_BUFFER_FORMAT_NV12,
        NV_ENC_BUFFER_FORMAT_YUV420_10BIT,
        NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR,
        NV_ENC_DEVICE_TYPE_CUDA,
        NV_ENC_ERR_NEED_MORE_INPUT,
        NV_ENC_PIC_FLAG_EOS,
    ]);
    all.extend(guids![
        NV_ENC_CODEC_H264_GUID,
        NV_ENC_CODEC_HEVC_GUID,
        NV_ENC_CODEC_PROFILE_AUTOSELECT_GUID,
        NV_ENC_H264_PROFILE_HIGH_GUID,
        NV_ENC_HEVC_PROFILE_MAIN_GUID,
        NV_ENC_HEVC_PROFILE_MAIN10_GUID,
        NV_ENC_PRESET_P7_GUID,
    ]);
    all
}

/// `$CC`, else the first of cc, gcc, clang that runs.
fn c_compiler() -> String {
    if let Ok(cc) = std::env::var("CC") {
        return cc;
    }
    ["cc", "gcc", "clang"]
        .into_iter()
        .find(|cc| Command::new(cc).arg("--version").output().is_ok())
        .expect("no C compiler (cc, gcc or clang) for the layout test")
        .to_string()
}

/// Compiles and runs the C side; returns its output lines.
fn c_values(checks: &[Check]) -> Vec<String> {
    let include = env!("NVCODEC_SYS_INCLUDE_DIR");
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("layout.c");
    let exe = dir.path().join("layout");
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <stdint.h>\n\
         #include \"dynlink_cuda.h\"\n#include \"dynlink_cuviddec.h\"\n\
         #include \"dynlink_nvcuvid.h\"\n#include \"nvEncodeAPI.h\"\n\
         int main(void) {\n",
    );
    for check in checks {
        c.push_str("    ");
        c.push_str(&check.c);
        c.push('\n');
    }
    c.push_str("    return 0;\n}\n");
    std::fs::write(&source, c).unwrap();
    let cc = c_compiler();
    let build = Command::new(&cc)
        .args(["-std=c11", "-Wno-deprecated-declarations", "-I", include])
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert!(
        build.status.success(),
        "the C layout program did not compile:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn structs_versions_and_guids_match_the_c_compiler() {
    let checks = checks();
    let c: BTreeSet<String> = c_values(&checks).into_iter().collect();
    let rust: BTreeSet<String> = checks.iter().map(|c| c.rust.clone()).collect();
    assert_eq!(c.len(), checks.len(), "duplicate or missing C lines");
    let only_c: Vec<_> = c.difference(&rust).collect();
    let only_rust: Vec<_> = rust.difference(&c).collect();
    assert!(
        only_c.is_empty() && only_rust.is_empty(),
        "layout mismatch:\n C says:    {only_c:#?}\n Rust says: {only_rust:#?}"
    );
}

#[test]
fn version_macros_have_the_documented_shape() {
    assert_eq!(NVENCAPI_VERSION & 0xff, NVENCAPI_MAJOR_VERSION);
    assert_eq!(NVENCAPI_VERSION >> 24, NVENCAPI_MINOR_VERSION);
    assert_eq!(nvencapi_struct_version(3) >> 28, 0x7);
    assert_eq!((nvencapi_struct_version(3) >> 16) & 0xf, 3);
    assert_eq!(NV_ENC_CONFIG_VER >> 31, 1);
    // Every struct version is NVENCAPI_STRUCT_VERSION(n), some with bit 31 set.
    for v in [
        NV_ENC_CONFIG_VER,
        NV_ENC_INITIALIZE_PARAMS_VER,
        NV_ENC_PIC_PARAMS_VER,
        NV_ENC_LOCK_BITSTREAM_VER,
        NV_ENC_REGISTER_RESOURCE_VER,
    ] {
        let n = (v >> 16) & 0xf;
        assert_eq!(v & !(1 << 31), nvencapi_struct_version(n), "{v:#x}");
    }
    // The driver reports its newest API as (major << 4) | minor: 11.1 is 0xb1, 12.1 is 0xc1.
    assert_eq!(
        NVENCAPI_MAX_SUPPORTED_VERSION_NEEDED,
        (HEADER_API_VERSION.0 << 4) | HEADER_API_VERSION.1
    );
}

/// The struct versions of the two SDK versions CI builds against, as NVIDIA's headers define
/// them: a value taken from the wrong headers (e.g. 11.1's typed by hand while building against
/// 12.1) fails here as well as in the comparison with the C compiler above.
#[test]
fn struct_versions_are_those_of_the_header_version() {
    let expected = match HEADER_API_VERSION {
        (11, 1) => Some((7, 5, 4, false, 3)),
        (12, 1) => Some((8, 6, 6, true, 4)),
        (12, 2) | (13, 0) => Some((9, 7, 7, true, 5)),
        _ => None,
    };
    let Some((config, init, pic, lock_bit31, register)) = expected else {
        eprintln!("skipped: no expectation for NVENC API {HEADER_API_VERSION:?}");
        return;
    };
    let ver = |v: u32| (v >> 16) & 0xf;
    assert_eq!(ver(NV_ENC_CONFIG_VER), config);
    assert_eq!(ver(NV_ENC_INITIALIZE_PARAMS_VER), init);
    assert_eq!(ver(NV_ENC_PIC_PARAMS_VER), pic);
    assert_eq!(NV_ENC_LOCK_BITSTREAM_VER >> 31 == 1, lock_bit31);
    assert_eq!(ver(NV_ENC_REGISTER_RESOURCE_VER), register);
}

/// `set_hevc_bit_depth` writes the field these headers have, and reads back what it wrote.
#[test]
fn hevc_bit_depth_uses_the_headers_field() {
    let mut hevc = NV_ENC_CONFIG_HEVC::default();
    set_hevc_bit_depth(&mut hevc, 10);
    assert_eq!(hevc_bit_depth(&hevc), 10);
    set_hevc_bit_depth(&mut hevc, 8);
    assert_eq!(hevc_bit_depth(&hevc), 8);
}
