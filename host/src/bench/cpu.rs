//! The processor and the instruction-set extensions hotline dispatches on
//! at run time (SHA-256, AES-GCM, multi-buffer signing), for `hotline cpu`
//! and the `cpu` object of `hotline bench`.

/// The features hotline dispatches on at run time, in a fixed order.
pub fn features() -> [(&'static str, bool); 7] {
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
pub fn model() -> String {
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
