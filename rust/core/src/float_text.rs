//! A finite float as Python's `repr` writes it, which is what `json.dumps` writes: the shortest
//! digits that read back to the same float, in fixed notation when the decimal exponent is from
//! -4 to 15 (`0.0001`, `12.5`, `1000000000000000.0`) and as `1e-05` or `1.5e+16` otherwise.
//!
//! The digits come from `zmij` (Schubfach: the shortest correctly rounded digits, as Python's
//! `dtoa` in its shortest mode); only the notation is Python's, applied here. Request bodies are
//! signed, so the property tests compare this with `repr` over every exponent.

/// Room for the longest repr: a sign, 17 digits, a point and `e-308`, or `0.000` before 17 digits.
const CAPACITY: usize = 32;

/// The text of one float; [`FloatRepr::as_str`] reads it.
pub struct FloatRepr {
    bytes: [u8; CAPACITY],
    len: usize,
}

/// A float's shortest digits (no leading or trailing zero) and where its decimal point goes:
/// the value is `0.DIGITS × 10^point`, Python's `decpt` convention.
struct Decimal<'a> {
    negative: bool,
    digits: &'a [u8],
    point: i32,
}

impl FloatRepr {
    /// `repr(value)` for a finite `value`; the caller writes NaN and the infinities (JSON has
    /// no repr for them: `json.dumps` writes `NaN`, `Infinity` and `-Infinity`).
    pub fn new(value: f64) -> Self {
        debug_assert!(value.is_finite());
        let mut shortest = zmij::Buffer::new();
        let text = shortest.format_finite(value);
        let mut repr = Self {
            bytes: [0; CAPACITY],
            len: 0,
        };
        if is_python_notation(text) {
            repr.push(text.as_bytes());
        } else {
            let mut digits = [0u8; CAPACITY];
            repr.write(&decimal(text, &mut digits));
        }
        repr
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits, '-', '.', 'e' and '+' are ever written.
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII")
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn zeros(&mut self, count: i32) {
        for _ in 0..count {
            self.push(b"0");
        }
    }

    fn write(&mut self, decimal: &Decimal<'_>) {
        if decimal.negative {
            self.push(b"-");
        }
        let Decimal { digits, point, .. } = *decimal;
        if digits.is_empty() {
            return self.push(b"0.0");
        }
        let count = digits.len() as i32;
        // Python's float_repr_style "short": exponent form when point <= -4 or point > 16.
        if point <= -4 || point > 16 {
            self.push(&digits[..1]);
            if digits.len() > 1 {
                self.push(b".");
                self.push(&digits[1..]);
            }
            let exponent = point - 1;
            self.push(if exponent < 0 { b"e-" } else { b"e+" });
            let magnitude = exponent.unsigned_abs();
            if magnitude < 10 {
                self.push(b"0");
            }
            self.push(itoa::Buffer::new().format(magnitude).as_bytes());
        } else if point <= 0 {
            self.push(b"0.");
            self.zeros(-point);
            self.push(digits);
        } else if point >= count {
            self.push(digits);
            self.zeros(point - count);
            self.push(b".0");
        } else {
            let split = point as usize;
            self.push(&digits[..split]);
            self.push(b".");
            self.push(&digits[split..]);
        }
    }
}

/// Whether zmij's text is already Python's: fixed notation (zmij's from exponent -5 to 15,
/// Python's from -4) not below 0.0001, as most numbers are. Its exponent form differs (`1e-7`,
/// not `1e-07`), so that always goes through [`decimal`].
fn is_python_notation(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    !unsigned.contains('e') && !unsigned.starts_with("0.0000")
}

/// Reads zmij's text (`-12.5`, `0.00001`, `1.5e+16`, `1e-6`) into its digits, copied into
/// `storage`, and decimal point.
fn decimal<'a>(text: &str, storage: &'a mut [u8; CAPACITY]) -> Decimal<'a> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.split_once('e') {
        Some((mantissa, exponent)) => (
            mantissa,
            exponent
                .trim_start_matches('+')
                .parse::<i32>()
                .expect("zmij writes a decimal exponent"),
        ),
        None => (unsigned, 0),
    };
    let mut len = 0;
    let mut point = None;
    for byte in mantissa.bytes() {
        if byte == b'.' {
            point = Some(len as i32);
        } else {
            storage[len] = byte;
            len += 1;
        }
    }
    let mut point = point.unwrap_or(len as i32) + exponent;
    let mut digits = &storage[..len];
    while let [b'0', rest @ ..] = digits {
        digits = rest;
        point -= 1;
    }
    while let [rest @ .., b'0'] = digits {
        digits = rest;
    }
    Decimal {
        negative,
        digits,
        point,
    }
}

#[cfg(test)]
mod tests {
    use super::FloatRepr;

    /// `repr()` of each value in CPython 3.11.
    const REPRS: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (123456.789, "123456.789"),
        (0.0001, "0.0001"),
        (0.00012, "0.00012"),
        (1e-5, "1e-05"),
        (2.5e-5, "2.5e-05"),
        (1.5e-7, "1.5e-07"),
        (1e15, "1000000000000000.0"),
        (1234567890123456.7, "1234567890123456.8"),
        (1e16, "1e+16"),
        (1.2345678901234568e17, "1.2345678901234568e+17"),
        (1e22, "1e+22"),
        (1e100, "1e+100"),
        (5e-324, "5e-324"),
        (2.2250738585072014e-308, "2.2250738585072014e-308"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.7976931348623157e308, "-1.7976931348623157e+308"),
        (0.30000000000000004, "0.30000000000000004"),
        (9007199254740993.0, "9007199254740992.0"),
        (1.0 / 3.0, "0.3333333333333333"),
    ];

    #[test]
    fn writes_what_python_repr_writes() {
        for (value, repr) in REPRS {
            assert_eq!(FloatRepr::new(*value).as_str(), *repr, "{value:e}");
        }
    }

    #[test]
    fn reads_back_to_the_same_float() {
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            // xorshift: every exponent and mantissa pattern, not only "nice" numbers.
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let value = f64::from_bits(bits);
            if value.is_finite() {
                let text = FloatRepr::new(value).as_str().to_owned();
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), bits, "{text}");
            }
        }
    }
}
