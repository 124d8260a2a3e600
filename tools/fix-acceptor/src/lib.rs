//! Starts `tools/fix-acceptor` (a QuickFIX C++ acceptor playing Coinbase
//! Exchange's FIX 5.0 SP2 order-entry gateway, see `README.md` beside this
//! crate) in a temporary directory, optionally behind stunnel for TLS 1.2
//! or TLS 1.3 and beside a Coinbase-shaped WebSocket feed publishing its
//! book's touch as `ticker` messages (`ticker.rs`), and reads its fill
//! journal: for the FIX tests and for `hotline demo --venue coinbase`.
//! Nothing here uses hotline-core: the acceptor and its feed are the
//! independent peers hotline's FIX and market-data code are tested
//! against.
//! Every failure is an error naming what failed (a missing package, a
//! process that exited before it was ready).
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

mod ticker;

/// The credentials the acceptor is started with: the public test vector's
/// API key, base64 secret and passphrase.
pub const KEY: &str = "key123";
pub const SECRET_B64: &str = "c2VjcmV0";
pub const PASSPHRASE: &str = "pass";

/// Bound on every wait for a peer process; only reached when it fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// The acceptor's one-level book: a best bid and ask with finite depth.
#[derive(Debug, Clone)]
pub struct Book {
    pub symbol: String,
    pub bid: String,
    pub bid_qty: String,
    pub ask: String,
    pub ask_qty: String,
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
pub enum Reset {
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
pub enum TlsVersion {
    /// TLS 1.2 with `ECDHE-RSA-AES128-GCM-SHA256` only, the suite Coinbase
    /// names; the certificate key must be RSA.
    Tls12,
    /// TLS 1.3 with OpenSSL's default suites.
    Tls13,
}

/// stunnel in front of the acceptor.
#[derive(Debug, Clone)]
pub struct Tls {
    pub version: TlsVersion,
    /// Leaf first, then intermediates, PEM.
    pub cert_chain_pem: String,
    pub key_pem: String,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub book: Book,
    pub reset: Reset,
    pub tls: Option<Tls>,
    /// Taker fee in basis points of the notional; the acceptor's default when
    /// `None`.
    pub fee_bps: Option<u32>,
    /// The connection drops as this (1-based) NewOrderSingle arrives: the
    /// order is still handled, and its reports are stored for a resend
    /// instead of sent.
    pub drop_at_order: Option<u32>,
    /// Also publish the book's touch as Coinbase Exchange's WebSocket feed
    /// does (`ticker` messages after a `subscribe`), over TLS 1.3 with
    /// `tls`'s certificate and key (needs `tls`).
    pub ticker: bool,
}

/// One journal line: a fill as the acceptor made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub cl_ord_id: String,
    pub order_id: String,
    pub trade_id: String,
    pub side: String,
    pub price: String,
    pub qty: String,
    pub fee: String,
    pub fee_currency: String,
}

/// A running acceptor (and stunnel, when asked); both are killed on drop.
#[derive(Debug)]
pub struct Peer {
    /// The acceptor's plain TCP port.
    pub addr: SocketAddr,
    /// stunnel's TLS port, when started with `Options::tls`.
    pub tls_addr: Option<SocketAddr>,
    /// The ticker feed's TLS port (`wss://localhost:PORT/`), when started
    /// with `Options::ticker`.
    pub ticker_addr: Option<SocketAddr>,
    dir: tempfile::TempDir,
    acceptor: Child,
    stunnel: Option<Child>,
    ticker: Option<ticker::Feed>,
}

/// Builds the acceptor with `tools/fix-acceptor/build.sh`, once per test
/// process, and returns its path.
pub fn acceptor_binary() -> Result<&'static Path, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(build).as_deref().map_err(Clone::clone)
}

fn build() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("build.sh");
    let out = Command::new(&script).output().map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "tools/fix-acceptor/build.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().map(PathBuf::from).ok_or_else(|| "build.sh printed no path".to_owned())
}

/// The acceptor's own check of its signer against the public test vector:
/// its `--selftest` output line.
pub fn selftest() -> Result<String, String> {
    let out = Command::new(acceptor_binary()?).arg("--selftest").output().map_err(|e| format!("--selftest: {e}"))?;
    if !out.status.success() {
        return Err(format!("selftest failed: {}", String::from_utf8_lossy(&out.stdout)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
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
fn wait_for<T>(
    rx: &Receiver<String>,
    what: &str,
    log: &Path,
    mut want: impl FnMut(&str) -> Option<T>,
) -> Result<T, String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(v) = want(&line) {
                    return Ok(v);
                }
            }
            Err(RecvTimeoutError::Timeout) => return Err(format!("{what}: no ready line within {DEADLINE:?}")),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(format!(
                    "{what} exited before it was ready:\n{}",
                    fs::read_to_string(log).unwrap_or_default()
                ));
            }
        }
    }
}

impl Peer {
    /// Starts the acceptor (and stunnel in front of it, when asked) and
    /// waits until both accept connections.
    pub fn start(options: Options) -> Result<Peer, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let journal = dir.path().join("fills.jsonl");
        let stderr_log = dir.path().join("acceptor.stderr");
        let b = &options.book;
        let mut cmd = Command::new(acceptor_binary()?);
        cmd.current_dir(dir.path())
            .args(["--key", KEY, "--secret", SECRET_B64, "--passphrase", PASSPHRASE])
            .args(["--symbol", &b.symbol, "--bid", &b.bid, "--bid-qty", &b.bid_qty])
            .args(["--ask", &b.ask, "--ask-qty", &b.ask_qty, "--reset", options.reset.arg()])
            .arg("--journal")
            .arg(&journal)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr_log).map_err(|e| format!("{}: {e}", stderr_log.display()))?);
        if let Some(bps) = options.fee_bps {
            cmd.args(["--fee-bps", &bps.to_string()]);
        }
        if let Some(n) = options.drop_at_order {
            cmd.args(["--drop-at-order", &n.to_string()]);
        }
        let mut acceptor = cmd.spawn().map_err(|e| format!("start fix-acceptor: {e}"))?;
        let stdout: ChildStdout = acceptor.stdout.take().ok_or("fix-acceptor's stdout")?;
        let rx = lines(stdout);
        let mut peer = Peer {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_addr: None,
            ticker_addr: None,
            dir,
            acceptor,
            stunnel: None,
            ticker: None,
        };
        let port: u16 =
            wait_for(&rx, "fix-acceptor", &stderr_log, |l| l.strip_prefix("LISTENING ").and_then(|p| p.parse().ok()))?;
        peer.addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Some(tls) = &options.tls {
            peer.start_stunnel(tls)?;
        }
        if options.ticker {
            let tls = options.tls.as_ref().ok_or("the ticker feed needs Options::tls")?;
            let feed = ticker::Feed::start(tls, &options.book, journal)?;
            peer.ticker_addr = Some(feed.addr);
            peer.ticker = Some(feed);
        }
        Ok(peer)
    }

    /// Subscriptions to the ticker feed it accepted so far.
    pub fn ticker_subscriptions(&self) -> u64 {
        self.ticker.as_ref().map_or(0, |t| t.subscriptions.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn start_stunnel(&mut self, tls: &Tls) -> Result<(), String> {
        let dir = self.dir.path();
        let cert = dir.join("stunnel-chain.pem");
        let key = dir.join("stunnel-key.pem");
        fs::write(&cert, &tls.cert_chain_pem).map_err(|e| format!("{}: {e}", cert.display()))?;
        fs::write(&key, &tls.key_pem).map_err(|e| format!("{}: {e}", key.display()))?;
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
        fs::write(&conf, config).map_err(|e| format!("{}: {e}", conf.display()))?;
        let mut child = Command::new("stunnel")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("start stunnel ({e}): apt-get install -y stunnel4"))?;
        let stderr: Option<ChildStderr> = child.stderr.take();
        self.stunnel = Some(child);
        let rx = lines(stderr.ok_or("stunnel's stderr")?);
        // stunnel logs the port it bound for `accept = 127.0.0.1:0`, then
        // starts accepting.
        let port: u16 = wait_for(&rx, "stunnel", &conf, |l| {
            l.split_once("bound to 127.0.0.1:").and_then(|(_, p)| p.trim().parse().ok())
        })?;
        wait_for(&rx, "stunnel", &conf, |l| l.contains("Accepting new connections").then_some(()))?;
        self.tls_addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
        Ok(())
    }

    /// QuickFIX's event log for the session: what the session layer decided
    /// (rejects, disconnects) and why. Written and flushed before the
    /// session acts on the decision.
    pub fn event_log(&self) -> Result<String, String> {
        let path = self.dir.path().join(format!("log/FIXT.1.1-Coinbase-{KEY}.event.current.log"));
        fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Where the acceptor journals its fills (one JSON object per line).
    pub fn journal_path(&self) -> PathBuf {
        self.dir.path().join("fills.jsonl")
    }

    /// Orders the acceptor accepted: the ExecutionReports with ExecType
    /// New (150=0) it sent, counted in QuickFIX's message log (written
    /// before the message leaves).
    pub fn orders_accepted(&self) -> Result<u64, String> {
        self.messages_with(&["35=8", "49=Coinbase", "150=0"])
    }

    /// NewOrderBatch messages (35=U6) the acceptor received from the
    /// engine, counted in QuickFIX's message log.
    pub fn batches_received(&self) -> Result<u64, String> {
        self.messages_with(&["35=U6", &format!("49={KEY}")])
    }

    /// Messages in QuickFIX's message log holding every field of `fields`.
    fn messages_with(&self, fields: &[&str]) -> Result<u64, String> {
        let path = self.dir.path().join(format!("log/FIXT.1.1-Coinbase-{KEY}.messages.current.log"));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let holds = |line: &&str| {
            let line: Vec<&str> = line.split('\x01').collect();
            fields.iter().all(|f| line.contains(f))
        };
        Ok(text.lines().filter(holds).count() as u64)
    }

    /// Every fill the acceptor has made so far, in order. Each line is
    /// flushed before its ExecutionReport is sent.
    pub fn journal(&self) -> Result<Vec<Fill>, String> {
        let path = self.journal_path();
        // No fill yet: no file yet.
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        text.lines()
            .map(|line| {
                let v: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| format!("journal line {line:?}: {e}"))?;
                let s = |k: &str| {
                    v[k].as_str().map(str::to_owned).ok_or_else(|| format!("journal line {line:?} has no {k}"))
                };
                Ok(Fill {
                    cl_ord_id: s("cl_ord_id")?,
                    order_id: s("order_id")?,
                    trade_id: s("trade_id")?,
                    side: s("side")?,
                    price: s("price")?,
                    qty: s("qty")?,
                    fee: s("fee")?,
                    fee_currency: s("fee_currency")?,
                })
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
