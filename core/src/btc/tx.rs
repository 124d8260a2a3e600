//! Raw Bitcoin transaction bytes turn into a validated, zero-copy [`Tx`]
//! view: legacy and BIP 144 (segwit) serializations, outputs with their
//! values and script types, weight and vsize (BIP 141), and txid / wtxid on
//! demand (double SHA-256 over the stripped and the full serialization).
//!
//! Parsing follows Bitcoin Core's `UnserializeTransaction` (canonical
//! CompactSize no larger than `MAX_SIZE`, segwit flag exactly 0x01, no
//! superfluous witness record), rejects bytes left after the locktime as
//! Core's `DecodeHexTx` does, and applies the context-free checks of
//! `CheckTransaction` (non-empty inputs and outputs, amounts and their sum
//! within `0..=MAX_MONEY`, no duplicate inputs, coinbase scriptSig length, no
//! null prevout outside a coinbase). A view that parsed is therefore a
//! transaction Core itself would accept as well formed.

use core::fmt;

use sha2::{Digest, Sha256};

use super::script::ScriptType;

/// 21 million BTC in satoshis: the consensus bound on any amount and sum.
pub const MAX_MONEY: u64 = 21_000_000 * 100_000_000;
/// Largest CompactSize Core accepts for a length or count (`MAX_SIZE`).
pub const MAX_SIZE: u64 = 0x0200_0000;
/// Largest stripped size `CheckTransaction` accepts: `MAX_BLOCK_WEIGHT / 4`.
pub const MAX_STRIPPED_SIZE: usize = 1_000_000;
/// Witness bytes count once, the rest four times (BIP 141).
const WITNESS_SCALE_FACTOR: usize = 4;

/// Byte layout of the fixed-size fields.
mod field {
    pub(super) const VERSION: usize = 4;
    /// BIP 144 marker (0x00) and flag (0x01) between version and inputs.
    pub(super) const MARKER_FLAG: usize = 2;
    pub(super) const PREVOUT_TXID: usize = 32;
    pub(super) const LOCKTIME: usize = 4;
}

/// Why bytes are not a transaction Bitcoin Core would accept. The display
/// strings are Core's own messages and reject reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The bytes end inside a field.
    Truncated,
    /// A CompactSize used a longer encoding than its value needs.
    NonCanonicalCompactSize,
    /// A CompactSize length or count above `MAX_SIZE`.
    SizeTooLarge,
    /// The BIP 144 flag byte is not 0x01.
    UnknownFlag(u8),
    /// The segwit serialization was used but every witness is empty.
    SuperfluousWitness,
    /// Bytes remain after the locktime.
    TrailingBytes,
    /// No inputs.
    NoInputs,
    /// No outputs.
    NoOutputs,
    /// An output value is negative.
    NegativeValue,
    /// An output value exceeds `MAX_MONEY`.
    ValueTooLarge,
    /// The sum of the output values exceeds `MAX_MONEY`.
    TotalTooLarge,
    /// Two inputs spend the same outpoint.
    DuplicateInput,
    /// A coinbase scriptSig outside 2..=100 bytes.
    CoinbaseLength,
    /// A non-coinbase input spends the null outpoint.
    NullPrevout,
    /// The stripped serialization exceeds `MAX_STRIPPED_SIZE`.
    Oversize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("unexpected end of data"),
            Self::NonCanonicalCompactSize => f.write_str("non-canonical ReadCompactSize()"),
            Self::SizeTooLarge => f.write_str("ReadCompactSize(): size too large"),
            Self::UnknownFlag(flag) => {
                write!(f, "Unknown transaction optional data (flag 0x{flag:02x})")
            }
            Self::SuperfluousWitness => f.write_str("Superfluous witness record"),
            Self::TrailingBytes => f.write_str("data left after the locktime"),
            Self::NoInputs => f.write_str("bad-txns-vin-empty"),
            Self::NoOutputs => f.write_str("bad-txns-vout-empty"),
            Self::NegativeValue => f.write_str("bad-txns-vout-negative"),
            Self::ValueTooLarge => f.write_str("bad-txns-vout-toolarge"),
            Self::TotalTooLarge => f.write_str("bad-txns-txouttotal-toolarge"),
            Self::DuplicateInput => f.write_str("bad-txns-inputs-duplicate"),
            Self::CoinbaseLength => f.write_str("bad-cb-length"),
            Self::NullPrevout => f.write_str("bad-txns-prevout-null"),
            Self::Oversize => f.write_str("bad-txns-oversize"),
        }
    }
}

/// A bounds-checked cursor: every read either yields the bytes or
/// `Error::Truncated`, so no input can index out of range.
#[derive(Debug, Clone)]
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(Error::Truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or(Error::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| Error::Truncated)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    fn u32_le(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64_le(&mut self) -> Result<u64, Error> {
        self.array().map(u64::from_le_bytes)
    }

    /// Core's `ReadCompactSize` with its range check: minimal encoding only,
    /// at most `MAX_SIZE`. The result therefore fits any `usize`.
    fn compact_size(&mut self) -> Result<usize, Error> {
        let (value, min) = match self.u8()? {
            0xfd => (u64::from(u16::from_le_bytes(self.array()?)), 0xfd),
            0xfe => (u64::from(self.u32_le()?), 0x1_0000),
            0xff => (self.u64_le()?, 0x1_0000_0000),
            small => (u64::from(small), 0),
        };
        if value < min {
            return Err(Error::NonCanonicalCompactSize);
        }
        if value > MAX_SIZE {
            return Err(Error::SizeTooLarge);
        }
        usize::try_from(value).map_err(|_| Error::SizeTooLarge)
    }

    fn var_bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.compact_size()?;
        self.take(len)
    }
}

/// A previous output being spent: txid in internal byte order, and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPoint<'a> {
    /// The spent transaction's id, internal (not display) byte order.
    pub txid: &'a [u8; 32],
    /// The spent output's index.
    pub vout: u32,
}

impl OutPoint<'_> {
    /// The coinbase's prevout: all-zero txid and index `0xffff_ffff`.
    pub fn is_null(&self) -> bool {
        self.vout == u32::MAX && self.txid.iter().all(|&b| b == 0)
    }

    /// A 64-bit digest of the outpoint: txids are hashes, so their first
    /// eight bytes already spread. Two transactions spending the same
    /// outpoint (a repeat, or a replacement) share it.
    pub fn tag(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = *self.txid;
        u64::from_le_bytes([a, b, c, d, e, f, g, h]) ^ u64::from(self.vout)
    }
}

/// One input of a parsed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxIn<'a> {
    /// The output it spends.
    pub prevout: OutPoint<'a>,
    /// The scriptSig (empty for native segwit spends).
    pub script_sig: &'a [u8],
    /// nSequence (BIP 68 / BIP 125 signalling).
    pub sequence: u32,
}

impl<'a> TxIn<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let txid = r.take(field::PREVOUT_TXID)?.try_into().map_err(|_| Error::Truncated)?;
        let vout = r.u32_le()?;
        let script_sig = r.var_bytes()?;
        let sequence = r.u32_le()?;
        Ok(Self { prevout: OutPoint { txid, vout }, script_sig, sequence })
    }
}

/// One output of a parsed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOut<'a> {
    /// Value in satoshis, already checked to be within `0..=MAX_MONEY`.
    pub value_sat: u64,
    /// The locking script.
    pub script_pubkey: &'a [u8],
}

impl<'a> TxOut<'a> {
    /// Reads one output, rejecting values outside `0..=MAX_MONEY` (the
    /// field is a signed `CAmount`, so bit 63 means negative).
    fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let raw = r.u64_le()?;
        if raw >> 63 != 0 {
            return Err(Error::NegativeValue);
        }
        if raw > MAX_MONEY {
            return Err(Error::ValueTooLarge);
        }
        Ok(Self { value_sat: raw, script_pubkey: r.var_bytes()? })
    }

    /// The standard template of the locking script.
    pub fn script_type(&self) -> ScriptType {
        ScriptType::classify(self.script_pubkey)
    }
}

/// Iterator over the inputs of a [`Tx`].
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    r: Reader<'a>,
    remaining: usize,
}

impl<'a> Iterator for Inputs<'a> {
    type Item = TxIn<'a>;

    fn next(&mut self) -> Option<TxIn<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        TxIn::read(&mut self.r).ok()
    }
}

/// Iterator over the outputs of a [`Tx`].
#[derive(Debug, Clone)]
pub struct Outputs<'a> {
    r: Reader<'a>,
    remaining: usize,
}

impl<'a> Iterator for Outputs<'a> {
    type Item = TxOut<'a>;

    fn next(&mut self) -> Option<TxOut<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        TxOut::read(&mut self.r).ok()
    }
}

/// A double SHA-256 transaction hash in internal byte order. `Display` and
/// `LowerHex` print it reversed, as RPC and block explorers show txids.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxHash(pub [u8; 32]);

impl TxHash {
    /// Stands for a txid not computed yet (all zero bytes: no transaction
    /// hashes to it).
    pub const UNKNOWN: Self = Self([0; 32]);

    /// The hash in display order (byte-reversed).
    pub fn to_display_bytes(&self) -> [u8; 32] {
        let mut out = self.0;
        out.reverse();
        out
    }
}

impl fmt::LowerHex for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().rev().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Display for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(self, f)
    }
}

impl fmt::Debug for TxHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxHash({self:x})")
    }
}

/// A validated transaction: the original bytes plus the offsets found while
/// checking them. Every accessor is O(1) except the iterators and hashes.
#[derive(Debug, Clone, Copy)]
pub struct Tx<'a> {
    bytes: &'a [u8],
    segwit: bool,
    coinbase: bool,
    inputs_at: usize,
    input_count: usize,
    outputs_at: usize,
    output_count: usize,
    /// Where the witness (segwit) or the locktime (legacy) starts.
    outputs_end: usize,
    total_out_sat: u64,
    max_out_sat: u64,
}

impl<'a> Tx<'a> {
    /// Parses and validates one serialized transaction that must span all of
    /// `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::at(bytes, 0);
        r.take(field::VERSION)?;
        let mut input_count = r.compact_size()?;
        let mut segwit = false;
        if input_count == 0 {
            // An empty input vector is BIP 144's marker; the flag follows.
            // Flag 0 leaves the inputs empty, which CheckTransaction refuses.
            match r.u8()? {
                0 => return Err(Error::NoInputs),
                1 => segwit = true,
                flag => return Err(Error::UnknownFlag(flag)),
            }
            input_count = r.compact_size()?;
        }
        if input_count == 0 {
            return Err(Error::NoInputs);
        }
        let inputs_at = r.pos;
        let mut coinbase = false;
        for index in 0..input_count {
            let input = TxIn::read(&mut r)?;
            if input.prevout.is_null() {
                if index != 0 || input_count != 1 {
                    return Err(Error::NullPrevout);
                }
                coinbase = true;
                if !(2..=100).contains(&input.script_sig.len()) {
                    return Err(Error::CoinbaseLength);
                }
            }
        }

        let output_count = r.compact_size()?;
        if output_count == 0 {
            return Err(Error::NoOutputs);
        }
        let outputs_at = r.pos;
        let mut total_out_sat = 0u64;
        let mut max_out_sat = 0u64;
        for _ in 0..output_count {
            let output = TxOut::read(&mut r)?;
            // Both terms are at most MAX_MONEY, so the addition cannot wrap.
            total_out_sat += output.value_sat;
            if total_out_sat > MAX_MONEY {
                return Err(Error::TotalTooLarge);
            }
            max_out_sat = max_out_sat.max(output.value_sat);
        }
        let outputs_end = r.pos;

        if segwit {
            let mut any_witness = false;
            for _ in 0..input_count {
                let items = r.compact_size()?;
                any_witness |= items != 0;
                for _ in 0..items {
                    r.var_bytes()?;
                }
            }
            if !any_witness {
                return Err(Error::SuperfluousWitness);
            }
        }
        r.take(field::LOCKTIME)?;
        if r.pos != bytes.len() {
            return Err(Error::TrailingBytes);
        }

        let tx = Self {
            bytes,
            segwit,
            coinbase,
            inputs_at,
            input_count,
            outputs_at,
            output_count,
            outputs_end,
            total_out_sat,
            max_out_sat,
        };
        if tx.stripped_size() > MAX_STRIPPED_SIZE {
            return Err(Error::Oversize);
        }
        if tx.has_duplicate_inputs() {
            return Err(Error::DuplicateInput);
        }
        Ok(tx)
    }

    /// The serialized bytes this view was parsed from.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// nVersion (unsigned in current Core).
    pub fn version(&self) -> u32 {
        Reader::at(self.bytes, 0).u32_le().unwrap_or(0)
    }

    /// nLockTime.
    pub fn lock_time(&self) -> u32 {
        let at = self.bytes.len().saturating_sub(field::LOCKTIME);
        Reader::at(self.bytes, at).u32_le().unwrap_or(0)
    }

    /// Whether the BIP 144 serialization (with witnesses) was used.
    pub fn is_segwit(&self) -> bool {
        self.segwit
    }

    /// Whether this is a coinbase: one input spending the null outpoint.
    pub fn is_coinbase(&self) -> bool {
        self.coinbase
    }

    /// Number of inputs.
    pub fn input_count(&self) -> usize {
        self.input_count
    }

    /// Number of outputs.
    pub fn output_count(&self) -> usize {
        self.output_count
    }

    /// The inputs in order.
    pub fn inputs(&self) -> Inputs<'a> {
        Inputs { r: Reader::at(self.bytes, self.inputs_at), remaining: self.input_count }
    }

    /// The outputs in order.
    pub fn outputs(&self) -> Outputs<'a> {
        Outputs { r: Reader::at(self.bytes, self.outputs_at), remaining: self.output_count }
    }

    /// Sum of the output values, in satoshis (at most `MAX_MONEY`).
    pub fn total_out_sat(&self) -> u64 {
        self.total_out_sat
    }

    /// The largest single output value, in satoshis.
    pub fn max_out_sat(&self) -> u64 {
        self.max_out_sat
    }

    /// Serialized size with witnesses, in bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// Size of the serialization without marker, flag and witnesses.
    pub fn stripped_size(&self) -> usize {
        if self.segwit { self.outputs_end - field::MARKER_FLAG + field::LOCKTIME } else { self.bytes.len() }
    }

    /// BIP 141 weight: stripped size × 3 + full size.
    pub fn weight(&self) -> usize {
        self.stripped_size() * (WITNESS_SCALE_FACTOR - 1) + self.size()
    }

    /// Virtual size: weight / 4, rounded up.
    pub fn vsize(&self) -> usize {
        self.weight().div_ceil(WITNESS_SCALE_FACTOR)
    }

    /// The three pieces of the stripped serialization: version, the inputs
    /// and outputs, and the locktime. Marker, flag and witnesses are cut out
    /// by slicing, so no copy is made for hashing.
    fn stripped_parts(&self) -> [&'a [u8]; 3] {
        let body_from = if self.segwit { field::VERSION + field::MARKER_FLAG } else { field::VERSION };
        let locktime_at = self.bytes.len().saturating_sub(field::LOCKTIME);
        [
            self.bytes.get(..field::VERSION).unwrap_or_default(),
            self.bytes.get(body_from..self.outputs_end).unwrap_or_default(),
            self.bytes.get(locktime_at..).unwrap_or_default(),
        ]
    }

    /// The txid: double SHA-256 of the stripped serialization.
    pub fn txid(&self) -> TxHash {
        let mut first = Sha256::new();
        for part in self.stripped_parts() {
            first.update(part);
        }
        TxHash(Sha256::digest(first.finalize()).into())
    }

    /// The wtxid (BIP 141): double SHA-256 of the full serialization, equal
    /// to the txid when there is no witness.
    pub fn wtxid(&self) -> TxHash {
        if self.segwit { TxHash(Sha256::digest(Sha256::digest(self.bytes)).into()) } else { self.txid() }
    }

    /// Whether two inputs spend the same outpoint. Core uses a set; without
    /// an allocator a 2048-bit filter over a fold of all 36 outpoint bytes
    /// finds candidates, and only a filter hit rescans the earlier inputs.
    /// Real prevouts are hashes, so hits are rare and the check stays linear.
    fn has_duplicate_inputs(&self) -> bool {
        const FILTER_BITS: usize = 2048;
        if self.input_count < 2 {
            return false;
        }
        let mut filter = [0u64; FILTER_BITS / 64];
        for (index, input) in self.inputs().enumerate() {
            let key = outpoint_key(&input.prevout) % FILTER_BITS;
            let Some(word) = filter.get_mut(key / 64) else {
                return false;
            };
            let bit = 1u64 << (key % 64);
            if *word & bit != 0 && self.inputs().take(index).any(|earlier| earlier.prevout == input.prevout) {
                return true;
            }
            *word |= bit;
        }
        false
    }
}

/// Folds an outpoint into a filter index with a multiply-xorshift mix.
fn outpoint_key(prevout: &OutPoint<'_>) -> usize {
    let mut acc = u64::from(prevout.vout);
    for chunk in prevout.txid.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        acc = (acc ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        acc ^= acc >> 29;
    }
    // Only the low bits are used; truncation on 32-bit targets is harmless.
    acc as usize
}

#[cfg(test)]
mod tests {
    use super::{Error, Tx};

    /// A minimal legacy transaction: one input, one 1-sat P2WPKH output.
    fn legacy(vout_value: u64) -> [u8; 92] {
        let mut tx = [0u8; 92];
        tx[..4].copy_from_slice(&2u32.to_le_bytes());
        tx[4] = 1; // input count
        tx[5] = 0xab; // prevout txid starts non-null
        // txid 5..37, vout 37..41, empty scriptSig at 41, sequence 42..46
        tx[42..46].copy_from_slice(&u32::MAX.to_le_bytes());
        tx[46] = 1; // output count
        tx[47..55].copy_from_slice(&vout_value.to_le_bytes());
        tx[55] = 22;
        tx[57] = 0x14;
        // 22-byte script ends at 78; locktime 78..82; the rest is padding
        tx
    }

    #[test]
    fn trailing_bytes_after_locktime_are_rejected() {
        let tx = legacy(1);
        assert_eq!(Tx::parse(&tx[..82]).map(|t| t.size()), Ok(82));
        assert_eq!(Tx::parse(&tx[..83]).err(), Some(Error::TrailingBytes));
        assert_eq!(Tx::parse(&tx[..81]).err(), Some(Error::Truncated));
    }

    #[test]
    fn every_prefix_is_truncated_not_a_panic() {
        let tx = legacy(1);
        for end in 0..82 {
            assert!(Tx::parse(&tx[..end]).is_err(), "prefix {end}");
        }
    }

    #[test]
    fn non_canonical_compact_size_is_rejected() {
        let mut tx = [0u8; 94];
        tx[..46].copy_from_slice(&legacy(1)[..46]);
        tx[46] = 0xfd;
        tx[47..49].copy_from_slice(&1u16.to_le_bytes());
        tx[49..84].copy_from_slice(&legacy(1)[47..82]);
        assert_eq!(Tx::parse(&tx[..84]).err(), Some(Error::NonCanonicalCompactSize));
    }

    #[test]
    fn values_are_bounded() {
        assert_eq!(Tx::parse(&legacy(1 << 63)[..82]).err(), Some(Error::NegativeValue));
        let max = super::MAX_MONEY;
        assert!(Tx::parse(&legacy(max)[..82]).is_ok());
        assert_eq!(Tx::parse(&legacy(max + 1)[..82]).err(), Some(Error::ValueTooLarge));
    }
}
