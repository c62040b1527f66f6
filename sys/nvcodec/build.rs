//! Generates the raw bindings from the Video Codec SDK headers of FFmpeg's nv-codec-headers
//! (Debian/Ubuntu `libffmpeg-nvenc-dev`, MIT licence), found through `NVCODEC_INCLUDE_DIR` (the
//! folder holding `nvEncodeAPI.h`) or pkg-config `ffnvcodec`. The headers are read at build time
//! only; nothing is linked: the libraries are opened at run time (see `src/cuvid.rs`, `src/nvenc.rs`).

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

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg(format!("-I{}", dir.display()))
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_debug(true)
        .layout_tests(false)
        .generate_comments(false)
        .allowlist_recursively(true)
        .allowlist_var("NVENCAPI_(MAJOR|MINOR)_VERSION")
        .allowlist_var("NV_MAX_SEQ_HDR_LEN");
    for pattern in TYPES {
        builder = builder.allowlist_type(pattern);
    }
    let bindings = builder
        .generate()
        .expect("bindgen failed on the Video Codec SDK headers");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("cannot write bindings.rs");
}
