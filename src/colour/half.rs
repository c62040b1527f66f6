//! IEEE 754 binary16 ("f16", the models' tensor type) conversion, as the GPU does it: rounded to
//! nearest even, subnormals kept, overflow to infinity. Values are the raw `u16` bits.

/// The binary16 bits nearest to `x` (ties to even).
pub fn f32_to_f16(x: f32) -> u16 {
    let f = x.to_bits();
    let sign = ((f >> 16) & 0x8000) as u16;
    let abs = f & 0x7fff_ffff;
    if abs >= 0x7f80_0000 {
        // Infinity, or NaN kept quiet.
        return sign | 0x7c00 | if abs > 0x7f80_0000 { 0x200 } else { 0 };
    }
    if abs >= 0x477f_f000 {
        // Rounds to 65520 or more: infinity.
        return sign | 0x7c00;
    }
    if abs < 0x3880_0000 {
        // Below the smallest normal binary16: subnormal or zero.
        if abs < 0x3300_0000 {
            return sign;
        }
        let exp = abs >> 23;
        let mant = (abs & 0x7f_ffff) | 0x80_0000;
        let shift = 126 - exp;
        let mut half = mant >> shift;
        let rem = mant & ((1 << shift) - 1);
        let mid = 1 << (shift - 1);
        if rem > mid || (rem == mid && half & 1 == 1) {
            half += 1;
        }
        return sign | half as u16;
    }
    let mut half = (abs >> 13) - (112 << 10);
    let rem = abs & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && half & 1 == 1) {
        half += 1;
    }
    sign | half as u16
}

/// The value of binary16 bits (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f32::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f32.powi(-24),
        31 if mant == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        _ => (mant + 1024.0) * 2f32.powi(exp - 25),
    };
    sign * v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_finite_half() {
        for h in 0..=u16::MAX {
            let x = f16_to_f32(h);
            if x.is_finite() {
                assert_eq!(f32_to_f16(x), h, "bits {h:#06x}");
            }
        }
    }

    #[test]
    fn rounds_to_nearest_even() {
        assert_eq!(f32_to_f16(1.0), 0x3c00);
        assert_eq!(f32_to_f16(0.5), 0x3800);
        // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to the even mantissa (1).
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
        assert_eq!(f32_to_f16(65504.0), 0x7bff);
        assert_eq!(f32_to_f16(65520.0), 0x7c00);
        assert_eq!(f32_to_f16(-2f32.powi(-24)), 0x8001);
        assert_eq!(f32_to_f16(2f32.powi(-25)), 0);
        assert!(f16_to_f32(f32_to_f16(f32::NAN)).is_nan());
    }
}
