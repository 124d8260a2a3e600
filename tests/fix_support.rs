//! Shared by the FIX tests: starts `tools/fix-acceptor` (a QuickFIX C++
//! acceptor playing Coinbase Exchange's FIX 5.0 SP2 order-entry gateway,
//! see `tools/fix-acceptor/README.md`) in a temporary directory, optionally
//! behind stunnel for TLS 1.2 or TLS 1.3, and reads its fill journal. Nothing
//! here uses hotline-core: the acceptor is the independent peer hotline's
//! FIX code is tested against.
//!
//! Readiness is read from the processes themselves (the acceptor prints
//! `LISTENING <port>`, stunnel logs `bound to` and `Accepting new
//! connections`); deadlines only bound failures.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The credentials the acceptor is started with: the public test vector's
/// API key, base64 secret and passphrase.
pub(crate) const KEY: &str = "key123";
pub(crate) const SECRET_B64: &str = "c2VjcmV0";
pub(crate) const PASSPHRASE: &str = "pass";

/// Bound on every wait for a peer process; only reached when it fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// The acceptor's one-level book: a best bid and ask with finite depth.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub(crate) symbol: String,
    pub(crate) bid: String,
    pub(crate) bid_qty: String,
    pub(crate) ask: String,
    pub(crate) ask_qty: String,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            symbol: "BTC-USD".into(),
            bid: "60000".into(),
            bid_qty: "0.5".into(),
            ask: "60010".into(),
            ask_qty: "0.25".into(),
        }
    }
}

/// How sequence numbers start at Logon (the acceptor's `--reset`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Reset {
    /// Every Logon starts both sides at 1 (QuickFIX ResetOnLogon=Y).
    #[default]
    Logon,
    /// Sequence numbers persist in the acceptor's FileStore; 141=Y resets.
    Flag,
    /// As `Flag`, and a Logon carrying 141=Y is refused.
    Never,
}

impl Reset {
    fn arg(self) -> &'static str {
        match self {
            Reset::Logon => "logon",
            Reset::Flag => "flag",
            Reset::Never => "never",
        }
    }
}

/// The TLS version stunnel offers, and nothing else.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TlsVersion {
    /// TLS 1.2 with `ECDHE-RSA-AES128-GCM-SHA256` only, the suite Coinbase
    /// names; the certificate key must be RSA.
    Tls12,
    /// TLS 1.3 with OpenSSL's default suites.
    Tls13,
}

/// stunnel in front of the acceptor.
#[derive(Debug, Clone)]
pub(crate) struct Tls {
    pub(crate) version: TlsVersion,
    /// Leaf first, then intermediates, PEM.
    pub(crate) cert_chain_pem: String,
    pub(crate) key_pem: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub(crate) book: Book,
    pub(crate) reset: Reset,
    pub(crate) tls: Option<Tls>,
    /// Taker fee in basis points of the notional; the acceptor's default when
    /// `None`.
    pub(crate) fee_bps: Option<u32>,
}

/// One journal line: a fill as the acceptor made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fill {
    pub(crate) cl_ord_id: String,
    pub(crate) order_id: String,
    pub(crate) trade_id: String,
    pub(crate) side: String,
    pub(crate) price: String,
    pub(crate) qty: String,
    pub(crate) fee: String,
    pub(crate) fee_currency: String,
}

/// A running acceptor (and stunnel, when asked); both are killed on drop.
#[derive(Debug)]
pub(crate) struct Peer {
    /// The acceptor's plain TCP port.
    pub(crate) addr: SocketAddr,
    /// stunnel's TLS port, when started with `Options::tls`.
    pub(crate) tls_addr: Option<SocketAddr>,
    dir: tempfile::TempDir,
    acceptor: Child,
    stunnel: Option<Child>,
}

/// Builds the acceptor with `tools/fix-acceptor/build.sh`, once per test
/// binary, and returns its path.
pub(crate) fn acceptor_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/fix-acceptor/build.sh");
        let out = Command::new(&script).output().expect("run tools/fix-acceptor/build.sh");
        assert!(
            out.status.success(),
            "tools/fix-acceptor/build.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).expect("build.sh prints a path");
        PathBuf::from(stdout.lines().last().expect("build.sh prints the binary's path"))
    })
}

/// The acceptor's own check of its signer against the public test vector:
/// its `--selftest` output line.
pub(crate) fn selftest() -> String {
    let out = Command::new(acceptor_binary()).arg("--selftest").output().expect("fix-acceptor --selftest");
    assert!(out.status.success(), "selftest failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

/// Forwards each line of a child's output to a channel, and keeps draining
/// after the receiver is gone so the child never blocks on a full pipe.
fn lines<R: Read + Send + 'static>(from: R) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits for the first line for which `want` returns a value.
fn wait_for<T>(rx: &Receiver<String>, what: &str, log: &Path, mut want: impl FnMut(&str) -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(v) = want(&line) {
                    return v;
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!("{what}: no ready line within {DEADLINE:?}"),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{what} exited before it was ready:\n{}", fs::read_to_string(log).unwrap_or_default())
            }
        }
    }
}

impl Peer {
    pub(crate) fn start(options: Options) -> Peer {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = dir.path().join("fills.jsonl");
        let stderr_log = dir.path().join("acceptor.stderr");
        let b = &options.book;
        let mut cmd = Command::new(acceptor_binary());
        cmd.current_dir(dir.path())
            .args(["--key", KEY, "--secret", SECRET_B64, "--passphrase", PASSPHRASE])
            .args(["--symbol", &b.symbol, "--bid", &b.bid, "--bid-qty", &b.bid_qty])
            .args(["--ask", &b.ask, "--ask-qty", &b.ask_qty, "--reset", options.reset.arg()])
            .arg("--journal")
            .arg(&journal)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr_log).expect("acceptor stderr file"));
        if let Some(bps) = options.fee_bps {
            cmd.args(["--fee-bps", &bps.to_string()]);
        }
        let mut acceptor = cmd.spawn().expect("spawn fix-acceptor");
        let stdout: ChildStdout = acceptor.stdout.take().expect("acceptor stdout");
        let rx = lines(stdout);
        let port: u16 =
            wait_for(&rx, "fix-acceptor", &stderr_log, |l| l.strip_prefix("LISTENING ").and_then(|p| p.parse().ok()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));

        let mut peer = Peer { addr, tls_addr: None, dir, acceptor, stunnel: None };
        if let Some(tls) = &options.tls {
            peer.start_stunnel(tls);
        }
        peer
    }

    fn start_stunnel(&mut self, tls: &Tls) {
        let dir = self.dir.path();
        let cert = dir.join("stunnel-chain.pem");
        let key = dir.join("stunnel-key.pem");
        fs::write(&cert, &tls.cert_chain_pem).expect("write chain");
        fs::write(&key, &tls.key_pem).expect("write key");
        let versions = match tls.version {
            TlsVersion::Tls12 => {
                "sslVersionMin = TLSv1.2\nsslVersionMax = TLSv1.2\nciphers = ECDHE-RSA-AES128-GCM-SHA256\n"
            }
            TlsVersion::Tls13 => "sslVersionMin = TLSv1.3\nsslVersionMax = TLSv1.3\n",
        };
        let config = format!(
            "foreground = yes\npid =\ndebug = 6\n\
             socket = l:TCP_NODELAY=1\nsocket = r:TCP_NODELAY=1\n\
             [fix]\naccept = 127.0.0.1:0\nconnect = {}\ncert = {}\nkey = {}\n{versions}",
            self.addr,
            cert.display(),
            key.display()
        );
        let conf = dir.join("stunnel.conf");
        fs::write(&conf, config).expect("write stunnel.conf");
        let mut child = Command::new("stunnel")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn stunnel (apt-get install -y stunnel4)");
        let stderr: ChildStderr = child.stderr.take().expect("stunnel stderr");
        self.stunnel = Some(child);
        let rx = lines(stderr);
        // stunnel logs the port it bound for `accept = 127.0.0.1:0`, then
        // starts accepting.
        let port: u16 = wait_for(&rx, "stunnel", &conf, |l| {
            l.split_once("bound to 127.0.0.1:").and_then(|(_, p)| p.trim().parse().ok())
        });
        wait_for(&rx, "stunnel", &conf, |l| l.contains("Accepting new connections").then_some(()));
        self.tls_addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    }

    /// QuickFIX's event log for the session: what the session layer decided
    /// (rejects, disconnects) and why. Written and flushed before the
    /// session acts on the decision.
    pub(crate) fn event_log(&self) -> String {
        let path = self.dir.path().join(format!("log/FIXT.1.1-Coinbase-{KEY}.event.current.log"));
        fs::read_to_string(path).expect("read the QuickFIX event log")
    }

    /// Every fill the acceptor has made so far, in order. Each line is
    /// flushed before its ExecutionReport is sent.
    pub(crate) fn journal(&self) -> Vec<Fill> {
        let text = fs::read_to_string(self.dir.path().join("fills.jsonl")).expect("read journal");
        text.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("journal line is JSON");
                let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("journal {k} in {line}")).to_owned();
                Fill {
                    cl_ord_id: s("cl_ord_id"),
                    order_id: s("order_id"),
                    trade_id: s("trade_id"),
                    side: s("side"),
                    price: s("price"),
                    qty: s("qty"),
                    fee: s("fee"),
                    fee_currency: s("fee_currency"),
                }
            })
            .collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(s) = &mut self.stunnel {
            let _ = s.kill();
            let _ = s.wait();
        }
        let _ = self.acceptor.kill();
        let _ = self.acceptor.wait();
    }
}
