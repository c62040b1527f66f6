//! `libnvcuvid.so.1` (NVDECODE: the hardware decoder and its bitstream parser), opened at run time.

use libloading::Library;

use crate::error::LoadError;
use crate::{
    tcuvidCreateDecoder, tcuvidCreateVideoParser, tcuvidCtxLockCreate, tcuvidCtxLockDestroy,
    tcuvidDecodePicture, tcuvidDestroyDecoder, tcuvidDestroyVideoParser, tcuvidGetDecodeStatus,
    tcuvidGetDecoderCaps, tcuvidMapVideoFrame64, tcuvidParseVideoData, tcuvidReconfigureDecoder,
    tcuvidUnmapVideoFrame64, Entry,
};

/// The versioned name of the NVDECODE library, as the NVIDIA driver installs it.
pub const CUVID_LIBRARY: &str = "libnvcuvid.so.1";

const HINT: &str = "libnvcuvid ships with the driver's video decode component, \
                    e.g. Debian libnvcuvid1 or Ubuntu libnvidia-decode-<version>";

macro_rules! cuvid_entry_points {
    ($($field:ident: $ty:ident = $symbol:literal,)*) => {
        /// The NVDECODE entry points we call, resolved from `libnvcuvid.so.1`. The function
        /// pointers stay valid for as long as this value lives (it owns the opened library).
        pub struct Cuvid {
            $(
                #[doc = concat!("`", $symbol, "`.")]
                pub $field: <$ty as Entry>::Fn,
            )*
            _library: Library,
        }

        impl Cuvid {
            fn resolve(library: Library, name: &'static str) -> Result<Self, LoadError> {
                Ok(Cuvid {
                    // SAFETY: each `tcuvid*` alias is the header's declaration of its symbol.
                    $($field: unsafe { crate::resolve::<$ty>(&library, name, $symbol) }?,)*
                    _library: library,
                })
            }
        }
    };
}

cuvid_entry_points! {
    get_decoder_caps: tcuvidGetDecoderCaps = "cuvidGetDecoderCaps",
    create_decoder: tcuvidCreateDecoder = "cuvidCreateDecoder",
    reconfigure_decoder: tcuvidReconfigureDecoder = "cuvidReconfigureDecoder",
    destroy_decoder: tcuvidDestroyDecoder = "cuvidDestroyDecoder",
    decode_picture: tcuvidDecodePicture = "cuvidDecodePicture",
    get_decode_status: tcuvidGetDecodeStatus = "cuvidGetDecodeStatus",
    map_video_frame64: tcuvidMapVideoFrame64 = "cuvidMapVideoFrame64",
    unmap_video_frame64: tcuvidUnmapVideoFrame64 = "cuvidUnmapVideoFrame64",
    ctx_lock_create: tcuvidCtxLockCreate = "cuvidCtxLockCreate",
    ctx_lock_destroy: tcuvidCtxLockDestroy = "cuvidCtxLockDestroy",
    create_video_parser: tcuvidCreateVideoParser = "cuvidCreateVideoParser",
    parse_video_data: tcuvidParseVideoData = "cuvidParseVideoData",
    destroy_video_parser: tcuvidDestroyVideoParser = "cuvidDestroyVideoParser",
}

impl Cuvid {
    /// Opens `libnvcuvid.so.1` and resolves every entry point we use.
    pub fn load() -> Result<Self, LoadError> {
        // SAFETY: the driver's own library, whose initialisers have no preconditions.
        unsafe { Self::load_from(CUVID_LIBRARY) }
    }

    /// Opens the library under another name or path (tests; unusual installations).
    ///
    /// # Safety
    ///
    /// Opening a library runs its initialisers: `name` must be a library whose initialisers are
    /// sound to run in this process. If it exports the SDK's symbols, they must have the SDK's
    /// signatures.
    pub unsafe fn load_from(name: &'static str) -> Result<Self, LoadError> {
        // SAFETY: the caller vouches for the library.
        let library = unsafe { crate::open(name, HINT) }?;
        Self::resolve(library, name)
    }
}

impl std::fmt::Debug for Cuvid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cuvid").finish_non_exhaustive()
    }
}
