//! Every default of the configuration file in one place: a field left out
//! of the TOML turns into the value here (enums default to their
//! `#[default]` variant). `config/hotline.example.toml` states the same
//! values beside each field.

use super::UnlabeledSide;

/// `node.max_tx_bytes`.
pub(super) fn node_max_tx_bytes() -> usize {
    4_000_000
}

/// `node.silence_secs`.
pub(super) fn node_silence_secs() -> u64 {
    120
}

/// `node.gap_cover_secs`: a node that has not gapped for this long covers
/// another node's gap.
pub(super) fn node_gap_cover_secs() -> u64 {
    60
}

/// `venue.request_timeout_ms`.
pub(super) fn venue_request_timeout_ms() -> u64 {
    5_000
}

/// `venue.ping_interval_secs`.
pub(super) fn venue_ping_interval_secs() -> u64 {
    15
}

/// `venue.silence_secs`.
pub(super) fn venue_silence_secs() -> u64 {
    60
}

/// `venue.reconnect_min_ms`.
pub(super) fn venue_reconnect_min_ms() -> u64 {
    250
}

/// `venue.reconnect_max_ms`.
pub(super) fn venue_reconnect_max_ms() -> u64 {
    30_000
}

/// `venue.rotate_after_secs`: 23 h 50 min, ahead of the venue's 24 h limit.
pub(super) fn venue_rotate_after_secs() -> u64 {
    85_800
}

/// `instrument.client_order_id_digits`.
pub(super) fn instrument_client_order_id_digits() -> u8 {
    16
}

/// `strategy.unlabeled_side`.
pub(super) fn strategy_unlabeled_side() -> UnlabeledSide {
    UnlabeledSide::Sell
}

/// `strategy.skip_coinbase`.
pub(super) fn strategy_skip_coinbase() -> bool {
    true
}

/// `strategy.cooldown_ms`.
pub(super) fn strategy_cooldown_ms() -> u64 {
    5_000
}

/// `strategy.gap_holdoff_ms`.
pub(super) fn strategy_gap_holdoff_ms() -> u64 {
    2_000
}

/// `strategy.max_strength`.
pub(super) fn strategy_max_strength() -> u32 {
    8
}

/// `strategy.ladder_orders`: one order per signal.
pub(super) fn strategy_ladder_orders() -> u8 {
    1
}

/// `risk.max_open_orders`.
pub(super) fn risk_max_open_orders() -> u32 {
    4
}

/// `risk.price_collar_bps`: the core's default collar.
pub(super) fn risk_price_collar_bps() -> u32 {
    hotline_core::risk::DEFAULT_COLLAR_BPS
}

/// `risk.orders_per_10s`.
pub(super) fn risk_orders_per_10s() -> u32 {
    20
}

/// `risk.orders_per_day`.
pub(super) fn risk_orders_per_day() -> u32 {
    50_000
}

/// `venue.user_data`.
pub(super) fn venue_user_data() -> bool {
    true
}

/// `host.mlock`.
pub(super) fn host_mlock() -> bool {
    true
}

/// `market.offset_ticks`: two ticks through the touch.
pub(super) fn market_offset_ticks() -> u64 {
    2
}

/// `market.max_age_ms`: a second-old touch is the oldest priced from.
pub(super) fn market_max_age_ms() -> u64 {
    1000
}

/// `venue.reset_on_logon`: Coinbase resets the numbers at every Logon
/// unless told otherwise (docs/protocols/coinbase-fix.md §Session).
pub(super) fn venue_reset_on_logon() -> bool {
    true
}

/// `venue.heartbeat_secs`: Coinbase's default HeartBtInt.
pub(super) fn venue_heartbeat_secs() -> u8 {
    10
}
