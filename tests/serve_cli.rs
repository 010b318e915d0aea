//! `specflow serve`, started as a user would: it migrates, registers the workflows, answers on
//! its port, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_health_readiness_and_metrics_and_stops_on_sigterm() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .env("SPECFLOW_DATABASE_URL", &database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line says where it listens (port 0 picks a free one), and the log where the
    // metrics are; the log is read as it comes and kept for the end.
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let address = first_line
        .trim()
        .strip_prefix("specflow is serving on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_string();
    let (lines_sender, log_lines) = std::sync::mpsc::channel::<String>();
    let stderr = server.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_sender.send(line);
        }
    });
    let mut log = String::new();
    let metrics_address = loop {
        let line = log_lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no metrics line in: {log}"));
        log.push_str(&line);
        log.push('\n');
        if let Some(rest) = line.strip_prefix("specflow metrics on http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    let health = get(&address, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.to_ascii_lowercase().contains("x-request-id:"),
        "{health}"
    );
    assert!(get(&address, "/readyz").starts_with("HTTP/1.1 200"));
    // Metrics are not served beside the API (issue 17), only on their own listener.
    let beside_the_api = get(&address, "/metrics");
    assert!(
        beside_the_api.starts_with("HTTP/1.1 404"),
        "{beside_the_api}"
    );
    let metrics = get(&metrics_address, "/metrics");
    assert!(
        metrics.contains("specflow_scheduler_lateness_seconds"),
        "{metrics}"
    );
    assert!(
        metrics.contains("specflow_outbox_notifications"),
        "{metrics}"
    );
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = server.wait().unwrap();
    log_reader.join().unwrap();
    log.extend(log_lines.try_iter().map(|line| line + "\n"));
    assert!(status.success(), "{log}");
    assert!(log.contains("workflows registered"), "{log}");
    assert!(log.contains("scheduler stopped"), "{log}");
}

/// A served `specflow serve`, killed when dropped.
struct Served {
    child: std::process::Child,
    address: String,
    _folder: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_with(arguments: &[&str]) -> Served {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("specflow.db").display());
    serve_on(&database, folder, arguments, &[])
}

/// Serves `database` with `arguments` and environment `variables`, keeping `folder` while it runs.
fn serve_on(
    database: &str,
    folder: tempfile::TempDir,
    arguments: &[&str],
    variables: &[(&str, &std::path::Path)],
) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
        ])
        .args(arguments)
        .env("SPECFLOW_DATABASE_URL", database)
        .envs(variables.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let address = first_line
        .trim()
        .strip_prefix("specflow is serving on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_string();
    Served {
        child,
        address,
        _folder: folder,
    }
}

/// Reads until the server closes the connection, and says how long that took; `None` when it
/// was still open after `patience`.
fn closed_within(stream: &mut TcpStream, patience: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => {
                return Some((
                    started.elapsed(),
                    String::from_utf8_lossy(&answer).into_owned(),
                ));
            }
            Ok(read) => answer.extend_from_slice(&buffer[..read]),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            // A reset is the server closing too.
            Err(_) => {
                return Some((
                    started.elapsed(),
                    String::from_utf8_lossy(&answer).into_owned(),
                ));
            }
        }
    }
}

fn timed_health(address: &str) -> Duration {
    let started = Instant::now();
    let health = get(address, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    started.elapsed()
}

// Regression (issue 17): a connection trickling its headers or its body stayed open for
// minutes, and 4,000 half-open connections were all held.
#[test]
fn slow_and_idle_connections_are_closed_and_health_stays_fast() {
    let served = serve_with(&[
        "--header-read-timeout",
        "4s",
        "--keep-alive-timeout",
        "1s",
        "--body-read-timeout",
        "2s",
        "--max-connections",
        "8",
    ]);
    let address = served.address.as_str();
    // A kept-alive connection left idle after its answer is closed after the keep-alive
    // timeout, well before the header-read timeout would.
    let mut kept_alive = TcpStream::connect(address).unwrap();
    write!(
        kept_alive,
        "GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut answered = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answered.ends_with(b"ok\n") {
        let read = kept_alive.read(&mut buffer).unwrap();
        assert!(read > 0, "{}", String::from_utf8_lossy(&answered));
        answered.extend_from_slice(&buffer[..read]);
    }
    let (idle_for, rest) = closed_within(&mut kept_alive, Duration::from_secs(8))
        .expect("an idle connection is closed");
    assert!(rest.is_empty(), "{rest}");
    assert!(
        idle_for > Duration::from_millis(500) && idle_for < Duration::from_millis(3500),
        "{idle_for:?}"
    );
    // Headers that never end, a body that stops, and a kept-alive connection left idle.
    let mut trickling_headers = TcpStream::connect(address).unwrap();
    write!(
        trickling_headers,
        "GET /healthz HTTP/1.1\r\nHost: {address}\r\n"
    )
    .unwrap();
    let mut stalled_body = TcpStream::connect(address).unwrap();
    write!(
        stalled_body,
        "POST /signin HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname="
    )
    .unwrap();
    let mut idle = TcpStream::connect(address).unwrap();
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n").unwrap();
    let silent: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    // Six connections are held; health is answered at once on a seventh.
    assert!(timed_health(address) < Duration::from_secs(1));
    let patience = Duration::from_secs(8);
    let (waited, answer) = closed_within(&mut trickling_headers, patience)
        .expect("a connection trickling its headers is closed");
    assert!(waited < Duration::from_secs(7), "{waited:?} {answer}");
    let (_, answer) = closed_within(&mut stalled_body, patience)
        .expect("a connection whose body stopped is closed");
    // The stalled body is answered with a problem document before the connection closes.
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let (_, answer) =
        closed_within(&mut idle, patience).expect("an idle keep-alive connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(silent);

    // At the cap, a further connection waits for a held one to be let go.
    let held: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let waited = timed_health(address);
    assert!(waited > Duration::from_millis(500), "{waited:?}");
    drop(held);
    assert!(timed_health(address) < Duration::from_secs(1));
}

// Regression (issue 17): an upload spooled to a named `specflow-upload-*` file in the temporary
// folder, and a server killed mid-upload left it there for good. The spool is now an anonymous
// file the kernel frees with the process: the folder stays empty during the upload and after.
#[test]
fn a_server_killed_mid_upload_leaves_no_spooled_file() {
    let folder = tempfile::tempdir().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let (database, project_id) =
        crate::schedule_cli::database_with_a_project(folder.path(), chrono::Utc::now());
    let created = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args([
            "token",
            "create",
            "--name",
            "sec-wang",
            "--role",
            "secretariat",
        ])
        .args(["--committee", "SH-TC-01"])
        .env("SPECFLOW_DATABASE_URL", &database)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    let mut served = serve_on(&database, folder, &[], &[("TMPDIR", spool.path())]);
    let address = served.address.clone();
    let mut upload = TcpStream::connect(&address).unwrap();
    let total = 16 * 1024 * 1024;
    write!(
        upload,
        "POST /api/v1/projects/{project_id}/artifacts?kind=project_proposal&file_name=p.pdf HTTP/1.1\r\n\
         Host: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n"
    )
    .unwrap();
    let piece = vec![b'x'; 1024 * 1024];
    for _ in 0..4 {
        upload.write_all(&piece).unwrap();
    }
    upload.flush().unwrap();
    // The server is reading the body now: it holds the spool open (an anonymous file in the
    // folder, which Linux shows as deleted), and a named spool would be in the folder.
    let pid = served.child.id();
    let spool_open = || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
            .any(|target| target.starts_with(spool.path()))
    };
    let started = Instant::now();
    while !spool_open() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server never began spooling the upload"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let during: Vec<_> = std::fs::read_dir(spool.path()).unwrap().collect();
    assert!(during.is_empty(), "a named spool file: {during:?}");
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let after: Vec<_> = std::fs::read_dir(spool.path()).unwrap().collect();
    assert!(after.is_empty(), "left after the kill: {after:?}");
}
