//! The machine a benchmark ran on, printed first by every benchmark so each figure in
//! BENCHMARKS.md carries it: CPU model, clock, cores, caches, and the instruction set
//! the binary was built for (sonic-rs and the SWAR cleaner pick their code paths at
//! compile time: a build for baseline x86-64 gets SSE2 and no AVX2 on any host).

/// One line: `host: <model>, <MHz> MHz, <n> cores, L2 <..>, build: <features>`.
pub fn describe() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let model = field("model name").unwrap_or_else(|| "unknown cpu".into());
    let mhz = field("cpu MHz")
        .and_then(|m| m.parse::<f64>().ok())
        .map_or_else(|| "? MHz".into(), |m| format!("{m:.0} MHz"));
    let cache = field("cache size").unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    let host_avx2 = field("flags").is_some_and(|f| f.split_whitespace().any(|x| x == "avx2"));
    let built: Vec<&str> = [
        ("sse4.2", cfg!(target_feature = "sse4.2")),
        ("avx2", cfg!(target_feature = "avx2")),
        ("avx512f", cfg!(target_feature = "avx512f")),
    ]
    .into_iter()
    .filter_map(|(n, on)| on.then_some(n))
    .collect();
    let built = if built.is_empty() {
        "baseline (sse2)".to_owned()
    } else {
        built.join(", ")
    };
    format!(
        "host: {model}, {mhz}, {cores} cores, cache {cache}, cpu has avx2: {host_avx2}; build: {built}"
    )
}
