//! The run-time loaders: a missing library or entry point is a typed error that names it. Runs
//! anywhere; on a machine with the NVIDIA driver the real libraries must load.

use smoothscale_nvcodec_sys::{Cuvid, LoadError, NvEnc, CUVID_LIBRARY, NVENC_LIBRARY};

#[test]
fn a_missing_library_is_an_error_naming_it() {
    let err = Cuvid::load_from("libnvcuvid-absent.so.1").unwrap_err();
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

    let err = NvEnc::load_from("libnvidia-encode-absent.so.1").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("libnvidia-encode-absent.so.1 not found: install the NVIDIA driver"));
}

#[test]
fn a_library_without_the_entry_points_is_an_error_naming_the_symbol() {
    // glibc is on every Linux machine and exports none of the SDK's symbols.
    let err = Cuvid::load_from("libc.so.6").unwrap_err();
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
    let err = NvEnc::load_from("libc.so.6").unwrap_err();
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
