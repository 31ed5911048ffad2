//! `loadtest`: docstream's benchmarks, one subcommand each. Every benchmark runs its
//! subject and its baseline in the same run on the same servers, because these
//! machines are noisy, and prints the ratio as its last line.

use clap::Parser;

/// docstream benchmarks (run with --release against `scripts/stack up`).
#[derive(Debug, Parser)]
#[command(name = "loadtest")]
struct Cli {}

fn main() {
    let _ = Cli::parse();
    eprintln!("no benchmark is implemented yet; see loadtest/README.md");
    std::process::exit(2);
}
