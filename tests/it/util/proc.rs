//! Running the real binary: one-shot commands and a `serve` process that tests talk to.
//!
//! Every child gets a clean environment (only PATH, plus what the test sets) and its own
//! working directory, so neither the developer's shell nor ./config.toml leaks in. Readiness
//! is a log line, never a sleep.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_llm-orchestrator"))
}

/// A command for the binary with a clean environment, run in `dir`.
pub fn cmd(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("LOG_FORMAT", "text")
        .current_dir(dir)
        .stdin(Stdio::null());
    c
}

/// Runs to completion and captures the output.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running process whose stdout and stderr lines are collected as they arrive.
pub struct Proc {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    rx: Receiver<String>,
}

impl Proc {
    pub fn spawn(mut c: Command) -> Proc {
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ] {
            let (lines, tx) = (lines.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        Proc { child, lines, rx }
    }

    /// Waits for a line containing `needle`; panics with the output so far on timeout or exit.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        if let Some(l) = self
            .lines
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(needle))
        {
            return l.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!("no line containing {needle:?}; output:\n{}", self.output())
                }
            }
        }
    }

    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "process did not exit in {timeout:?}; output:\n{}",
                    self.output()
                );
            }
            // Polling an exit status (not readiness): the child has no line to wait for here.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `serve` process on port 0, ready once it logged `listening on`.
pub struct Server {
    pub proc: Proc,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `serve --port 0` with `dir` as working directory and the given extra env.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut c = cmd(dir);
        c.args(["serve", "--host", "127.0.0.1", "--port", "0"]);
        for (k, v) in env {
            c.env(k, v);
        }
        Server::start_cmd(c)
    }

    pub fn start_cmd(c: Command) -> Server {
        let proc = Proc::spawn(c);
        let line = proc.wait_for("listening on ", Duration::from_secs(60));
        let addr = line
            .split("listening on ")
            .nth(1)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
                    .collect::<String>()
            })
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("cannot parse address from {line:?}"));
        Server { proc, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A blocking HTTP client that reports every status instead of failing on 4xx/5xx.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// GET and return (status, JSON body, headers).
pub fn get_json(
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value, ureq::http::HeaderMap) {
    let mut req = http().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut res = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .body_mut()
        .read_json()
        .unwrap_or(serde_json::Value::Null);
    (status, body, headers)
}

/// A redis-server of the test's own on a free port, so a test can stop it.
pub struct OwnRedis {
    pub proc: Proc,
    pub port: u16,
}

impl OwnRedis {
    pub fn start(dir: &Path) -> OwnRedis {
        OwnRedis::start_on(dir, free_port())
    }

    /// On a given port, e.g. to bring a stopped Redis back where clients expect it.
    pub fn start_on(dir: &Path, port: u16) -> OwnRedis {
        let mut c = Command::new("redis-server");
        c.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no", "--dir"])
        .arg(dir);
        let proc = Proc::spawn(c);
        proc.wait_for("Ready to accept connections", Duration::from_secs(30));
        OwnRedis { proc, port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Runs `redis-cli` against this server.
    pub fn cli(&self, args: &[&str]) {
        let ok = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs")
            .status
            .success();
        assert!(ok, "redis-cli {args:?} failed");
    }

    pub fn stop(mut self) {
        let _ = self.proc.child.kill();
        let _ = self.proc.child.wait();
    }
}

/// The shared Redis named by `LLMO_TEST_REDIS_URL`, with the same skip rule as the databases.
pub fn shared_redis_url() -> Option<String> {
    super::backends::server_url("LLMO_TEST_REDIS_URL")
}
