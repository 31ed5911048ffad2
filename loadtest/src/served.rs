//! What the benchmarks that run a service as its own process share: the process (this
//! binary started again as the service), and quantiles of the latencies they time.

use std::process::{Child, Command};

use anyhow::Result;

/// A service's process: stopped with SIGTERM (so it finishes what it buffered),
/// killed if it is still there when dropped.
pub struct Server(pub Child);

impl Server {
    pub fn stop(&mut self) -> Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()?;
        let status = self.0.wait()?;
        anyhow::ensure!(status.success(), "the service exited with {status}");
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `q` quantile of `v` (sorted here), NaN when empty.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    v[((v.len() - 1) as f64 * q).round() as usize]
}
