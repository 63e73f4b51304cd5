//! A private PostgreSQL cluster for tests: `initdb` into a temporary folder (as `nobody` when
//! the tests run as root, since initdb refuses root), started with `pg_ctl` on a unix socket
//! in that folder only (no TCP), `fsync=off`; one fresh database per test (`test_<n>`).
//! One cluster is shared by the tests of a binary that run at the same time and stopped when
//! the last of them drops its handle, so no postgres process outlives `cargo test`. Never a
//! shared or system database.
//!
//! The binaries are looked for in `$CAREMAP_PG_BIN`, `/usr/lib/postgresql/<newest>/bin`,
//! `/usr/local/bin` and `PATH`; without them the tests fail (`make test` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A running cluster; stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    run_as: Option<&'static str>,
}

/// One fresh database on the shared cluster.
pub struct TestDb {
    /// `postgresql:///test_<n>?host=<socket folder>&port=<port>&user=caremap`.
    pub url: String,
    /// The database's name.
    pub name: String,
    /// Keeps the cluster running.
    pub cluster: Arc<Cluster>,
}

static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static NEXT_DB: AtomicU64 = AtomicU64::new(1);

/// A new empty database on the cluster shared by this binary's running tests (started now if
/// none runs).
pub fn database() -> TestDb {
    let cluster = {
        let mut shared = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match shared.upgrade() {
            Some(c) => c,
            None => {
                let c = Arc::new(Cluster::start());
                *shared = Arc::downgrade(&c);
                c
            }
        }
    };
    let name = format!("test_{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
    cluster.execute("postgres", &format!("CREATE DATABASE {name}"));
    TestDb { url: cluster.url(&name), name, cluster }
}

/// A cluster of its own, for a test that stops and restarts it (the shared one must keep
/// running for the other tests), with one empty database `test`.
pub fn private_database() -> TestDb {
    let cluster = Arc::new(Cluster::start());
    cluster.execute("postgres", "CREATE DATABASE test");
    TestDb { url: cluster.url("test"), name: "test".into(), cluster }
}

/// The folder with `initdb` and `pg_ctl`.
fn find_bin() -> PathBuf {
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("CAREMAP_PG_BIN").map(PathBuf::from) {
        assert!(has(&dir), "CAREMAP_PG_BIN={} holds no initdb and pg_ctl", dir.display());
        return dir;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versions.sort();
    let path_dirs = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    versions
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain([PathBuf::from("/usr/local/bin")])
        .chain(path_dirs)
        .find(|d| has(d))
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's initdb and pg_ctl were not found (looked in $CAREMAP_PG_BIN, \
                 /usr/lib/postgresql/*/bin, /usr/local/bin, PATH). `make test` installs them \
                 (Debian package postgresql); or: apt-get install postgresql"
            )
        })
}

impl Cluster {
    fn start() -> Self {
        let bin = find_bin();
        let dir = tempfile::Builder::new().prefix("caremap-pg-").tempdir().unwrap();
        // initdb refuses to run as root: the cluster then belongs to `nobody`.
        let run_as = (effective_uid() == 0).then_some("nobody");
        if let Some(user) = run_as {
            for path in [bin.as_path(), dir.path()] {
                let_others_through(path);
            }
            let out = Command::new("chown").arg(user).arg(dir.path()).output().unwrap();
            assert!(out.status.success(), "chown {user}: {}", String::from_utf8_lossy(&out.stderr));
        }
        // The socket folder is the temporary folder itself: other users may connect through it.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        // Only a name for the socket file (no TCP); a free one all the same.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Self { bin, dir, port, run_as };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", &data, "-U", "caremap", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        );
        let options =
            format!("-c listen_addresses='' -k {} -p {port} -c fsync=off -c max_connections=200", cluster.socket_dir());
        let log = cluster.dir.path().join("postgres.log").display().to_string();
        cluster.run("pg_ctl", &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"]);
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The folder of the server's unix socket.
    pub fn socket_dir(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// The port (the name of the socket file).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql:///{db}?host={}&port={}&user=caremap", self.socket_dir(), self.port)
    }

    /// Runs `sql` on database `db` as the superuser. On a thread of its own: the synchronous
    /// client cannot block inside an async test's runtime.
    pub fn execute(&self, db: &str, sql: &str) {
        let (url, sql) = (self.url(db), sql.to_owned());
        let done = std::thread::spawn(move || -> Result<(), postgres::Error> {
            postgres::Client::connect(&url, postgres::NoTls)?.batch_execute(&sql)
        })
        .join()
        .unwrap();
        done.unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// Stops the server (immediate shutdown: connections are cut as in a crash).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// Starts the stopped server again on the same socket.
    pub fn restart(&self) {
        let options = format!(
            "-c listen_addresses='' -k {} -p {} -c fsync=off -c max_connections=200",
            self.socket_dir(),
            self.port
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}

/// The effective user id, read from /proc (no unsafe libc call in the tests).
/// Lets other users pass through every folder above `path` (`o+x`) where one does not: the
/// cluster's user must reach the PostgreSQL programs and the temporary folder. A normal system
/// has `/`, `/usr` and `/tmp` so already and nothing changes; a root file system made in a
/// `mktemp -d` folder (a throwaway chroot, as a fresh-machine check builds) has `/` at 0700,
/// where not even `initdb` could be started as `nobody`.
fn let_others_through(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for folder in path.ancestors() {
        let Ok(meta) = std::fs::metadata(folder) else { continue };
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            eprintln!(
                "postgres test cluster: {} is mode {:o}; adding o+x so the cluster's user can pass",
                folder.display(),
                mode & 0o7777
            );
            std::fs::set_permissions(folder, std::fs::Permissions::from_mode(mode | 0o001)).unwrap();
        }
    }
}

fn effective_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:"))?.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(u32::MAX)
}
