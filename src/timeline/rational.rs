//! Exact rational numbers for timestamps and frame rates.
//!
//! Every time in the timeline is a fraction of seconds built from stream time bases, so the
//! arithmetic never drifts the way accumulated `f64` does. Values are kept normalised (positive
//! denominator, lowest terms) in `i128`, which holds the product of any two 64-bit time bases.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Div, Mul, Sub};

/// A normalised fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rational {
    pub const ZERO: Rational = Rational { num: 0, den: 1 };
    pub const ONE: Rational = Rational { num: 1, den: 1 };

    /// `num / den`; `None` when `den` is zero.
    pub fn new(num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        let sign = if den < 0 { -1 } else { 1 };
        Some(Rational {
            num: sign * num / g,
            den: sign * den / g,
        })
    }

    /// The integer `n`.
    pub fn from_int(n: i64) -> Self {
        Rational {
            num: n as i128,
            den: 1,
        }
    }

    pub fn num(self) -> i128 {
        self.num
    }

    pub fn den(self) -> i128 {
        self.den
    }

    pub fn is_positive(self) -> bool {
        self.num > 0
    }

    /// `1 / self`; `None` for zero.
    pub fn recip(self) -> Option<Self> {
        Rational::new(self.den, self.num)
    }

    /// Largest integer not above the value.
    pub fn floor(self) -> i128 {
        self.num.div_euclid(self.den)
    }

    /// Smallest integer not below the value.
    pub fn ceil(self) -> i128 {
        -((-self.num).div_euclid(self.den))
    }

    /// Nearest integer, halves rounded up.
    pub fn round(self) -> i128 {
        (self + Rational { num: 1, den: 2 }).floor()
    }

    /// The fractional part, in `[0, 1)`.
    pub fn fract(self) -> Self {
        self - Rational {
            num: self.floor(),
            den: 1,
        }
    }

    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Parses a decimal (`"1.533"`, `"-2"`, `"29.97"`) or a fraction (`"30000/1001"`) exactly.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some((n, d)) = text.split_once('/') {
            let n: i128 = n.trim().parse().ok()?;
            let d: i128 = d.trim().parse().ok()?;
            return Rational::new(n, d);
        }
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
            || int_part.len() + frac_part.len() > 30
        {
            return None;
        }
        let mut num: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            num = num * 10 + i128::from(b - b'0');
        }
        let den = 10i128.checked_pow(frac_part.len() as u32)?;
        Rational::new(if negative { -num } else { num }, den)
    }
}

impl From<ffmpeg_next::Rational> for Rational {
    /// An FFmpeg rational; `0/0` (FFmpeg's "unknown") becomes zero.
    fn from(r: ffmpeg_next::Rational) -> Self {
        Rational::new(r.numerator().into(), r.denominator().into()).unwrap_or(Rational::ZERO)
    }
}

impl Add for Rational {
    type Output = Rational;
    fn add(self, o: Rational) -> Rational {
        let g = gcd(self.den, o.den).max(1);
        let den = self.den / g * o.den;
        Rational::new(self.num * (o.den / g) + o.num * (self.den / g), den)
            .unwrap_or(Rational::ZERO)
    }
}

impl Sub for Rational {
    type Output = Rational;
    fn sub(self, o: Rational) -> Rational {
        self + Rational {
            num: -o.num,
            den: o.den,
        }
    }
}

impl Mul for Rational {
    type Output = Rational;
    fn mul(self, o: Rational) -> Rational {
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        Rational::new(
            (self.num / g1) * (o.num / g2),
            (self.den / g2) * (o.den / g1),
        )
        .unwrap_or(Rational::ZERO)
    }
}

impl Div for Rational {
    type Output = Rational;
    /// Division; dividing by zero gives zero (callers check divisors first).
    fn div(self, o: Rational) -> Rational {
        match o.recip() {
            Some(r) => self.mul(r),
            None => Rational::ZERO,
        }
    }
}

impl Ord for Rational {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Rational {
        Rational::new(n, d).unwrap()
    }

    #[test]
    fn normalises_sign_and_terms() {
        assert_eq!(r(2, -4), r(-1, 2));
        assert_eq!(r(-2, -4).num(), 1);
        assert_eq!(r(-2, -4).den(), 2);
        assert!(Rational::new(1, 0).is_none());
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(r(1, 3) + r(1, 6), r(1, 2));
        assert_eq!(r(1, 3) - r(1, 2), r(-1, 6));
        assert_eq!(r(2999, 90000) * r(90000, 2999), Rational::ONE);
        assert_eq!(r(3, 4) / r(3, 8), Rational::from_int(2));
    }

    #[test]
    fn floor_ceil_round_fract() {
        assert_eq!(r(7, 2).floor(), 3);
        assert_eq!(r(-7, 2).floor(), -4);
        assert_eq!(r(7, 2).ceil(), 4);
        assert_eq!(r(-7, 2).ceil(), -3);
        assert_eq!(r(6, 2).ceil(), 3);
        assert_eq!(r(5, 2).round(), 3);
        assert_eq!(r(-7, 3).fract(), r(2, 3));
    }

    #[test]
    fn parses_decimals_and_fractions() {
        assert_eq!(Rational::parse("1.533"), Some(r(1533, 1000)));
        assert_eq!(Rational::parse("-0.5"), Some(r(-1, 2)));
        assert_eq!(Rational::parse("30000/1001"), Some(r(30000, 1001)));
        assert_eq!(Rational::parse("60"), Some(Rational::from_int(60)));
        assert_eq!(Rational::parse(".25"), Some(r(1, 4)));
        for bad in ["", ".", "abc", "1.2.3", "1e3", "3/0", "--1"] {
            assert_eq!(Rational::parse(bad), None, "{bad}");
        }
    }
}
