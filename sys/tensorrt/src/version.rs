//! TensorRT version numbers and library names.

use std::fmt;

/// A TensorRT version, as encoded by `NV_TENSORRT_VERSION` / `getInferLibVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrtVersion {
    /// Major version (10, 11, ...).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch level.
    pub patch: u32,
}

impl TrtVersion {
    /// Decodes `getInferLibVersion()`: `major*10000 + minor*100 + patch` since TensorRT 10,
    /// `major*1000 + minor*100 + patch` before. `None` for values that are neither.
    pub fn from_encoded(raw: i32) -> Option<Self> {
        let raw = u32::try_from(raw).ok()?;
        let (major, rest) = if raw >= 100_000 {
            (raw / 10_000, raw % 10_000)
        } else if raw >= 1_000 {
            (raw / 1_000, raw % 1_000)
        } else {
            return None;
        };
        let v = TrtVersion {
            major,
            minor: rest / 100,
            patch: rest % 100,
        };
        // The old encoding only ever described TensorRT 9 and earlier; the new one 10 and later.
        let consistent = if raw >= 100_000 {
            v.major >= 10
        } else {
            v.major <= 9
        };
        consistent.then_some(v)
    }
}

impl fmt::Display for TrtVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The SONAMEs of the inference library and the ONNX parser for a TensorRT major version.
pub fn library_names(major: u32) -> (String, String) {
    (
        format!("libnvinfer.so.{major}"),
        format!("libnvonnxparser.so.{major}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_tensorrt_10_and_11_versions() {
        let v = TrtVersion::from_encoded(101_600).unwrap();
        assert_eq!((v.major, v.minor, v.patch), (10, 16, 0));
        assert_eq!(
            TrtVersion::from_encoded(100_303).unwrap().to_string(),
            "10.3.3"
        );
        assert_eq!(
            TrtVersion::from_encoded(110_400).unwrap().to_string(),
            "11.4.0"
        );
    }

    #[test]
    fn decodes_the_pre_10_encoding() {
        assert_eq!(
            TrtVersion::from_encoded(8_601).unwrap().to_string(),
            "8.6.1"
        );
    }

    #[test]
    fn rejects_nonsense_versions() {
        for raw in [-1, 0, 7, 999, 90_000] {
            assert_eq!(TrtVersion::from_encoded(raw), None, "{raw}");
        }
    }

    #[test]
    fn library_names_follow_the_major() {
        let (infer, parser) = library_names(10);
        assert_eq!(infer, "libnvinfer.so.10");
        assert_eq!(parser, "libnvonnxparser.so.10");
    }
}
