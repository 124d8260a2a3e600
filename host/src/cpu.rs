//! `hotline cpu`: the processor and the run-time dispatched paths on it.

use hotline::bench::cpu::{features, model};

/// Options of `hotline cpu`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let features = features();
    let model = model();
    if args.json {
        let mut out = serde_json::Map::new();
        out.insert("model".into(), model.into());
        out.insert("sha256_backend".into(), hotline_core::sign::backend().name().into());
        out.insert("sign_lanes".into(), hotline_core::sign::lanes().into());
        out.insert("aes_gcm_backend".into(), hotline_core::tls::aes_gcm_backend().into());
        for (name, present) in features {
            out.insert(name.into(), present.into());
        }
        println!("{}", serde_json::Value::Object(out));
    } else {
        println!("cpu: {model}");
        println!(
            "  sha256 path: {} (multi-buffer signing lanes: {})",
            hotline_core::sign::backend().name(),
            hotline_core::sign::lanes()
        );
        println!("  aes-gcm path: {}", hotline_core::tls::aes_gcm_backend());
        for (name, present) in features {
            println!("  {name:<10} {}", if present { "yes" } else { "no" });
        }
    }
    Ok(())
}
