//! `hotline cpu`: the processor and the run-time dispatched paths on it.

/// Options of `hotline cpu`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The features hotline dispatches on at run time, in a fixed order.
pub(crate) fn features() -> [(&'static str, bool); 6] {
    [
        ("sha", std::arch::is_x86_feature_detected!("sha")),
        ("aes", std::arch::is_x86_feature_detected!("aes")),
        ("pclmulqdq", std::arch::is_x86_feature_detected!("pclmulqdq")),
        ("avx2", std::arch::is_x86_feature_detected!("avx2")),
        ("vaes", std::arch::is_x86_feature_detected!("vaes")),
        ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
    ]
}

/// The processor's model name from `/proc/cpuinfo`, or `unknown`.
pub(crate) fn model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let features = features();
    let model = model();
    if args.json {
        let mut out = serde_json::Map::new();
        out.insert("model".into(), model.into());
        out.insert("sha256_backend".into(), hotline_core::sign::backend().name().into());
        out.insert("sign_lanes".into(), hotline_core::sign::lanes().into());
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
        for (name, present) in features {
            println!("  {name:<10} {}", if present { "yes" } else { "no" });
        }
    }
    Ok(())
}
