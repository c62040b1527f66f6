//! The run-time loaders: a missing library or entry point is a typed error that names it. Runs
//! anywhere; on a machine with the NVIDIA driver the real libraries must load.

use smoothscale_nvcodec_sys::{Cuvid, LoadError, NvEnc, CUVID_LIBRARY, NVENC_LIBRARY};

/// Only absent libraries and glibc (already loaded, exporting none of the SDK's symbols) are
/// opened through these.
fn load_cuvid(name: &'static str) -> Result<Cuvid, LoadError> {
    assert!(name == "libc.so.6" || name.contains("absent"));
    // SAFETY: glibc is already initialised in this process; an absent library runs nothing.
    unsafe { Cuvid::load_from(name) }
}

fn load_nvenc(name: &'static str) -> Result<NvEnc, LoadError> {
    assert!(name == "libc.so.6" || name.contains("absent"));
    // SAFETY: as in `load_cuvid`.
    unsafe { NvEnc::load_from(name) }
}

#[test]
fn a_missing_library_is_an_error_naming_it() {
    let err = load_cuvid("libnvcuvid-absent.so.1").unwrap_err();
    assert!(matches!(
        err,
        LoadError::LibraryNotFound {
            library: "libnvcuvid-absent.so.1",
            ..
        }
    ));
    assert!(err
        .to_string()
        .starts_with("libnvcuvid-absent.so.1 not found: install the NVIDIA driver"));

    let err = load_nvenc("libnvidia-encode-absent.so.1").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("libnvidia-encode-absent.so.1 not found: install the NVIDIA driver"));
}

#[test]
fn a_library_without_the_entry_points_is_an_error_naming_the_symbol() {
    // glibc is on every Linux machine and exports none of the SDK's symbols.
    let err = load_cuvid("libc.so.6").unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::MissingSymbol {
                library: "libc.so.6",
                symbol: "cuvidGetDecoderCaps",
                ..
            }
        ),
        "{err}"
    );
    let err = load_nvenc("libc.so.6").unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::MissingSymbol {
                symbol: "NvEncodeAPIGetMaxSupportedVersion",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_driver_libraries_load_or_are_reported_missing() {
    match Cuvid::load() {
        Ok(cuvid) => eprintln!("{CUVID_LIBRARY} loaded: {cuvid:?}"),
        Err(LoadError::LibraryNotFound { library, .. }) => {
            assert_eq!(library, CUVID_LIBRARY);
            eprintln!("{CUVID_LIBRARY} is not installed here");
        }
        Err(other) => panic!("{other}"),
    }
    match NvEnc::load() {
        Ok(nvenc) => eprintln!("{NVENC_LIBRARY} loaded: {nvenc:?}"),
        Err(LoadError::LibraryNotFound { library, .. }) => {
            assert_eq!(library, NVENC_LIBRARY);
            eprintln!("{NVENC_LIBRARY} is not installed here");
        }
        Err(other) => panic!("{other}"),
    }
}
