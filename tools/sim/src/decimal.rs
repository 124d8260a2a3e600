//! Decimal text to whole units and back: a price or quantity as Binance sends it (`"52000.00"`, DECIMAL parameters of
//! web-socket-api.md §"Place new order (TRADE)", <https://github.com/binance/binance-spot-api-docs>) becomes an integer
//! count of 10^-scale units, exactly, and amounts print the way the exchange prints them, with eight decimals. Amounts
//! are `i128`: a DECIMAL has up to 20 integer and 20 fraction digits, and a price times a quantity needs both scales.

/// The decimals Binance prints amounts with (`"0.01000000"`).
pub(crate) const PRINTED: u32 = 8;

/// `text` in units of 10^-`scale`; `None` if it is not `digits[.digits]` or has non-zero digits finer than `scale`.
pub(crate) fn parse(text: &str, scale: u32) -> Option<i128> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 20 || frac.len() > 20 || !digits(whole) || !digits(frac) {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    let scale = scale as usize;
    let (kept, rest) = frac.split_at(frac.len().min(scale));
    if rest.bytes().any(|b| b != b'0') {
        return None;
    }
    let mut value: i128 = whole.parse().ok()?;
    for i in 0..scale {
        let digit = kept.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
        value = value.checked_mul(10)?.checked_add(digit)?;
    }
    Some(value)
}

/// `value` units of 10^-`from` in units of 10^-`to`, rounded toward zero.
pub(crate) fn rescale(value: i128, from: u32, to: u32) -> i128 {
    if to >= from { value * 10i128.pow(to - from) } else { value / 10i128.pow(from - to) }
}

/// `value` units of 10^-`scale` with exactly eight decimals, as the exchange prints amounts.
pub(crate) fn fixed8(value: i128, scale: u32) -> String {
    let units = rescale(value, scale, PRINTED);
    let sign = if units < 0 { "-" } else { "" };
    let units = units.unsigned_abs();
    let one = 10u128.pow(PRINTED);
    format!("{sign}{}.{:08}", units / one, units % one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_takes_trailing_zeros_and_refuses_finer_digits() {
        assert_eq!(parse("52000.00000000", 2), Some(5_200_000));
        assert_eq!(parse("0.01000000", 5), Some(1_000));
        assert_eq!(parse("0000.00010", 5), Some(10));
        assert_eq!(parse("1", 5), Some(100_000));
        assert_eq!(parse("0.000001", 5), None);
        assert_eq!(parse("1.", 5), None);
        assert_eq!(parse(".5", 5), None);
        assert_eq!(parse("-1", 5), None);
        assert_eq!(parse("1e3", 5), None);
        assert_eq!(parse("99999999999999999999.99999999", 8), Some(10i128.pow(28) - 1));
    }

    #[test]
    fn fixed8_prints_eight_decimals_from_any_scale() {
        assert_eq!(fixed8(9_000_001, 2), "90000.01000000");
        assert_eq!(fixed8(200_000, 5), "2.00000000");
        assert_eq!(fixed8(123_456_789, 10), "0.01234567");
        assert_eq!(fixed8(0, 16), "0.00000000");
        assert_eq!(fixed8(-150, 2), "-1.50000000");
    }
}
