//! Generates the raw bindings from the Video Codec SDK headers of FFmpeg's nv-codec-headers
//! (Debian/Ubuntu `libffmpeg-nvenc-dev`, MIT licence), found through `NVCODEC_INCLUDE_DIR` (the
//! folder holding `nvEncodeAPI.h`) or pkg-config `ffnvcodec`. The headers are read at build time
//! only; nothing is linked: the libraries are opened at run time (see `src/cuvid.rs`, `src/nvenc.rs`).
//!
//! Every ABI fact comes from the headers compiled against, never from a value typed here: the
//! NVENC struct versions are function-like macros bindgen cannot translate, so each one is made
//! an enumerator of a generated C enum, which clang evaluates while bindgen reads it
//! (`versions.rs` in `OUT_DIR` re-exports them as `u32`s). Fields that exist in some SDK
//! versions only are detected in the generated bindings and exposed as `cfg`s.

use std::env;
use std::path::PathBuf;

/// The headers the bindings come from, all in one folder.
const HEADERS: [&str; 4] = [
    "dynlink_cuda.h",
    "dynlink_cuviddec.h",
    "dynlink_nvcuvid.h",
    "nvEncodeAPI.h",
];

/// Types we use, by name or pattern: the decoder and parser structs and their enums, the cuvid
/// entry point signatures, and the NVENC structs, enums and function-pointer types.
const TYPES: &[&str] = &[
    "CUresult",
    "CUcontext",
    "CUstream",
    "CUdeviceptr",
    "CUvideodecoder",
    "CUvideoparser",
    "CUvideoctxlock",
    "CUvideotimestamp",
    "CUVIDDECODECAPS",
    "CUVIDDECODECREATEINFO",
    "CUVIDRECONFIGUREDECODERINFO",
    "CUVIDPICPARAMS",
    "CUVIDPROCPARAMS",
    "CUVIDGETDECODESTATUS",
    "CUVIDEOFORMAT",
    "CUVIDEOFORMATEX",
    "CUVIDOPERATINGPOINTINFO",
    "CUVIDSOURCEDATAPACKET",
    "CUVIDPARSERDISPINFO",
    "CUVIDPARSERPARAMS",
    "CUvideopacketflags",
    "cudaVideo.*",
    "cuvidDecodeStatus",
    "tcuvid(GetDecoderCaps|CreateDecoder|DestroyDecoder|DecodePicture|GetDecodeStatus)",
    "tcuvid(ReconfigureDecoder|MapVideoFrame64|UnmapVideoFrame64|CtxLockCreate|CtxLockDestroy)",
    "tcuvid(CreateVideoParser|ParseVideoData|DestroyVideoParser)",
    "GUID",
    "NVENCSTATUS",
    "NV_ENCODE_API_FUNCTION_LIST",
    "NV_ENC_.*",
    "PNVENC.*",
];

/// The NVENC version macros of `nvEncodeAPI.h` that the crate exports, evaluated by clang.
const VERSION_MACROS: &[&str] = &[
    "NVENCAPI_VERSION",
    "NV_ENCODE_API_FUNCTION_LIST_VER",
    "NV_ENC_CAPS_PARAM_VER",
    "NV_ENC_CREATE_BITSTREAM_BUFFER_VER",
    "NV_ENC_RC_PARAMS_VER",
    "NV_ENC_CONFIG_VER",
    "NV_ENC_INITIALIZE_PARAMS_VER",
    "NV_ENC_RECONFIGURE_PARAMS_VER",
    "NV_ENC_PRESET_CONFIG_VER",
    "NV_ENC_PIC_PARAMS_VER",
    "NV_ENC_LOCK_BITSTREAM_VER",
    "NV_ENC_MAP_INPUT_RESOURCE_VER",
    "NV_ENC_REGISTER_RESOURCE_VER",
    "NV_ENC_SEQUENCE_PARAM_PAYLOAD_VER",
    "NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER",
];

/// Prefix of the generated enumerators (kept out of the SDK's own names).
const PREFIX: &str = "SMOOTHSCALE_VALUE_";

fn include_dir() -> PathBuf {
    if let Some(dir) = env::var_os("NVCODEC_INCLUDE_DIR") {
        return PathBuf::from(dir);
    }
    match pkg_config::get_variable("ffnvcodec", "includedir") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir).join("ffnvcodec"),
        _ => panic!(
            "the NVIDIA Video Codec SDK headers were not found: install libffmpeg-nvenc-dev \
             (pkg-config ffnvcodec) or set NVCODEC_INCLUDE_DIR to the folder holding nvEncodeAPI.h"
        ),
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=NVCODEC_INCLUDE_DIR");
    println!("cargo:rerun-if-changed=wrapper.h");
    let dir = include_dir();
    for header in HEADERS {
        let path = dir.join(header);
        assert!(
            path.is_file(),
            "{} is missing: install libffmpeg-nvenc-dev or point NVCODEC_INCLUDE_DIR at the SDK headers",
            path.display()
        );
        println!("cargo:rerun-if-changed={}", path.display());
    }
    // The layout tests compile a C program against the same headers.
    println!("cargo:rustc-env=NVCODEC_SYS_INCLUDE_DIR={}", dir.display());

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    // The version macros as enumerators: clang evaluates each while bindgen parses the file.
    let mut values = String::from("enum smoothscale_nvenc_values {\n");
    for name in VERSION_MACROS {
        values.push_str(&format!("    {PREFIX}{name} = {name},\n"));
    }
    values.push_str("};\n");
    std::fs::write(out.join("values.h"), values).expect("cannot write values.h");

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .header(out.join("values.h").display().to_string())
        .clang_arg(format!("-I{}", dir.display()))
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .layout_tests(false)
        .generate_comments(false)
        .allowlist_recursively(true)
        .allowlist_var("NVENCAPI_(MAJOR|MINOR)_VERSION")
        .allowlist_var("NV_MAX_SEQ_HDR_LEN")
        .allowlist_var("NVDECAPI_(MAJOR|MINOR)_VERSION")
        .allowlist_type("smoothscale_nvenc_values");
    for pattern in TYPES {
        builder = builder.allowlist_type(pattern);
    }
    let bindings = builder
        .generate()
        .expect("bindgen failed on the Video Codec SDK headers");
    let text = bindings.to_string();
    std::fs::write(out.join("bindings.rs"), &text).expect("cannot write bindings.rs");

    let mut versions = String::new();
    for name in VERSION_MACROS {
        assert!(
            text.contains(&format!("pub const {PREFIX}{name}:")),
            "bindgen did not evaluate {name}"
        );
        versions.push_str(&format!(
            "#[doc = \"`{name}`, as the headers compiled against define it.\"]\n\
             pub const {name}: u32 = crate::bindings::{PREFIX}{name} as u32;\n"
        ));
    }
    std::fs::write(out.join("versions.rs"), versions).expect("cannot write versions.rs");

    // SDK 12.2 replaced `pixelBitDepthMinus8` by `inputBitDepth`/`outputBitDepth` (enums of
    // `NV_ENC_BIT_DEPTH`) in NV_ENC_CONFIG_HEVC: which one these headers have decides the code.
    println!("cargo::rustc-check-cfg=cfg(nvenc_bit_depth_fields)");
    let hevc = struct_body(&text, "_NV_ENC_CONFIG_HEVC");
    if hevc.contains("pub inputBitDepth: NV_ENC_BIT_DEPTH") {
        println!("cargo::rustc-cfg=nvenc_bit_depth_fields");
    } else {
        assert!(
            text.contains("pub fn set_pixelBitDepthMinus8("),
            "NV_ENC_CONFIG_HEVC has neither inputBitDepth nor pixelBitDepthMinus8"
        );
    }
}

/// The text of `pub struct NAME { .. }` in the generated bindings.
fn struct_body<'a>(bindings: &'a str, name: &str) -> &'a str {
    let start = bindings
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("no struct {name} in the bindings"));
    let body = &bindings[start..];
    &body[..body.find("\n}").unwrap_or(body.len())]
}
