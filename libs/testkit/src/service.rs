//! A service binary run as a real child process, with its HTTP server on a free port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A running service; killed when dropped.
#[derive(Debug)]
pub struct Service {
    pub child: Child,
    pub port: u16,
}

/// The path of another package's binary in this build's target folder (a test's own
/// package's binaries are `env!("CARGO_BIN_EXE_<name>")`). `cargo test --workspace`
/// (what `scripts/test` runs) builds every binary before any test runs; alone, a
/// test names the missing binary and how to build it.
pub fn workspace_binary(name: &str) -> String {
    let exe = std::env::current_exe().expect("the test's path");
    // target/<profile>/deps/<test>-<hash> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("the target folder")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: cargo build -p {name} (or run the whole workspace's tests)",
        path.display()
    );
    path.display().to_string()
}

/// Runs `program` with `vars` (and a free HTTP port) until it exits, within 60 s
/// (a panic after): whether it succeeded, and what it wrote to stderr. For commands,
/// and for services that must stop at start.
pub fn run_until_exit(program: &str, args: &[&str], vars: &[(String, String)]) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .env("DOCSTREAM_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("DOCSTREAM_LOG_FORMAT", "text")
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            let out = child.wait_with_output().expect("output");
            return (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().ok();
    child.wait().ok();
    panic!("{program} {args:?} did not exit within 60 s");
}

impl Service {
    /// Starts `binary` with the stack's broker, a free HTTP port, quiet text logs
    /// (`TEST_LOG` for more) and `env`.
    pub fn spawn(binary: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn_with_args(binary, &[], env)
    }

    /// [`Service::spawn`] with arguments (a mode such as `source`).
    pub fn spawn_with_args(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut all = vec![
            ("DOCSTREAM_KAFKA_BROKERS".to_owned(), crate::kafka_brokers()),
            (
                "DOCSTREAM_HTTP_ADDR".to_owned(),
                format!("127.0.0.1:{port}"),
            ),
            (
                "DOCSTREAM_LOG".to_owned(),
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            ),
            ("DOCSTREAM_LOG_FORMAT".to_owned(), "text".to_owned()),
        ];
        all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut cmd = Command::new(binary);
        cmd.args(args).envs(all).stdout(Stdio::null());
        Self {
            child: cmd
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {binary}: {e}")),
            port,
        }
    }

    pub fn sigkill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// GET a path of the service's HTTP server: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.get_with(path, &[]);
        (status, body)
    }

    /// GET a path with extra request headers: (status, response headers with lower-case
    /// names, body).
    pub fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        use std::io::{Read, Write};
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                Ok(mut s) => {
                    write!(
                        s,
                        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
                    )
                    .expect("write");
                    let mut text = String::new();
                    s.read_to_string(&mut text).expect("read");
                    let status = text
                        .split(' ')
                        .nth(1)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0);
                    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    return (status, headers, body.to_owned());
                }
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("http on {}: {e}", self.port),
            }
        }
    }

    /// The value of a metric line starting with `prefix` (summed when several match).
    pub fn metric(&self, prefix: &str) -> f64 {
        let (_, body) = self.get("/metrics");
        body.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
