//! Output script (scriptPubKey) classification into the standard templates
//! of Bitcoin Core's `script/solver.cpp`: P2PKH, P2SH, P2WPKH (BIP 141),
//! P2WSH (BIP 141), P2TR (BIP 341) and OP_RETURN data carriers.

use core::fmt;

const OP_0: u8 = 0x00;
const OP_1: u8 = 0x51;
const OP_PUSHBYTES_20: u8 = 0x14;
const OP_PUSHBYTES_32: u8 = 0x20;
const OP_DUP: u8 = 0x76;
const OP_HASH160: u8 = 0xa9;
const OP_EQUAL: u8 = 0x87;
const OP_EQUALVERIFY: u8 = 0x88;
const OP_CHECKSIG: u8 = 0xac;
const OP_RETURN: u8 = 0x6a;

/// The template an output script matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptType {
    /// `OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG`.
    P2pkh,
    /// `OP_HASH160 <20> OP_EQUAL` (BIP 16).
    P2sh,
    /// `OP_0 <20>` (BIP 141, witness v0 key hash).
    P2wpkh,
    /// `OP_0 <32>` (BIP 141, witness v0 script hash).
    P2wsh,
    /// `OP_1 <32>` (BIP 341, witness v1 taproot output key).
    P2tr,
    /// Starts with `OP_RETURN`: provably unspendable data carrier.
    OpReturn,
    /// Anything else (bare multisig, P2PK, future witness versions, junk).
    Other,
}

impl ScriptType {
    /// Classifies a scriptPubKey. Exact lengths matter: a 21-byte push after
    /// `OP_0` is not P2WPKH, exactly as in Core's `Solver`.
    pub fn classify(script: &[u8]) -> Self {
        match script {
            [OP_DUP, OP_HASH160, OP_PUSHBYTES_20, hash @ .., OP_EQUALVERIFY, OP_CHECKSIG] if hash.len() == 20 => {
                Self::P2pkh
            }
            [OP_HASH160, OP_PUSHBYTES_20, hash @ .., OP_EQUAL] if hash.len() == 20 => Self::P2sh,
            [OP_0, OP_PUSHBYTES_20, program @ ..] if program.len() == 20 => Self::P2wpkh,
            [OP_0, OP_PUSHBYTES_32, program @ ..] if program.len() == 32 => Self::P2wsh,
            [OP_1, OP_PUSHBYTES_32, program @ ..] if program.len() == 32 => Self::P2tr,
            [OP_RETURN, ..] => Self::OpReturn,
            _ => Self::Other,
        }
    }

    /// The lower-case name `hotline decode-tx` prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::P2pkh => "p2pkh",
            Self::P2sh => "p2sh",
            Self::P2wpkh => "p2wpkh",
            Self::P2wsh => "p2wsh",
            Self::P2tr => "p2tr",
            Self::OpReturn => "op_return",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for ScriptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::ScriptType;

    #[test]
    fn templates_need_exact_lengths() {
        let mut p2wpkh = [0u8; 22];
        p2wpkh[1] = 0x14;
        assert_eq!(ScriptType::classify(&p2wpkh), ScriptType::P2wpkh);
        assert_eq!(ScriptType::classify(&p2wpkh[..21]), ScriptType::Other);
        let mut p2tr = [0u8; 34];
        p2tr[0] = 0x51;
        p2tr[1] = 0x20;
        assert_eq!(ScriptType::classify(&p2tr), ScriptType::P2tr);
        p2tr[0] = 0x52;
        assert_eq!(ScriptType::classify(&p2tr), ScriptType::Other);
        assert_eq!(ScriptType::classify(&[0x6a]), ScriptType::OpReturn);
        assert_eq!(ScriptType::classify(&[]), ScriptType::Other);
    }
}
