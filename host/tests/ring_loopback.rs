//! The io_uring transport against a plain std TCP echo peer on loopback:
//! messages of 1 B to 38 KiB go out through registered send buffers and come
//! back through registered receive buffers, with and without SQPOLL, with
//! dry runs of a send (`Ring::warm`: a NOP through the queues) between.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::thread::{self, JoinHandle};

use hotline::net::ring::{Completion, Ring, RingConfig};
use hotline::net::socket::{SocketOptions, connect};

fn echo_peer() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 65536];
        loop {
            match stream.read(&mut buf).unwrap() {
                0 => return,
                n => stream.write_all(&buf[..n]).unwrap(),
            }
        }
    });
    (addr, peer)
}

fn round_trips(config: RingConfig) {
    let (addr, peer) = echo_peer();
    let options = SocketOptions { recv_buffer: Some(1 << 20), send_buffer: Some(1 << 20), ..SocketOptions::default() };
    let socket = connect(addr, &options).unwrap();
    let mut ring = Ring::new(&config, &[socket.as_fd()]).unwrap();
    assert_eq!(ring.sqpoll(), config.sqpoll_idle_ms.is_some());
    let message: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    for round in 0..20 {
        let len = 1 + round * 1999;
        ring.warm(0);
        ring.send_buffer(0).expect("no send in flight")[..len].copy_from_slice(&message[..len]);
        ring.send(0, len).unwrap();
        assert!(ring.send_buffer(0).is_none(), "the buffer is the kernel's until the send completes");
        // A dry run while the send is in flight leaves its bytes alone, and
        // its NOP never surfaces as a completion.
        ring.warm(0);
        ring.recv(0).unwrap();
        let mut echoed = Vec::new();
        let mut sent = false;
        while !(sent && echoed.len() == len) {
            ring.submit(1).unwrap();
            ring.warm(0);
            while let Some(completion) = ring.poll().unwrap() {
                match completion {
                    Completion::Sent { conn: 0, len: n } => {
                        assert_eq!(n, len);
                        sent = true;
                    }
                    Completion::Received { conn: 0, len: n } => {
                        assert!(n > 0, "the echo peer closed early");
                        echoed.extend_from_slice(ring.received(0, n));
                        if echoed.len() < len {
                            ring.recv(0).unwrap();
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(echoed, &message[..len], "round {round}");
    }
    drop(ring);
    drop(socket);
    peer.join().unwrap();
}

#[test]
fn echo_through_registered_buffers() {
    round_trips(RingConfig::default());
}

#[test]
fn echo_with_kernel_submission_polling() {
    round_trips(RingConfig { sqpoll_idle_ms: Some(50), ..RingConfig::default() });
}

#[test]
fn echo_with_single_shot_reads() {
    round_trips(RingConfig { multishot: false, ..RingConfig::default() });
}

/// One multishot receive, armed once, delivers every later arrival, more
/// of them than it has buffers (each is given back at the next poll).
#[test]
fn one_multishot_receive_delivers_many_arrivals() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = connect(addr, &SocketOptions::default()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let mut ring = Ring::new(&RingConfig { buffer_size: 4096, ..RingConfig::default() }, &[socket.as_fd()]).unwrap();
    assert!(ring.multishot(), "this kernel has buffer rings (6.0+)");
    ring.recv(0).unwrap();
    let mut got = Vec::new();
    for i in 0..40u8 {
        peer.write_all(&[i; 100]).unwrap();
        while got.len() < usize::from(i + 1) * 100 {
            ring.submit(1).unwrap();
            ring.warm(0);
            while let Some(completion) = ring.poll().unwrap() {
                match completion {
                    Completion::Received { conn: 0, len } if len > 0 => got.extend_from_slice(ring.received(0, len)),
                    other => panic!("unexpected {other:?}"),
                }
                // Never re-armed: a single-shot read would deliver once.
            }
        }
    }
    let want: Vec<u8> = (0..40u8).flat_map(|i| [i; 100]).collect();
    assert_eq!(got, want);
}
