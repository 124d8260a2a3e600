//! Orders as pre-rendered request templates (Binance Spot WebSocket API,
//! EXCHANGES.md §1.2–§1.6): each request is rendered once at start-up from
//! the instrument's rules into exact JSON bytes plus its sorted signature
//! payload, and per order only the fixed-width slots (request id, client
//! order id, price, quantity, timestamp) are rewritten and the payload
//! signed into the `signature` slot.

mod binance;
pub(crate) mod digits;
mod prearm;
mod template;

pub use binance::{
    Decimal, Instrument, OrderType, PlaceOrder, REQUEST_ID_WIDTH, RespType, Session, Side, TimeInForce, TimeUnit,
};
pub use digits::Overflow;
pub use prearm::{ArmError, FireError, PreArmed};
pub use template::{Auth, BuildError, PAYLOAD_CAP, PatchError, REQUEST_CAP, Slot, Template};
