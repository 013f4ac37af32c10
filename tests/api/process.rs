//! The real `parlor` binary as a child process, for tests at the process
//! level (configuration, the command line, signals, `kill -9`). Every child
//! is owned by a `Proc` guard that kills it on drop, so a failing assertion
//! never leaks a server.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

pub const BIN: &str = env!("CARGO_BIN_EXE_parlor");
/// Bound on a process starting up, running a command, or exiting.
pub const PROCESS_WAIT: Duration = Duration::from_secs(20);

/// A running `parlor` child; killed and reaped on drop.
pub struct Proc {
    child: Child,
    pub stdout: Receiver<String>,
    /// Everything seen on stdout so far, for failure messages.
    seen: Vec<String>,
    /// Collected by a reader thread so a chatty child never blocks on a full pipe.
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `parlor` run in `cwd`, with no `PARLOR__` variables inherited from the test run.
pub fn parlor(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PARLOR__") {
            cmd.env_remove(key);
        }
    }
    cmd
}

pub fn start(mut cmd: Command) -> Proc {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("parlor starts");
    let (tx, rx) = channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let err = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    Proc {
        child,
        stdout: rx,
        seen: Vec::new(),
        stderr,
    }
}

impl Proc {
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) for `listening on http://ADDR` on stdout and returns ADDR.
    pub async fn listening_addr(&mut self) -> SocketAddr {
        let deadline = Instant::now() + PROCESS_WAIT;
        loop {
            match self.stdout.try_recv() {
                Ok(line) => {
                    let found = line
                        .trim()
                        .strip_prefix("listening on http://")
                        .map(|a| a.trim().parse::<SocketAddr>());
                    self.seen.push(line.clone());
                    if let Some(addr) = found {
                        let addr = addr.unwrap_or_else(|e| panic!("bad address in {line:?}: {e}"));
                        assert_ne!(addr.port(), 0, "port 0 must be resolved: {line}");
                        return addr;
                    }
                }
                Err(TryRecvError::Disconnected) => {
                    let status = self.child.wait().ok();
                    panic!(
                        "stdout closed before `listening on` (exit {status:?})\nstdout: {:?}\nstderr: {}",
                        self.seen,
                        self.stderr()
                    );
                }
                Err(TryRecvError::Empty) => {
                    assert!(
                        Instant::now() < deadline,
                        "no `listening on` line within {PROCESS_WAIT:?}\nstdout: {:?}\nstderr: {}",
                        self.seen,
                        self.stderr()
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Waits (bounded) for the child to exit on its own.
    pub async fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PROCESS_WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "parlor did not exit within {PROCESS_WAIT:?}\nstderr: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {sig} failed");
    }

    pub fn write_stdin(&mut self, text: &str) {
        let mut stdin = self.child.stdin.take().expect("stdin is piped");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        // Dropping stdin closes it, so a reader waiting for EOF goes on.
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("child reaped");
    }
}
