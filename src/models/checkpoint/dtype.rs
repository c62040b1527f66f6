//! Little-endian element decoding of fp32, fp16 and bf16 data into `f32`.

use super::value::DType;

/// Converts IEEE binary16 bits to `f32` exactly.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match exp {
        0 => {
            // Zero or subnormal: frac × 2^-24 is exact in f32.
            let mag = frac as f32 * f32::from_bits(0x3380_0000);
            return f32::from_bits(sign | mag.to_bits());
        }
        31 => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Decodes element `index` of `bytes`; `None` when it lies outside.
pub fn element(dtype: DType, bytes: &[u8], index: usize) -> Option<f32> {
    let size = dtype.size() as usize;
    let start = index.checked_mul(size)?;
    let b = bytes.get(start..start.checked_add(size)?)?;
    Some(match (dtype, b) {
        (DType::F32, &[a, b, c, d]) => f32::from_le_bytes([a, b, c, d]),
        (DType::F16, &[a, b]) => f16_to_f32(u16::from_le_bytes([a, b])),
        (DType::BF16, &[a, b]) => f32::from_bits(u32::from(u16::from_le_bytes([a, b])) << 16),
        _ => return None,
    })
}

/// Decodes a whole run of elements.
pub fn decode_all(dtype: DType, bytes: &[u8]) -> Vec<f32> {
    match dtype {
        DType::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        DType::F16 => bytes
            .chunks_exact(2)
            .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        DType::BF16 => bytes
            .chunks_exact(2)
            .map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_known_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    }

    #[test]
    fn element_and_decode_all_agree() {
        let bytes = [0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f];
        assert_eq!(
            decode_all(DType::F16, &bytes),
            vec![1.0, -2.0, f16_to_f32(0x3f80)]
        );
        assert_eq!(element(DType::BF16, &bytes, 2), Some(1.0));
        assert_eq!(element(DType::F32, &bytes, 1), None);
        assert_eq!(element(DType::F16, &bytes, usize::MAX), None);
    }
}
