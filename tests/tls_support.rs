//! Shared by the TLS tests: certificate chains made at test time with
//! rcgen, a rustls echo server over std sockets, an `openssl s_server`
//! process, and a blocking client that drives `hotline_core::tls` through
//! the host's own pump (`probe::pump` over io_uring, panics contained).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use hotline_core::tls::{State, Storage};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use hotline::net::ring::{RingConfig, RingStream};
use hotline::probe;
use hotline::tls::{Client, HostVerifier, Report, Rustls, Versions};

/// Key algorithm of a generated chain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Alg {
    P256,
    P384,
    Rsa2048,
    Rsa4096,
}

/// What to get wrong in a generated chain.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flaws {
    pub(crate) expired: bool,
    pub(crate) not_yet_valid: bool,
    pub(crate) intermediate_not_ca: bool,
}

/// Root, intermediate and leaf (for `localhost`), DER and PEM.
pub(crate) struct Chain {
    pub(crate) root: CertificateDer<'static>,
    pub(crate) root_pem: String,
    pub(crate) intermediate_pem: String,
    pub(crate) leaf_pem: String,
    pub(crate) intermediate: CertificateDer<'static>,
    pub(crate) leaf: CertificateDer<'static>,
    pub(crate) leaf_key: PrivatePkcs8KeyDer<'static>,
    pub(crate) leaf_key_pem: String,
}

fn key(alg: Alg) -> KeyPair {
    match alg {
        Alg::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key"),
        Alg::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("P-384 key"),
        Alg::Rsa2048 | Alg::Rsa4096 => {
            // ring cannot generate RSA keys; openssl can.
            let bits = if matches!(alg, Alg::Rsa2048) { "rsa_keygen_bits:2048" } else { "rsa_keygen_bits:4096" };
            let out = Command::new("openssl")
                .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", bits])
                .output()
                .expect("openssl genpkey");
            let pem = String::from_utf8(out.stdout).expect("PEM");
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).expect("RSA key")
        }
    }
}

fn named(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "hotline test");
    p.distinguished_name = dn;
    p
}

/// Generates a three-certificate chain for `localhost` with `flaws`.
pub(crate) fn chain(alg: Alg, flaws: Flaws) -> Chain {
    // Distinct root names, so that a chain under another root is "unknown
    // issuer" rather than a signature failure under a namesake.
    static ROOTS: AtomicUsize = AtomicUsize::new(0);
    let root_key = key(alg);
    let mut root = named(&format!("hotline test root {}", ROOTS.fetch_add(1, Ordering::Relaxed)));
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root_cert = root.self_signed(&root_key).expect("root");
    let root_issuer = Issuer::new(root, root_key);

    let inter_key = key(alg);
    let mut inter = named("hotline test intermediate");
    inter.is_ca =
        if flaws.intermediate_not_ca { IsCa::ExplicitNoCa } else { IsCa::Ca(BasicConstraints::Constrained(0)) };
    inter.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let inter_cert = inter.signed_by(&inter_key, &root_issuer).expect("intermediate");
    let inter_issuer = Issuer::new(inter, inter_key);

    let leaf_key = key(alg);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
    leaf.distinguished_name = named("localhost").distinguished_name;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let now = time::OffsetDateTime::now_utc();
    if flaws.expired {
        leaf.not_before = now - time::Duration::days(30);
        leaf.not_after = now - time::Duration::days(1);
    } else if flaws.not_yet_valid {
        leaf.not_before = now + time::Duration::days(1);
        leaf.not_after = now + time::Duration::days(30);
    }
    let leaf_cert = leaf.signed_by(&leaf_key, &inter_issuer).expect("leaf");

    Chain {
        root: root_cert.der().clone(),
        root_pem: root_cert.pem(),
        intermediate: inter_cert.der().clone(),
        leaf: leaf_cert.der().clone(),
        leaf_key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        leaf_key_pem: leaf_key.serialize_pem(),
        intermediate_pem: inter_cert.pem(),
        leaf_pem: leaf_cert.pem(),
    }
}

/// SHA-256 of the DER SubjectPublicKeyInfo of `cert`.
pub(crate) fn spki_pin(cert: &[u8]) -> [u8; 32] {
    hotline::tls::describe(cert).spki_sha256
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_secs()
}

/// How a rustls test server behaves.
#[derive(Clone)]
pub(crate) struct RustlsServer {
    pub(crate) provider: rustls::crypto::CryptoProvider,
    pub(crate) versions: Vec<&'static rustls::SupportedProtocolVersion>,
    /// Write TLS bytes in TCP segments of at most this many bytes.
    pub(crate) segment: Option<usize>,
    /// After echoing the first message, end the connection this way.
    pub(crate) end_after_first: Option<Ending>,
    /// After every this many echoed reads, send KeyUpdate with
    /// update_requested (RFC 8446 §4.6.3).
    pub(crate) key_update_every: Option<usize>,
    /// NewSessionTickets sent after the handshake.
    pub(crate) tickets: usize,
}

/// How a test server ends a connection on its own.
#[derive(Clone, Copy)]
pub(crate) enum Ending {
    /// close_notify, then TCP FIN.
    CloseNotify,
    /// TCP FIN with no close_notify.
    Truncate,
}

impl RustlsServer {
    /// TLS 1.2 only, with ring's suites (the ECDHE AES-GCM ones hotline
    /// offers among them).
    pub(crate) fn tls12() -> Self {
        Self { versions: vec![&rustls::version::TLS12], tickets: 0, ..Self::tls13() }
    }

    /// TLS 1.3 with ring's defaults.
    pub(crate) fn tls13() -> Self {
        Self {
            provider: rustls::crypto::ring::default_provider(),
            versions: vec![&rustls::version::TLS13],
            segment: None,
            end_after_first: None,
            key_update_every: None,
            tickets: 2,
        }
    }

    /// The rustls server configuration serving `chain`.
    pub(crate) fn config(&self, chain: &Chain) -> rustls::ServerConfig {
        let certs = vec![chain.leaf.clone(), chain.intermediate.clone()];
        let key = PrivateKeyDer::Pkcs8(chain.leaf_key.clone_key());
        rustls::ServerConfig::builder_with_provider(Arc::new(self.provider.clone()))
            .with_protocol_versions(&self.versions)
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config")
    }

    /// Serves one connection: echoes every byte until the client closes.
    pub(crate) fn spawn(self, chain: &Chain) -> (SocketAddr, JoinHandle<Result<(), String>>) {
        let mut config = self.config(chain);
        config.send_tls13_tickets = self.tickets;
        let key_update_every = self.key_update_every;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let segment = self.segment;
        let ending = self.end_after_first;
        let handle = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
            tcp.set_nodelay(true).map_err(|e| e.to_string())?;
            tcp.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
            let mut sock = Segmenting { tcp, segment };
            let mut conn = rustls::ServerConnection::new(Arc::new(config)).map_err(|e| e.to_string())?;
            let mut tls = rustls::Stream::new(&mut conn, &mut sock);
            let mut buf = vec![0u8; 32 * 1024];
            let mut reads = 0;
            loop {
                // `Ok(0)` only after the client's close_notify; a bare EOF
                // is an error, so a passing echo proves the client sent it.
                match tls.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => tls.write_all(&buf[..n]).map_err(|e| e.to_string())?,
                    Err(e) => return Err(e.to_string()),
                }
                reads += 1;
                if key_update_every.is_some_and(|k| reads % k == 0) {
                    tls.conn.refresh_traffic_keys().map_err(|e| e.to_string())?;
                    tls.flush().map_err(|e| e.to_string())?;
                }
                match ending {
                    Some(Ending::CloseNotify) => {
                        tls.conn.send_close_notify();
                        tls.flush().map_err(|e| e.to_string())?;
                        return Ok(());
                    }
                    Some(Ending::Truncate) => {
                        // FIN without close_notify, then wait for the client
                        // to hang up so that it reads the FIN, not a reset.
                        sock.tcp.shutdown(std::net::Shutdown::Write).map_err(|e| e.to_string())?;
                        while sock.tcp.read(&mut buf).is_ok_and(|n| n > 0) {}
                        return Ok(());
                    }
                    None => {}
                }
            }
        });
        (addr, handle)
    }
}

/// A TCP stream that writes at most `segment` bytes per `write` call.
struct Segmenting {
    tcp: TcpStream,
    segment: Option<usize>,
}

impl Read for Segmenting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl Write for Segmenting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.segment {
            Some(k) => {
                let n = self.tcp.write(&buf[..buf.len().min(k)])?;
                std::thread::sleep(Duration::from_micros(50));
                Ok(n)
            }
            None => self.tcp.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

/// An `openssl s_server -rev` process (a line echo that reverses each
/// line), killed on drop.
pub(crate) struct OpensslServer {
    child: Child,
    pub(crate) addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// `openssl s_server` serving `chain` (its PEMs written into `dir`) on a
/// free loopback port, TLS 1.3: the command, for the caller's mode and
/// stdio, and the address.
fn s_server(dir: &Path, chain: &Chain) -> (Command, SocketAddr) {
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write PEM");
        p
    };
    let cert = write("leaf.pem", &chain.leaf_pem);
    let intermediate = write("intermediate.pem", &chain.intermediate_pem);
    let key = write("key.pem", &chain.leaf_key_pem);
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut command = Command::new("openssl");
    command.arg("s_server").args(["-accept", &addr.to_string()]);
    command.arg("-cert").arg(path_str(&cert));
    command.arg("-cert_chain").arg(path_str(&intermediate));
    command.arg("-key").arg(path_str(&key));
    (command, addr)
}

impl OpensslServer {
    /// Starts a server for `chain` with extra s_server arguments.
    pub(crate) fn start(chain: &Chain, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut command, addr) = s_server(dir.path(), chain);
        let child = command
            .args(["-rev", "-quiet"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, addr, _dir: dir }
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects with `verifier` in `storage` (preferring AES-256-GCM when
/// `aes256`), sends each payload and checks that `expect(payload)` comes
/// back; closes with close_notify. Returns what the handshake found
/// (suite, group, tickets, KeyUpdates).
pub(crate) fn echo(
    storage: &mut Storage,
    addr: SocketAddr,
    server_name: &str,
    verifier: HostVerifier,
    aes256: bool,
    payloads: &[Vec<u8>],
    expect: impl Fn(&[u8]) -> Vec<u8>,
) -> Result<Report, String> {
    echo_offering(storage, addr, server_name, verifier, (aes256, Versions::Tls13), payloads, expect)
}

/// [`echo`], offering `versions`.
pub(crate) fn echo_offering(
    storage: &mut Storage,
    addr: SocketAddr,
    server_name: &str,
    verifier: HostVerifier,
    (aes256, versions): (bool, Versions),
    payloads: &[Vec<u8>],
    expect: impl Fn(&[u8]) -> Vec<u8>,
) -> Result<Report, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut stream = RingStream::new(stream.into(), &RingConfig::default()).map_err(|e| e.to_string())?;
    let mut engine = Client::new(storage, Rustls::with_versions(server_name, verifier, aes256, versions)?);
    engine.reconnect();
    let mut plain = Vec::new();
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| e.state() == State::Established)?;
    for payload in payloads {
        let want = expect(payload);
        plain.clear();
        let mut rest = payload.as_slice();
        while !rest.is_empty() {
            let n = engine.send(rest).map_err(|e| format!("send: {e}"))?;
            rest = &rest[n..];
            probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, _| true)?;
        }
        probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, p| p.len() >= want.len())?;
        if plain != want {
            return Err(format!("echo of {} bytes came back as {} different bytes", payload.len(), plain.len()));
        }
    }
    engine.close().map_err(|e| e.to_string())?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| !e.wants_write())?;
    Ok(engine.handshake().report().clone())
}

/// Payload sizes from 1 byte to one full 16 KiB record, and one that
/// takes three records.
pub(crate) fn sizes() -> Vec<Vec<u8>> {
    [1usize, 2, 100, 400, 1400, 4096, 16_383, 16_384, 40_000]
        .iter()
        .map(|&n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
        .collect()
}

/// Connects and reads until the connection fails, the server goes quiet
/// for the deadline, or it ends. Returns the failure and every plaintext
/// byte that was delivered.
pub(crate) fn read_until_failure(storage: &mut Storage, addr: SocketAddr, verifier: HostVerifier) -> (String, Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut plain = Vec::new();
    let Ok(mut stream) = TcpStream::connect(addr).and_then(|s| RingStream::new(s.into(), &RingConfig::default()))
    else {
        return ("connect failed".to_owned(), plain);
    };
    let handshake = match Rustls::new("localhost", verifier, false) {
        Ok(h) => h,
        Err(e) => return (e, plain),
    };
    let mut engine = Client::new(storage, handshake);
    engine.reconnect();
    let err = probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, _| false)
        .expect_err("a hostile server cannot make the pump succeed");
    (err, plain)
}

/// What the record layer allocated over an echo after the handshake.
#[derive(Debug)]
pub(crate) struct Allocations {
    pub(crate) records: u64,
    pub(crate) allocations: u64,
    pub(crate) key_updates: u32,
}

/// Echoes 100 orders of 400 bytes through `server`, offering `versions`,
/// and counts the allocations of this thread from the end of the
/// handshake on (the test binary installs
/// `hotline::alloc_count::CountingAlloc`). The loop itself allocates
/// nothing: fixed buffers, blocking std sockets.
pub(crate) fn record_allocations(server: RustlsServer, c: &Chain, versions: Versions) -> Result<Allocations, String> {
    const ORDERS: u64 = 100;
    let (addr, handle) = server.spawn(c);
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&c.root)), Vec::new())?;
    let mut storage = Box::new(Storage::new());
    let mut engine = Client::new(&mut storage, Rustls::with_versions("localhost", verifier, false, versions)?);
    engine.reconnect();
    let mut wire = vec![0u8; 64 * 1024];
    let mut plain = vec![0u8; 16 * 1024];
    let flush = |engine: &mut Client<'_>, tcp: &mut TcpStream, wire: &mut [u8]| -> Result<(), String> {
        loop {
            let n = engine.poll_transmit(wire);
            if n == 0 {
                return Ok(());
            }
            tcp.write_all(&wire[..n]).map_err(|e| e.to_string())?;
        }
    };
    let mut feed = |engine: &mut Client<'_>, tcp: &mut TcpStream, wire: &mut [u8]| -> Result<usize, String> {
        let n = tcp.read(wire).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("server hung up".to_owned());
        }
        let mut rest = &wire[..n];
        let mut got = 0;
        while !rest.is_empty() {
            let used = engine.handle_input(rest).map_err(|e| e.to_string())?;
            rest = &rest[used..];
            loop {
                let m = engine.recv(&mut plain).map_err(|e| e.to_string())?;
                if m == 0 {
                    break;
                }
                got += m;
            }
        }
        Ok(got)
    };
    while engine.state() != State::Established {
        flush(&mut engine, &mut tcp, &mut wire)?;
        feed(&mut engine, &mut tcp, &mut wire)?;
    }
    flush(&mut engine, &mut tcp, &mut wire)?;
    let order = [b'o'; 400];
    let before = hotline::alloc_count::allocations();
    for _ in 0..ORDERS {
        let sent = engine.send(&order).map_err(|e| e.to_string())?;
        if sent != order.len() {
            return Err("the order did not fit one record".to_owned());
        }
        flush(&mut engine, &mut tcp, &mut wire)?;
        let mut echoed = 0;
        while echoed < order.len() {
            echoed += feed(&mut engine, &mut tcp, &mut wire)?;
            flush(&mut engine, &mut tcp, &mut wire)?;
        }
    }
    let allocations = hotline::alloc_count::allocations() - before;
    engine.close().map_err(|e| e.to_string())?;
    flush(&mut engine, &mut tcp, &mut wire)?;
    let key_updates = engine.handshake().report().key_updates_received;
    drop(tcp);
    handle.join().map_err(|_| "server thread panicked".to_owned())??;
    Ok(Allocations { records: 2 * ORDERS, allocations, key_updates })
}

/// `openssl s_server` in its default mode, for one connection: what is
/// typed into its stdin is sent (a line that is a command, such as `k` or
/// `R`, is obeyed instead), and what it prints arrives line by line. It is
/// killed on drop. s_server takes a line as a command only when one read of
/// its stdin returns the whole line (it tests `buf[1] == '\n'`), so each
/// line goes into the pipe with one write: `writeln!` writes the text and
/// its newline separately, and a server woken between the two sends the
/// command to the client as data.
struct Typed {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    addr: SocketAddr,
    /// Bound on every wait of the connection; only a failure meets it.
    deadline: Instant,
}

impl Typed {
    /// Starts s_server for `c` in `dir` with `args` and waits until it
    /// accepts.
    fn start(dir: &Path, c: &Chain, args: &[&str]) -> Result<Self, String> {
        use std::io::BufRead as _;
        let (mut command, addr) = s_server(dir, c);
        let mut child = command
            .args(args)
            .args(["-naccept", "1", "-ign_eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        if let Some(stdout) = stdout {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        let stdin = stdin.ok_or("s_server's stdin")?;
        let server = Self { child, stdin, lines, addr, deadline };
        server.wait_for("ACCEPT")?;
        Ok(server)
    }

    /// Waits for a printed line holding `what`: false when s_server ended
    /// first.
    fn wait_for(&self, what: &str) -> Result<bool, String> {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return Ok(true),
                Ok(_) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(false),
                Err(_) => return Err(format!("openssl s_server never printed {what:?}")),
            }
        }
    }

    /// Types `text` and a newline, in one write.
    fn type_line(&mut self, text: &str) -> Result<(), String> {
        self.stdin.write_all(format!("{text}\n").as_bytes()).map_err(|e| e.to_string())
    }
}

impl Drop for Typed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Echoes lines through `openssl s_server` (its default mode: what the
/// client sends is printed, what is typed is sent) while it is told `k`
/// (KeyUpdate, update_not_requested) and `K` (update_requested) between
/// them; checks the server read our line after its `K`, which needs our
/// own KeyUpdate first. Returns the handshake's report.
pub(crate) fn openssl_key_updates(c: &Chain) -> Result<Report, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut server = Typed::start(dir.path(), c, &["-tls1_3"])?;
    let addr = server.addr;
    let deadline = server.deadline;
    let wait_for = |server: &Typed, what: &str| -> Result<(), String> {
        if server.wait_for(what)? { Ok(()) } else { Err(format!("openssl s_server ended before printing {what:?}")) }
    };
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let mut stream = RingStream::new(stream.into(), &RingConfig::default()).map_err(|e| e.to_string())?;
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&c.root)), Vec::new())?;
    let mut storage = Box::new(Storage::new());
    let mut engine = Client::new(&mut storage, Rustls::new("localhost", verifier, false)?);
    engine.reconnect();
    let mut plain = Vec::new();
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| e.state() == State::Established)?;
    // s_server takes a command only once its side of the handshake is
    // done: a line it prints proves that.
    engine.send(b"hello\n").map_err(|e| e.to_string())?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| !e.wants_write())?;
    wait_for(&server, "hello")?;
    // Each command waits for its KeyUpdate, and each line for its
    // echo, so no read of s_server's stdin ever holds two lines.
    for (updates, (command, line)) in [("k", "one"), ("K", "two")].into_iter().enumerate() {
        server.type_line(command)?;
        probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| {
            e.handshake().report().key_updates_received as usize > updates
        })
        .map_err(|e| format!("waiting for the KeyUpdate of {command:?}: {e}"))?;
        server.type_line(line)?;
        let want = format!("{line}\n");
        probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, p| p.ends_with(want.as_bytes()))
            .map_err(|e| format!("waiting for {line:?}: {e}"))?;
    }
    engine.send(b"three\n").map_err(|e| e.to_string())?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| !e.wants_write())?;
    wait_for(&server, "three")?;
    engine.close().map_err(|e| e.to_string())?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| !e.wants_write())?;
    Ok(engine.handshake().report().clone())
}

/// Connects to `openssl s_server -tls1_2` (its default mode: what the
/// client sends is printed, what is typed is sent) offering TLS 1.2, has
/// it send a HelloRequest (`R`) and waits until the client has read it,
/// then has it send a line; the client then sends a line, which goes after
/// its no_renegotiation.
/// Returns how the connection ended, the report, and whether the server
/// printed the client's line.
pub(crate) fn openssl_hello_request(c: &Chain, cipher: &str) -> Result<(String, Report, bool), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut server = Typed::start(dir.path(), c, &["-tls1_2", "-cipher", cipher])?;
    let addr = server.addr;
    let deadline = server.deadline;
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let mut stream = RingStream::new(stream.into(), &RingConfig::default()).map_err(|e| e.to_string())?;
    let verifier = HostVerifier::new(Some(std::slice::from_ref(&c.root)), Vec::new())?;
    let mut storage = Box::new(Storage::new());
    let handshake = Rustls::with_versions("localhost", verifier, false, Versions::Tls12AndTls13)?;
    let mut engine = Client::new(&mut storage, handshake);
    engine.reconnect();
    let mut plain = Vec::new();
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| e.state() == State::Established)?;
    engine.send(b"hello\n").map_err(|e| e.to_string())?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |e, _| !e.wants_write())?;
    server.wait_for("hello")?;
    server.type_line("R")?;
    // s_server's own report of the HelloRequest goes to a buffered
    // stdout; the client's owed answer is the sign instead: a dry run
    // has no room while it is owed. One read at a time until then.
    while !engine.dry_room().is_empty() {
        let mut read = false;
        probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, _| std::mem::replace(&mut read, true))
            .map_err(|e| format!("waiting for the HelloRequest: {e}"))?;
    }
    // Still open: a line typed now comes back as data.
    server.type_line("ping")?;
    probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, p| p.ends_with(b"ping\n"))?;
    engine.send(b"after\n").map_err(|e| e.to_string())?;
    let ended = probe::pump(&mut engine, &mut stream, &mut plain, deadline, |_, _| false)
        .expect_err("the pump only ends on a failure");
    let printed = server.wait_for("after")?;
    Ok((ended, engine.handshake().report().clone(), printed))
}
