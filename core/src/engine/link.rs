//! The secure transport under the venue session: what the engine needs of
//! a TLS client, implemented by [`crate::tls::Client`] over the host's
//! handshake. The engine is generic over it so deterministic tests can put
//! a plaintext link in its place.

use crate::tls::{self, Client, Handshake, State};

/// A TLS client connection that can start over on a new TCP stream.
pub trait Link {
    /// Feeds ciphertext; returns the bytes taken.
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error>;
    /// The TCP stream ended.
    fn handle_eof(&mut self) -> Result<(), tls::Error>;
    /// Ciphertext to send, into `buf`; 0 when there is none.
    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize;
    /// Seals plaintext; returns how much was taken.
    fn send(&mut self, data: &[u8]) -> Result<usize, tls::Error>;
    /// Plaintext room in the next record, to be written in place and
    /// sealed by [`seal_room`](Self::seal_room); empty when there is none.
    fn room(&mut self) -> &mut [u8];
    /// Seals the first `len` bytes of [`room`](Self::room).
    fn seal_room(&mut self, len: usize) -> Result<(), tls::Error>;
    /// Readies the next record for `len` bytes of plaintext ahead of time
    /// (pre-sealing), when the link can.
    fn prepare(&mut self, len: usize);
    /// [`room`](Self::room) for a dry run: empty as well when anything
    /// would have to be sealed first.
    fn dry_room(&mut self) -> &mut [u8];
    /// Runs the seal of the first `len` bytes of [`dry_room`](Self::dry_room)
    /// without queueing anything: nothing it does reaches the wire or
    /// moves a sequence number.
    fn dry_run(&mut self, len: usize) -> Result<(), tls::Error>;
    /// Received plaintext, into `buf`.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, tls::Error>;
    /// Sends close_notify after the queued plaintext.
    fn close(&mut self) -> Result<(), tls::Error>;
    /// Where the connection stands.
    fn state(&self) -> State;
    /// Starts a new connection.
    fn reconnect(&mut self);
}

impl<H: Handshake> Link for Client<'_, H> {
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        Client::handle_input(self, data)
    }

    fn handle_eof(&mut self) -> Result<(), tls::Error> {
        Client::handle_eof(self)
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        Client::poll_transmit(self, buf)
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        Client::send(self, data)
    }

    fn room(&mut self) -> &mut [u8] {
        Client::room(self)
    }

    fn seal_room(&mut self, len: usize) -> Result<(), tls::Error> {
        Client::seal_room(self, len)
    }

    fn prepare(&mut self, len: usize) {
        Client::prepare(self, len);
    }

    fn dry_room(&mut self) -> &mut [u8] {
        Client::dry_room(self)
    }

    fn dry_run(&mut self, len: usize) -> Result<(), tls::Error> {
        Client::dry_run(self, len)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, tls::Error> {
        Client::recv(self, buf)
    }

    fn close(&mut self) -> Result<(), tls::Error> {
        Client::close(self)
    }

    fn state(&self) -> State {
        Client::state(self)
    }

    fn reconnect(&mut self) {
        Client::reconnect(self);
    }
}
