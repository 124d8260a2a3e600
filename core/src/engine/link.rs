//! The secure transport under the venue session: what the engine needs of
//! a TLS client, implemented by [`crate::tls::Client`]. The engine is
//! generic over it so the TLS future's unnameable type stays with the host
//! that pinned it.

use core::future::Future;
use core::pin::Pin;

use crate::tls::{self, State};

/// A TLS client connection that can start over on a new TCP stream.
pub trait Link {
    /// Feeds ciphertext; returns the bytes taken.
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error>;
    /// The TCP stream ended.
    fn handle_eof(&mut self) -> Result<(), tls::Error>;
    /// Ciphertext to send, into `buf`; 0 when there is none.
    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize;
    /// Queues plaintext to seal; returns how much was taken.
    fn send(&mut self, data: &[u8]) -> Result<usize, tls::Error>;
    /// Received plaintext, into `buf`.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, tls::Error>;
    /// Sends close_notify after the queued plaintext.
    fn close(&mut self) -> Result<(), tls::Error>;
    /// Where the connection stands.
    fn state(&self) -> State;
    /// Starts a new connection with fresh entropy.
    fn reconnect(&mut self, seed: [u8; 32]);
}

impl<F: Future<Output = Result<(), tls::Error>>> Link for Pin<&mut tls::Client<'_, F>> {
    fn handle_input(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        self.as_mut().handle_input(data)
    }

    fn handle_eof(&mut self) -> Result<(), tls::Error> {
        self.as_mut().handle_eof()
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> usize {
        self.as_mut().poll_transmit(buf)
    }

    fn send(&mut self, data: &[u8]) -> Result<usize, tls::Error> {
        self.as_mut().send(data)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, tls::Error> {
        self.as_mut().recv(buf)
    }

    fn close(&mut self) -> Result<(), tls::Error> {
        self.as_mut().close()
    }

    fn state(&self) -> State {
        self.as_ref().get_ref().state()
    }

    fn reconnect(&mut self, seed: [u8; 32]) {
        self.as_mut().reconnect(seed);
    }
}
