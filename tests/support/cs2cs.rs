//! PROJ's command-line tool `cs2cs` (Debian's proj-bin, installed by `make test`) as the
//! reference the CRS tests compare caremap's conversions against.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `cs2cs from to` on authority-ordered input pairs; returns authority-ordered output,
/// printed with 12 decimals.
pub fn cs2cs(from: &str, to: &str, input: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut child = Command::new("cs2cs")
        .args(["-f", "%.12f", from, to])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cs2cs is installed (apt-get install proj-bin; `make test` does it)");
    let text: String = input.iter().map(|[a, b]| format!("{a} {b}\n")).collect();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().take(2).map(|x| x.parse().unwrap()).collect();
            [v[0], v[1]]
        })
        .collect()
}
