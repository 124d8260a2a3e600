//! Addresses turn into connected, tuned TCP sockets for the two connections
//! (the node's ZMQ endpoint and the venue), set up once at start-up with `nix`:
//! name resolution, connect, `TCP_NODELAY`, optional `SO_BUSY_POLL` and buffer
//! sizes.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{setsockopt, sockopt};

/// `SO_BUSY_POLL`, which nix does not wrap: microseconds to busy-poll the
/// device queue on a blocking receive (raising it above the sysctl needs
/// CAP_NET_ADMIN).
fn set_busy_poll(fd: &OwnedFd, us: u32) -> io::Result<()> {
    let value = libc::c_int::try_from(us).map_err(|_| io::Error::other("SO_BUSY_POLL: value too large"))?;
    // SAFETY: `fd` is an open socket; the option value is a live c_int and
    // its exact size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BUSY_POLL,
            (&raw const value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::other(format!("SO_BUSY_POLL: {}", io::Error::last_os_error()))) }
}

/// Socket options, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    /// Disable Nagle's algorithm: an order must leave at once.
    pub nodelay: bool,
    /// `SO_BUSY_POLL` in microseconds, if any.
    pub busy_poll_us: Option<u32>,
    /// `SO_RCVBUF` in bytes, if set.
    pub recv_buffer: Option<usize>,
    /// `SO_SNDBUF` in bytes, if set.
    pub send_buffer: Option<usize>,
}

impl Default for SocketOptions {
    fn default() -> Self {
        Self { nodelay: true, busy_poll_us: None, recv_buffer: None, send_buffer: None }
    }
}

/// Resolves `host:port` once, at start-up; the hot path never resolves.
pub fn resolve(endpoint: &str) -> io::Result<SocketAddr> {
    endpoint
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{endpoint}: no address")))
}

/// Connects to `addr` and applies `options`, naming the option that failed.
pub fn connect(addr: SocketAddr, options: &SocketOptions) -> io::Result<OwnedFd> {
    let stream = TcpStream::connect(addr)?;
    let fd = OwnedFd::from(stream);
    let named = |name: &'static str| move |e: nix::Error| io::Error::other(format!("{name}: {e}"));
    setsockopt(&fd, sockopt::TcpNoDelay, &options.nodelay).map_err(named("TCP_NODELAY"))?;
    if let Some(us) = options.busy_poll_us {
        set_busy_poll(&fd, us)?;
    }
    if let Some(bytes) = options.recv_buffer {
        setsockopt(&fd, sockopt::RcvBuf, &bytes).map_err(named("SO_RCVBUF"))?;
    }
    if let Some(bytes) = options.send_buffer {
        setsockopt(&fd, sockopt::SndBuf, &bytes).map_err(named("SO_SNDBUF"))?;
    }
    Ok(fd)
}
