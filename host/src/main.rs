//! `hotline`: the Linux host of the hotline engine. It owns the sockets, the
//! clock and the command line; every protocol byte is handled by
//! `hotline-core`.

mod cpu;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Mempool-to-exchange execution engine: Bitcoin mempool transactions in,
/// signed exchange orders out over TLS 1.3 WebSocket.
#[derive(Debug, Parser)]
#[command(name = "hotline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the CPU model and the instruction-set paths hotline uses on it.
    Cpu(cpu::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Cpu(args) => cpu::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hotline: {message}");
            ExitCode::FAILURE
        }
    }
}
