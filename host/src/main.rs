//! `hotline`: the Linux host of the hotline engine. It owns the sockets, the
//! clock and the command line; every protocol byte is handled by
//! `hotline-core`.

mod bench_cmd;
mod check_config;
mod cpu;
mod decode_tx;
mod demo;
mod read_log;
mod run;
mod sign;

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
    Bench(bench_cmd::Args),
    /// Run the whole engine against a simulated exchange and a replayed
    /// mempool on this machine, in paper mode, and print its latencies.
    Demo(demo::Args),
    /// Validate a config file and name the offending field.
    CheckConfig(check_config::Args),
    /// Print the CPU model and the instruction-set paths hotline uses on it.
    Cpu(cpu::Args),
    /// Decode a raw Bitcoin transaction (hex) and print it as one JSON object.
    DecodeTx(decode_tx::Args),
    /// Connect to a wss:// or https:// URL with hotline's TLS stack and print
    /// what was negotiated, as one JSON object.
    Probe(hotline::probe::Args),
    /// Run the engine with a config file (paper trading unless --live).
    Run(run::Args),
    /// Decode a binary log written by hotline.
    Log(read_log::Args),
    /// Print a venue's canonical signature payload and its signature for the
    /// given params, to debug a rejected signature.
    Sign(sign::Args),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if matches!(cli.command, Command::Demo(_)) && cli.log_file.is_none() {
        cli.log_file = Some(std::env::temp_dir().join("hotline-demo.defmt"));
    }
    let log = match cli.log_file.as_deref().map(hotline::log::LogFile::start).transpose() {
        Ok(log) => log,
        Err(e) => {
            eprintln!("hotline: --log-file: {e}");
            return ExitCode::FAILURE;
        }
    };
    defmt::info!("hotline {=str} started: {=str}", env!("CARGO_PKG_VERSION"), command_name(&cli.command));
    let result = match cli.command {
        Command::Bench(args) => bench_cmd::run(&args),
        Command::CheckConfig(args) => check_config::run(&args),
        Command::Cpu(args) => cpu::run(&args),
        Command::DecodeTx(args) => decode_tx::run(&args),
        Command::Demo(args) => demo::run(&args, cli.log_file.as_deref()),
        Command::Log(args) => read_log::run(&args),
        Command::Probe(args) => hotline::probe::run(&args),
        Command::Run(args) => run::run(&args, log.is_some()),
        Command::Sign(args) => sign::run(&args),
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

/// The subcommand's name as typed, for the log.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Bench(_) => "bench",
        Command::CheckConfig(_) => "check-config",
        Command::Cpu(_) => "cpu",
        Command::Demo(_) => "demo",
        Command::DecodeTx(_) => "decode-tx",
        Command::Log(_) => "log",
        Command::Probe(_) => "probe",
        Command::Run(_) => "run",
        Command::Sign(_) => "sign",
    }
}
