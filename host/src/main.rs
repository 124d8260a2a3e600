//! `hotline`: the command line turns into one of the commands in [`cli`],
//! run with the counting allocator and, when asked, a binary log. The
//! sockets, the clock and the engine loop are the `hotline` library's;
//! every protocol byte is handled by `hotline-core`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Counts allocations per thread, so the engine thread can prove its hot
// path allocates nothing.
#[global_allocator]
static ALLOCATOR: hotline::alloc_count::CountingAlloc = hotline::alloc_count::CountingAlloc;

/// Mempool-to-exchange execution engine: Bitcoin mempool transactions in,
/// signed exchange orders out over TLS 1.3 WebSocket.
#[derive(Debug, Parser)]
#[command(name = "hotline", version, about, long_about = None)]
struct Cli {
    /// Write a binary defmt log of this run to FILE (decode it with `hotline log FILE`).
    #[arg(long, global = true, value_name = "FILE")]
    log_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time tick-to-wire in process (hotline, pre-armed, and the
    /// conventional Rust stack) and a loopback round trip on this machine.
    #[cfg(feature = "lab")]
    Bench(cli::bench::Args),
    /// Run the whole engine against a simulated exchange and a replayed
    /// mempool on this machine, in paper mode, and print its latencies.
    #[cfg(feature = "lab")]
    Demo(cli::demo::Args),
    /// Validate a config file and name the offending field.
    CheckConfig(cli::check_config::Args),
    /// Print the CPU model and the instruction-set paths hotline uses on it.
    Cpu(cli::cpu::Args),
    /// Decode a raw Bitcoin transaction (hex) and print it as one JSON object.
    DecodeTx(cli::decode_tx::Args),
    /// Connect to a wss:// or https:// URL with hotline's TLS stack and print
    /// what was negotiated, as one JSON object.
    Probe(cli::probe::Args),
    /// Run the engine with a config file (paper trading unless --live).
    Run(cli::run::Args),
    /// Decode a binary log written by hotline.
    Log(cli::log::Args),
    /// Print a venue's canonical signature payload and its signature for the
    /// given params, to debug a rejected signature.
    Sign(cli::sign::Args),
}

fn main() -> ExitCode {
    let parsed = Cli::parse();
    let log_file = parsed.log_file.or_else(|| default_log_file(&parsed.command));
    let log = match log_file.as_deref().map(hotline::log::LogFile::start).transpose() {
        Ok(log) => log,
        Err(e) => {
            eprintln!("hotline: --log-file: {e}");
            return ExitCode::FAILURE;
        }
    };
    defmt::info!("hotline {=str} started: {=str}", env!("CARGO_PKG_VERSION"), command_name(&parsed.command));
    let result = match parsed.command {
        #[cfg(feature = "lab")]
        Command::Bench(args) => cli::bench::run(&args),
        Command::CheckConfig(args) => cli::check_config::run(&args),
        Command::Cpu(args) => cli::cpu::run(&args),
        Command::DecodeTx(args) => cli::decode_tx::run(&args),
        #[cfg(feature = "lab")]
        Command::Demo(args) => cli::demo::run(&args, log_file.as_deref()),
        Command::Log(args) => cli::log::run(&args),
        Command::Probe(args) => cli::probe::run(&args),
        Command::Run(args) => cli::run::run(&args, log.is_some()),
        Command::Sign(args) => cli::sign::run(&args),
    };
    defmt::info!("hotline finished: {=bool}", result.is_ok());
    if let Some(log) = log {
        match log.finish() {
            Ok(summary) if summary.dropped > 0 => eprintln!("hotline: log: {} frames dropped", summary.dropped),
            Ok(_) => {}
            Err(e) => eprintln!("hotline: log: {e}"),
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hotline: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where a command logs when `--log-file` is not given: the demo always
/// writes a binary log, to a temporary file.
fn default_log_file(command: &Command) -> Option<std::path::PathBuf> {
    match command {
        #[cfg(feature = "lab")]
        Command::Demo(_) => Some(std::env::temp_dir().join("hotline-demo.defmt")),
        _ => None,
    }
}

/// The subcommand's name as typed, for the log.
fn command_name(command: &Command) -> &'static str {
    match command {
        #[cfg(feature = "lab")]
        Command::Bench(_) => "bench",
        Command::CheckConfig(_) => "check-config",
        Command::Cpu(_) => "cpu",
        #[cfg(feature = "lab")]
        Command::Demo(_) => "demo",
        Command::DecodeTx(_) => "decode-tx",
        Command::Log(_) => "log",
        Command::Probe(_) => "probe",
        Command::Run(_) => "run",
        Command::Sign(_) => "sign",
    }
}
