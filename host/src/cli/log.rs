//! `hotline log FILE`: a binary defmt log turns into text lines, decoded
//! against the binary that wrote it (by default, this one).

use std::io::Write;
use std::path::PathBuf;

/// Options of `hotline log`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The log file (written with `--log-file`, or by `demo` and `run`).
    file: PathBuf,
    /// The hotline binary that wrote the log, if not this one.
    #[arg(long)]
    elf: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let elf_path = match &args.elf {
        Some(path) => path.clone(),
        None => std::env::current_exe().map_err(|e| format!("locating this binary: {e}"))?,
    };
    let elf = std::fs::read(&elf_path).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let log = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    hotline::log::decode(&elf, &log, &mut out)?;
    out.flush().map_err(|e| e.to_string())
}
