//! Decimal ASCII for template slots: unsigned integers and fixed-point
//! decimals written right-aligned into a slot of fixed width, without
//! `core::fmt`. A value that needs more digits than the slot has is an error;
//! nothing is ever cut off.

/// The value does not fit the slot's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// Why a venue's decimal could not become a count of ticks or lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    /// Not `digits[.digits]`: empty, a sign, an exponent, a stray byte.
    Syntax,
    /// Below zero, where only a count of steps makes sense.
    Negative,
    /// Finer than the instrument's step: it is not a whole number of them.
    OffGrid,
    /// More than a `u64` of steps.
    Overflow,
}

/// Most decimal digits of a `u64`.
pub(crate) const U64_DIGITS: usize = 20;

/// `"00" "01" … "99"`: two digits per division halves the chain of
/// dependent divisions, which is most of what a slot write costs.
const PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// 10^0 … 10^19.
const POW10: [u64; U64_DIGITS] = {
    let mut pow = [1u64; U64_DIGITS];
    let mut i = 1;
    while i < U64_DIGITS {
        pow[i] = pow[i - 1] * 10;
        i += 1;
    }
    pow
};

/// Writes `value` zero-padded to exactly `out.len()` digits.
pub(crate) fn write_padded(value: u64, out: &mut [u8]) -> Result<(), Overflow> {
    // Each digit pair waits on the division before it; splitting a wide
    // slot into two halves gives the CPU two independent chains.
    const HALF: usize = 10;
    match out.len().checked_sub(HALF) {
        Some(high) if high > 0 => {
            let (high, low) = out.split_at_mut(high);
            write_pairs(value % POW10[HALF], low)?;
            write_pairs(value / POW10[HALF], high)
        }
        _ => write_pairs(value, out),
    }
}

/// Writes `value` zero-padded into `out`, two digits per division; the
/// pairs past the value's last digit come out as `"00"`.
fn write_pairs(mut value: u64, out: &mut [u8]) -> Result<(), Overflow> {
    let mut pairs = out.rchunks_exact_mut(2);
    for pair in &mut pairs {
        let at = (value % 100) as usize * 2;
        value /= 100;
        pair.copy_from_slice(&PAIRS[at..at + 2]);
    }
    if let [digit] = pairs.into_remainder() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
    if value == 0 { Ok(()) } else { Err(Overflow) }
}

/// Writes `value` in exactly `out.len()` digits with no leading zero, as a
/// JSON number must be (RFC 8259 §6).
pub(crate) fn write_exact(value: u64, out: &mut [u8]) -> Result<(), Overflow> {
    write_padded(value, out)?;
    match out.first() {
        Some(b'0') if out.len() > 1 => Err(Overflow),
        _ => Ok(()),
    }
}

/// Writes `units` (in steps of 10^-`decimals`) as `I.F` with `decimals`
/// fraction digits, the integer part zero-padded to fill `out`.
pub(crate) fn write_decimal(units: u64, decimals: usize, out: &mut [u8]) -> Result<(), Overflow> {
    if decimals == 0 {
        return write_padded(units, out);
    }
    let scale = *POW10.get(decimals).ok_or(Overflow)?;
    let point = out.len().checked_sub(decimals + 1).ok_or(Overflow)?;
    let (int, rest) = out.split_at_mut(point);
    let (dot, frac) = rest.split_at_mut(1);
    dot.fill(b'.');
    write_padded(units % scale, frac)?;
    write_padded(units / scale, int)
}

/// Reads the decimal text `text` (`digits[.digits]`, as Binance writes
/// prices and quantities) as a count of 10^-`decimals` steps. Fraction
/// digits past `decimals` must be zeros; nothing is rounded.
pub fn read_decimal(text: &[u8], decimals: u8) -> Result<u64, DecimalError> {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (text.get(..dot).unwrap_or_default(), text.get(dot + 1..).unwrap_or_default()),
        None => (text, &[][..]),
    };
    if int.is_empty() || (text.len() > int.len() && frac.is_empty()) || int.len() > U64_DIGITS {
        return Err(if int.len() > U64_DIGITS { DecimalError::Overflow } else { DecimalError::Syntax });
    }
    let decimals = usize::from(decimals);
    if decimals >= U64_DIGITS {
        return Err(DecimalError::Overflow);
    }
    let (on_grid, finer) = frac.split_at(frac.len().min(decimals));
    // The digits down to the grid, read as one integer: up to nineteen
    // cannot overflow, so only a longer number pays a check per digit.
    let digits = int.iter().chain(on_grid);
    let mut units: u64 = if int.len() + on_grid.len() < U64_DIGITS {
        digits.map(|&b| ascii_digit(b)).try_fold(0u64, |n, d| Ok(n.wrapping_mul(10).wrapping_add(d?)))?
    } else {
        digits.map(|&b| ascii_digit(b)).try_fold(0u64, |n, d| {
            let d = d?;
            n.checked_mul(10).and_then(|n| n.checked_add(d)).ok_or(DecimalError::Overflow)
        })?
    };
    let short = *POW10.get(decimals - on_grid.len()).ok_or(DecimalError::Overflow)?;
    units = units.checked_mul(short).ok_or(DecimalError::Overflow)?;
    for &b in finer {
        if ascii_digit(b)? != 0 {
            return Err(DecimalError::OffGrid);
        }
    }
    Ok(units)
}

fn ascii_digit(b: u8) -> Result<u64, DecimalError> {
    match b {
        b'0'..=b'9' => Ok(u64::from(b - b'0')),
        b'-' => Err(DecimalError::Negative),
        _ => Err(DecimalError::Syntax),
    }
}

/// `mantissa` × 10^`exponent` (an SBE decimal: an `int64` mantissa and an
/// `int8` exponent) as a count of 10^-`decimals` steps, exactly.
pub(crate) fn scale_decimal(mantissa: i64, exponent: i8, decimals: u8) -> Result<u64, DecimalError> {
    let mantissa = u64::try_from(mantissa).map_err(|_| DecimalError::Negative)?;
    let shift = i16::from(exponent) + i16::from(decimals);
    let pow = |n: i16| POW10.get(usize::try_from(n).unwrap_or(usize::MAX)).copied();
    if shift >= 0 {
        match pow(shift) {
            Some(p) => mantissa.checked_mul(p).ok_or(DecimalError::Overflow),
            None if mantissa == 0 => Ok(0),
            None => Err(DecimalError::Overflow),
        }
    } else {
        match pow(-shift) {
            Some(p) if mantissa % p == 0 => Ok(mantissa / p),
            Some(_) => Err(DecimalError::OffGrid),
            // 10^20 and beyond exceed every u64: only zero is on the grid.
            None if mantissa == 0 => Ok(0),
            None => Err(DecimalError::OffGrid),
        }
    }
}

/// `value` in its shortest decimal form, at the end of `buf`.
pub(crate) fn shortest(mut value: u64, buf: &mut [u8; U64_DIGITS]) -> &[u8] {
    let mut start = buf.len();
    for b in buf.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
        start -= 1;
        if value == 0 {
            break;
        }
    }
    buf.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_fills_and_rejects_overflow() {
        let mut out = [0u8; 4];
        write_padded(42, &mut out).unwrap();
        assert_eq!(&out, b"0042");
        write_padded(9999, &mut out).unwrap();
        assert_eq!(&out, b"9999");
        assert_eq!(write_padded(10_000, &mut out), Err(Overflow));
        let mut max = [0u8; U64_DIGITS];
        write_padded(u64::MAX, &mut max).unwrap();
        assert_eq!(&max, b"18446744073709551615");
    }

    #[test]
    fn exact_rejects_leading_zero() {
        let mut out = [0u8; 13];
        write_exact(1_645_423_376_532, &mut out).unwrap();
        assert_eq!(&out, b"1645423376532");
        assert_eq!(write_exact(999_999_999_999, &mut out), Err(Overflow));
        assert_eq!(write_exact(10_000_000_000_000, &mut out), Err(Overflow));
        let mut one = [0u8; 1];
        write_exact(0, &mut one).unwrap();
        assert_eq!(&one, b"0");
    }

    #[test]
    fn decimal_places_the_point() {
        let mut out = [0u8; 8];
        write_decimal(5_200_000, 2, &mut out).unwrap();
        assert_eq!(&out, b"52000.00");
        let mut out = [0u8; 10];
        write_decimal(1_000_000, 8, &mut out).unwrap();
        assert_eq!(&out, b"0.01000000");
        let mut out = [0u8; 6];
        write_decimal(5, 2, &mut out).unwrap();
        assert_eq!(&out, b"000.05");
        assert_eq!(write_decimal(100_000, 2, &mut out), Err(Overflow));
        assert_eq!(write_decimal(1, 6, &mut out), Err(Overflow));
        let mut out = [0u8; 3];
        write_decimal(7, 0, &mut out).unwrap();
        assert_eq!(&out, b"007");
    }

    #[test]
    fn read_decimal_counts_steps_exactly() {
        assert_eq!(read_decimal(b"25.35190000", 2), Err(DecimalError::OffGrid));
        assert_eq!(read_decimal(b"25.35190000", 4), Ok(253_519));
        assert_eq!(read_decimal(b"25.35190000", 8), Ok(2_535_190_000));
        assert_eq!(read_decimal(b"67000.01", 2), Ok(6_700_001));
        assert_eq!(read_decimal(b"67000.1", 2), Ok(6_700_010));
        assert_eq!(read_decimal(b"67000", 2), Ok(6_700_000));
        assert_eq!(read_decimal(b"0.00000000", 8), Ok(0));
        assert_eq!(read_decimal(b"7", 0), Ok(7));
        assert_eq!(read_decimal(b"18446744073709551615", 0), Ok(u64::MAX));
        assert_eq!(read_decimal(b"18446744073709551616", 0), Err(DecimalError::Overflow));
        assert_eq!(read_decimal(b"184467440737.09551616", 8), Err(DecimalError::Overflow));
        assert_eq!(read_decimal(b"123456789012345678901", 0), Err(DecimalError::Overflow));
        for bad in [&b""[..], b".", b"1.", b".5", b"1e5", b"+1", b"1.2.3", b" 1", b"1,5", b"0x10"] {
            assert_eq!(read_decimal(bad, 2), Err(DecimalError::Syntax), "{bad:?}");
        }
        assert_eq!(read_decimal(b"-1.00", 2), Err(DecimalError::Negative));
        assert_eq!(read_decimal(b"1", 20), Err(DecimalError::Overflow));
        assert_eq!(read_decimal(b"1", 19), Ok(10_000_000_000_000_000_000));
        assert_eq!(read_decimal(b"1.5", 19), Ok(15_000_000_000_000_000_000));
        assert_eq!(read_decimal(b"9999999999.99999999", 8), Ok(999_999_999_999_999_999));
        assert_eq!(read_decimal(b"18446744073.70955161", 9), Ok(18_446_744_073_709_551_610));
        assert_eq!(read_decimal(b"18446744073.70955162", 9), Err(DecimalError::Overflow));
        assert_eq!(read_decimal(b"1844674407370955161.6", 1), Err(DecimalError::Overflow));
        assert_eq!(read_decimal(b"1844674407370955161.x", 1), Err(DecimalError::Syntax));
        assert_eq!(read_decimal(b"1.0-", 2), Err(DecimalError::Negative));
        assert_eq!(read_decimal(b"1.00x", 2), Err(DecimalError::Syntax));
        assert_eq!(read_decimal(b"1.001x", 2), Err(DecimalError::OffGrid));
    }

    #[test]
    fn scale_decimal_is_exact() {
        assert_eq!(scale_decimal(2_535_190_000, -8, 4), Ok(253_519));
        assert_eq!(scale_decimal(2_535_190_001, -8, 4), Err(DecimalError::OffGrid));
        assert_eq!(scale_decimal(67_000, 0, 2), Ok(6_700_000));
        assert_eq!(scale_decimal(5, 3, 0), Ok(5_000));
        assert_eq!(scale_decimal(-1, -8, 8), Err(DecimalError::Negative));
        assert_eq!(scale_decimal(i64::MAX, 2, 0), Err(DecimalError::Overflow));
        assert_eq!(scale_decimal(0, 127, 19), Ok(0));
        assert_eq!(scale_decimal(1, 127, 0), Err(DecimalError::Overflow));
        assert_eq!(scale_decimal(0, -128, 0), Ok(0));
        assert_eq!(scale_decimal(1, -128, 0), Err(DecimalError::OffGrid));
    }

    #[test]
    fn shortest_has_no_padding() {
        let mut buf = [0u8; U64_DIGITS];
        assert_eq!(shortest(0, &mut buf), b"0");
        assert_eq!(shortest(5000, &mut buf), b"5000");
        assert_eq!(shortest(u64::MAX, &mut buf), b"18446744073709551615");
    }
}
