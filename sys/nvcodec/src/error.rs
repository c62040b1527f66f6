//! Why a Video Codec SDK library could not be used.

/// A library, entry point or API version that is missing on this machine.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The shared library itself could not be opened.
    #[error("{library} not found: install the NVIDIA driver ({hint}) ({source})")]
    LibraryNotFound {
        /// The versioned name that was looked up, e.g. `libnvcuvid.so.1`.
        library: &'static str,
        /// Which part of the driver ships it.
        hint: &'static str,
        /// What the dynamic loader said.
        source: libloading::Error,
    },
    /// The library opened but lacks an entry point we call.
    #[error("{library} has no entry point {symbol}: the NVIDIA driver is too old or incomplete ({source})")]
    MissingSymbol {
        /// The library that was opened.
        library: &'static str,
        /// The symbol that was not found.
        symbol: &'static str,
        /// What the dynamic loader said.
        source: libloading::Error,
    },
    /// The driver's NVENC API is older than the one these bindings speak.
    #[error(
        "{library}: the driver supports NVENC API {driver_major}.{driver_minor}, \
         {needed_major}.{needed_minor} or newer is needed: update the NVIDIA driver"
    )]
    ApiTooOld {
        /// The library that was opened.
        library: &'static str,
        /// The driver's newest API, major part.
        driver_major: u32,
        /// The driver's newest API, minor part.
        driver_minor: u32,
        /// The API of these bindings, major part.
        needed_major: u32,
        /// The API of these bindings, minor part.
        needed_minor: u32,
    },
    /// An NVENC bootstrap call returned an error status.
    #[error("{library}: {function} failed with NVENCSTATUS {status}")]
    NvencStatus {
        /// The library that was opened.
        library: &'static str,
        /// The entry point that failed.
        function: &'static str,
        /// The status it returned.
        status: u32,
    },
    /// `NvEncodeAPICreateInstance` left a function we call unset.
    #[error("{library}: the NVENC function list has no {function}: update the NVIDIA driver")]
    MissingFunction {
        /// The library that was opened.
        library: &'static str,
        /// The field of `NV_ENCODE_API_FUNCTION_LIST` that stayed null.
        function: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_library_and_the_remedy() {
        let old = LoadError::ApiTooOld {
            library: "libnvidia-encode.so.1",
            driver_major: 10,
            driver_minor: 0,
            needed_major: 11,
            needed_minor: 1,
        };
        assert_eq!(
            old.to_string(),
            "libnvidia-encode.so.1: the driver supports NVENC API 10.0, 11.1 or newer is needed: \
             update the NVIDIA driver"
        );
        let unset = LoadError::MissingFunction {
            library: "libnvidia-encode.so.1",
            function: "nvEncSetIOCudaStreams",
        };
        assert!(unset.to_string().contains("nvEncSetIOCudaStreams"));
    }
}
