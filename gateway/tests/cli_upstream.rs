//! `asr-gateway upstream` refuses bad arguments before connecting anywhere:
//! exit status 2 and a message naming the argument.

use std::process::Command;

fn upstream(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asr-gateway"))
        .arg("upstream")
        .args(args)
        .output()
        .expect("run asr-gateway");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_arguments_exit_2_naming_them() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("missing-ca.pem");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--broker".into(), "broker:1883".into()], "--broker"),
        (vec!["--broker".into(), "mqtt://h:0".into()], "port"),
        (
            vec![
                "--broker".into(),
                "mqtt://127.0.0.1:1".into(),
                "--respond".into(),
                "lost".into(),
            ],
            "--respond",
        ),
        (
            vec![
                "--broker".into(),
                "mqtts://127.0.0.1:1".into(),
                "--ca-file".into(),
                missing.display().to_string(),
            ],
            "missing-ca.pem",
        ),
        (
            vec![
                "--broker".into(),
                "mqtt://127.0.0.1:1".into(),
                "--ca-file".into(),
                missing.display().to_string(),
            ],
            "--ca-file needs",
        ),
        (
            vec![
                "--broker".into(),
                "mqtt://127.0.0.1:1".into(),
                "--password-file".into(),
                "pw".into(),
            ],
            "--password-file needs --username",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr) = upstream(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
