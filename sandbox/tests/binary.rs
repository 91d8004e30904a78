//! The binary: `--state FILE --save-on-exit` saves on Ctrl-C and loads on the next start, and
//! a bad state file stops it with the reason.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_credits-sandbox");

/// Starts the binary and answers it with its base URL (read from its first line).
fn start(args: &[&str]) -> (Child, String) {
    let mut child =
        Command::new(BINARY).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("credits-sandbox listening on ").unwrap_or_else(|| panic!("{line}")).to_owned();
    (child, url)
}

/// Ctrl-C, then waits for the exit (10 s at most).
fn interrupt(child: Child) -> std::process::ExitStatus {
    signal(child, "-INT")
}

/// Sends `signal` (`-INT`, `-TERM`), then waits for the exit (10 s at most).
fn signal(mut child: Child, signal: &str) -> std::process::ExitStatus {
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the binary did not stop on {signal}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn save_on_exit_writes_the_state_and_the_next_start_loads_it() {
    let dir = std::env::temp_dir().join(format!("credits-sandbox-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let path = file.to_str().unwrap();
    let http = reqwest::Client::new();
    let common = ["--addr", "127.0.0.1:0", "--api-key", "sk_binary", "--state", path, "--save-on-exit"];
    let (child, url) = start(&common);
    let created: Value = http
        .post(format!("{url}/v1/accounts/create"))
        .header("X-API-Key", "sk_binary")
        .json(&json!({ "name": "Kept", "externalId": "kept" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["success"], json!(true));
    assert!(interrupt(child).success());
    let saved = std::fs::read_to_string(&file).expect("the state was saved");
    assert!(saved.contains("\"credits-sandbox-state\"") && saved.contains("\"kept\""), "{saved}");

    let (child, url) = start(&common);
    let account: Value = http
        .get(format!("{url}/v1/accounts/get?externalId=kept"))
        .header("X-API-Key", "sk_binary")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["id"], created["account"]["id"]);
    assert!(interrupt(child).success());

    std::fs::write(&file, saved.replace("\"version\": 1", "\"version\": 7")).unwrap();
    let output = Command::new(BINARY).args(["--addr", "127.0.0.1:0", "--state", path]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("version 7 is not supported"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sigterm_saves_like_ctrl_c_even_to_a_file_named_like_a_temporary_one() {
    let dir = std::env::temp_dir().join(format!("credits-sandbox-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The old binary wrote to `<path>.partial` first: for this name, the file itself.
    let file = dir.join("state.partial");
    let _ = std::fs::remove_file(&file);
    let path = file.to_str().unwrap();
    let http = reqwest::Client::new();
    let args = ["--addr", "127.0.0.1:0", "--api-key", "sk_term", "--state", path, "--save-on-exit"];
    for name in ["first", "second"] {
        let (child, url) = start(&args);
        let created = http
            .post(format!("{url}/v1/accounts/create"))
            .header("X-API-Key", "sk_term")
            .json(&json!({ "name": name, "externalId": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200);
        assert!(signal(child, "-TERM").success(), "SIGTERM is a clean stop");
        let saved = std::fs::read_to_string(&file).expect("the state was saved on SIGTERM");
        assert!(saved.contains(&format!("\"{name}\"")), "{saved}");
        assert!(saved.contains("\"first\""), "the earlier start's account was loaded and kept: {saved}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("state.partial")], "no temporary file is left");
    std::fs::remove_dir_all(&dir).unwrap();
}
