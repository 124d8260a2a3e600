//! Decimal ASCII for template slots: unsigned integers and fixed-point
//! decimals written right-aligned into a slot of fixed width, without
//! `core::fmt`. A value that needs more digits than the slot has is an error;
//! nothing is ever cut off.

/// The value does not fit the slot's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

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
    fn shortest_has_no_padding() {
        let mut buf = [0u8; U64_DIGITS];
        assert_eq!(shortest(0, &mut buf), b"0");
        assert_eq!(shortest(5000, &mut buf), b"5000");
        assert_eq!(shortest(u64::MAX, &mut buf), b"18446744073709551615");
    }
}
