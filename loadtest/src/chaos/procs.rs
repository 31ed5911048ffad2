//! The processes the chaos suite runs and breaks: the services (spawned from the
//! release build, each logging to `.stack/logs/chaos-<name>.log`) and the stack's
//! servers (through `scripts/stack`, which knows how to start and stop them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

/// One service process, restartable under the same or a new instance id.
pub struct Proc {
    pub name: String,
    binary: PathBuf,
    args: Vec<String>,
    pub port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    /// The instance id's suffix: the same after a restart (a StatefulSet's pod), or a
    /// new one (a Deployment's pod).
    generation: u32,
    child: Option<Child>,
}

impl Proc {
    pub fn new(
        name: &str,
        binary: PathBuf,
        args: &[&str],
        port: u16,
        env: Vec<(String, String)>,
        logs: &Path,
    ) -> Self {
        Self {
            name: name.to_owned(),
            binary,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            port,
            env,
            log: logs.join(format!("chaos-{name}.log")),
            generation: 0,
            child: None,
        }
    }

    pub fn start(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("open {}", self.log.display()))?;
        let child = Command::new(&self.binary)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DOCSTREAM_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("DOCSTREAM_LOG_FORMAT", "json")
            .env("DOCSTREAM_STATIC_MEMBERSHIP", "true")
            .env(
                "DOCSTREAM_INSTANCE_ID",
                format!("chaos-{}-{}", self.name, self.generation),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {}", self.binary.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Until `/livez` answers (60 s).
    pub fn wait_live(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait()? {
                    bail!(
                        "{} exited ({status}); see {}",
                        self.name,
                        self.log.display()
                    );
                }
            }
            let url = format!("127.0.0.1:{}", self.port);
            if std::net::TcpStream::connect(&url).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "{} did not listen within 60 s; see {}",
            self.name,
            self.log.display()
        )
    }

    /// Whether the process has exited on its own (and how).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// SIGKILL, and wait until it is gone.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait()?;
        }
        Ok(())
    }

    /// Starts again at once, under the same instance id or (`new_id`) a new one.
    pub fn restart(&mut self, new_id: bool) -> Result<()> {
        if new_id {
            self.generation += 1;
        }
        self.start()
    }

    /// SIGTERM, then SIGKILL after 30 s.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            c.kill().ok();
            c.wait().ok();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The local stack, through `scripts/stack`.
pub struct Stack {
    pub root: PathBuf,
    /// `scripts/stack env`: the endpoints the services and this run use.
    pub env: BTreeMap<String, String>,
}

impl Stack {
    pub fn open(root: &Path) -> Result<Self> {
        let out = Command::new(root.join("scripts/stack"))
            .arg("env")
            .current_dir(root)
            .output()
            .context("run scripts/stack env")?;
        ensure!(out.status.success(), "scripts/stack env failed");
        let env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Self {
            root: root.to_owned(),
            env,
        })
    }

    fn run(&self, what: &str, component: &str) -> Result<()> {
        let status = Command::new(self.root.join("scripts/stack"))
            .arg(what)
            .env("DOCSTREAM_STACK_COMPONENTS", component)
            .current_dir(&self.root)
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("scripts/stack {what} {component}"))?;
        ensure!(
            status.success(),
            "scripts/stack {what} ({component}) failed"
        );
        Ok(())
    }

    /// Starts a component and waits until it is ready.
    pub fn up(&self, component: &str) -> Result<()> {
        self.run("up", component)
    }

    /// Stops a component (SIGTERM, as an operator's stop).
    pub fn down(&self, component: &str) -> Result<()> {
        self.run("down", component)
    }

    /// Sends `signal` (`KILL`, `STOP`, `CONT`) to a component's server process.
    pub fn signal(&self, component: &str, signal: &str) -> Result<()> {
        let pidfile = self.root.join(format!(".stack/run/{component}.pid"));
        let pid = std::fs::read_to_string(&pidfile)
            .with_context(|| format!("read {}", pidfile.display()))?;
        let status = Command::new("kill")
            .args([format!("-{signal}"), pid.trim().to_owned()])
            .status()?;
        ensure!(status.success(), "kill -{signal} {component}");
        if signal == "KILL" {
            let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
            while proc_dir.exists() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }
}
