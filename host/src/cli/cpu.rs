//! `hotline cpu`: the processor's model and the instruction-set extensions
//! hotline dispatches on at run time (SHA-256, AES-GCM, multi-buffer
//! signing) turn into a short report or one JSON object; `hotline bench`
//! puts the same facts in its `cpu` object.

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

/// The features hotline dispatches on at run time, in a fixed order.
pub(crate) fn features() -> [(&'static str, bool); 7] {
    [
        ("sha", std::arch::is_x86_feature_detected!("sha")),
        ("aes", std::arch::is_x86_feature_detected!("aes")),
        ("pclmulqdq", std::arch::is_x86_feature_detected!("pclmulqdq")),
        ("avx2", std::arch::is_x86_feature_detected!("avx2")),
        ("vaes", std::arch::is_x86_feature_detected!("vaes")),
        ("vpclmulqdq", std::arch::is_x86_feature_detected!("vpclmulqdq")),
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
