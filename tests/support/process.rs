//! Running the real `caremap` binary in tests: start a server on a free port, signal it,
//! wait for its exit with a bound, read what it logged.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::repo_path;

pub fn caremap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_caremap"))
}

/// `caremap user add`; the token is the last line of stdout.
pub fn add_user(db: &Path, name: &str, role: &str) -> String {
    let out = caremap().args(["user", "add", "--role", role, "--db"]).arg(db).arg(name).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().to_owned();
    assert!(token.starts_with("cmk_") && !token.contains(' '), "{stdout}");
    token
}

/// `caremap serve` on `db` with the bundled data and page, on a free port, plus `args`.
pub fn serve_command(db: &Path, args: &[&str]) -> Command {
    let mut command = caremap();
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--data")
        .arg(repo_path("data"))
        .arg("--web")
        .arg(repo_path("web"))
        .args(args)
        .env("CAREMAP_LOG", "warn")
        // The tests read /metrics on the main address; a `--metrics` in `args` overrides this.
        .env("CAREMAP_METRICS", "public");
    command
}

/// A running server whose stderr is collected.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub addr: std::net::SocketAddr,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `command` (a `serve`) and waits for its "listening" line.
    pub fn start(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(base) = line.trim().strip_prefix("caremap listening on ").map(str::to_owned) else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = stderr_reader.join();
            panic!("the server did not start: {line}\n{}", stderr.lock().unwrap());
        };
        let addr = base.trim_start_matches("http://").parse().unwrap();
        Self { child, base, addr, stderr, stderr_reader: Some(stderr_reader), stdout }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `signal` (`TERM`, `INT`, `KILL`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status().unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown code runs. Returns once the
    /// process is gone.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits until the database's integrity check no longer holds writes back (`/readyz`
    /// without `"integrity":"checking"`): a server started on a database with providers
    /// answers writes 503 until then.
    pub fn wait_until_writable(&self) {
        for _ in 0..1500 {
            let mut stream = std::net::TcpStream::connect(self.addr).unwrap();
            write!(stream, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            if text.starts_with("HTTP/1.1 200") && !text.contains("\"integrity\":\"checking\"") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the integrity check never let writes through");
    }

    /// Waits at most `limit` for the process to exit; `None` if it is still running.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The next line the server printed on stdout (after the "listening" line: the metrics
    /// address when `--metrics HOST:PORT` is given).
    pub fn stdout_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    /// Everything written to stderr so far (all of it once the process has exited).
    pub fn stderr(&mut self) -> String {
        if self.child.try_wait().unwrap().is_some()
            && let Some(reader) = self.stderr_reader.take()
        {
            let _ = reader.join();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    /// A failing test does not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command that should fail at start-up; returns its exit status and stderr. A
/// command still running after 10 s is killed and reported as a failure of the test.
pub fn run_to_exit(mut command: Command) -> (ExitStatus, String) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after 10 s: {}", reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}

/// Value of an unlabelled metric in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}
