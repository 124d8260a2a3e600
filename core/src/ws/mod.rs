//! RFC 6455 WebSocket, client side, sans-IO.
