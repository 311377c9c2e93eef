//! `junction check` refuses whatever `junction run` refuses, with the same words: both load a
//! config through the one `config::load`, which reads every secret (file or environment
//! variable), applies the admin API's own token and exposure rules, reads the TLS files and
//! checks each route's kind globs against the kinds its sources' adapters declare. And a
//! config's relative paths resolve against its own directory, whatever directory either
//! command is started in.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A variable no environment sets.
const UNSET: &str = "JUNCTION_TEST_VARIABLE_NOBODY_SETS";

fn junction(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_junction"));
    cmd.current_dir(dir).args(args).env_remove(UNSET);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run junction")
}

const PAS: &str =
    "\n[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:0\"\nadapter = \"pas\"\n";
const OUTBOX: &str = "\n[[destinations]]\nname = \"out\"\ntype = \"file\"\ndir = \"out\"\n";

/// A config `run` refuses: its text, files beside it, environment, and the one error expected
/// (`file:line:column: key`, a fragment of the message).
struct Refused {
    name: &'static str,
    toml: String,
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    error: (&'static str, &'static str),
}

fn cases() -> Vec<Refused> {
    let http = "[http]\nlisten = \"127.0.0.1:0\"\n";
    let token =
        |how: &str| format!("{http}\n[[http.tokens]]\nname = \"ops\"\n{how}\nrole = \"viewer\"\n");
    vec![
        Refused {
            name: "token in an unset variable",
            toml: token(&format!("token_env = \"{UNSET}\"")),
            files: &[],
            env: &[],
            error: (
                "junction.toml:6:1: http.tokens[0].token_env",
                "environment variable JUNCTION_TEST_VARIABLE_NOBODY_SETS is not set",
            ),
        },
        Refused {
            name: "token in an empty variable",
            toml: token("token_env = \"JUNCTION_TEST_EMPTY\""),
            files: &[],
            env: &[("JUNCTION_TEST_EMPTY", "  ")],
            error: (
                "junction.toml:6:1: http.tokens[0].token_env",
                "environment variable JUNCTION_TEST_EMPTY is empty",
            ),
        },
        Refused {
            name: "token shorter than the minimum",
            toml: token("token_file = \"ops.token\""),
            files: &[("ops.token", "short\n")],
            env: &[],
            error: (
                "junction.toml:4:8: http.tokens",
                "admin token `ops`: secret is shorter than 16 characters",
            ),
        },
        Refused {
            name: "listening beyond loopback with no tokens",
            toml: "[http]\nlisten = \"0.0.0.0:0\"\n".into(),
            files: &[],
            env: &[],
            error: (
                "junction.toml:2:1: http.listen",
                "admin API has no tokens but the HTTP listener 0.0.0.0:0 is not loopback",
            ),
        },
        Refused {
            name: "TLS key that cannot be read",
            toml: format!("{http}{PAS}tls = {{ cert = \"server.pem\", key = \"missing.key\" }}\n"),
            files: &[(
                "server.pem",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            )],
            env: &[],
            error: ("junction.toml:9:30: sources[0].tls.key", "cannot read"),
        },
        Refused {
            name: "a route kind no source's adapter produces (a typo)",
            toml: format!(
                "{http}{PAS}{OUTBOX}\n[[routes]]\nname = \"r\"\nkinds = [\"patient.*\", \"referal.received\"]\ndestinations = [\"out\"]\n"
            ),
            files: &[],
            env: &[],
            error: (
                "junction.toml:17:23: routes[0].kinds[1]",
                "\"referal.received\" matches no event kind this route's sources produce (patient.registered",
            ),
        },
        Refused {
            name: "a route reading an HL7 v2 field by a bad path",
            toml: format!(
                "{http}{PAS}{OUTBOX}\n[[routes]]\nname = \"r\"\nkinds = [\"hl7v2.ADT.*\"]\nwhen = 'hl7(\"PV1-x\") == \"I\"'\ndestinations = [\"out\"]\n"
            ),
            files: &[],
            env: &[],
            error: (
                "junction.toml:18:1: routes[0].when",
                "bad terse path \"PV1-x\"",
            ),
        },
        Refused {
            name: "a declared HL7 v2 transform with a bad path",
            toml: format!(
                "{http}{PAS}\n[[destinations]]\nname = \"ris\"\ntype = \"mllp\"\naddress = \"127.0.0.1:1\"\ntransform = [{{ clear = \"PID-11\" }}, {{ set = \"PV1-x\", value = \"a\" }}]\n"
            ),
            files: &[],
            env: &[],
            error: (
                "junction.toml:14:36: destinations[0].transform[1]",
                "bad terse path \"PV1-x\"",
            ),
        },
        Refused {
            name: "PostgreSQL password in an unset variable",
            toml: format!(
                "[store]\ntype = \"postgres\"\nurl = \"postgres://junction@127.0.0.1:1/junction\"\npassword_env = \"{UNSET}\"\n"
            ),
            files: &[],
            env: &[],
            error: (
                "junction.toml:4:1: store.password_env",
                "environment variable JUNCTION_TEST_VARIABLE_NOBODY_SETS is not set",
            ),
        },
    ]
}

#[test]
fn check_refuses_what_run_refuses_in_the_same_words() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junction.toml"), &case.toml).unwrap();
        for (name, text) in case.files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let args = |cmd| [cmd, "--config", "junction.toml"];
        let check = junction(dir.path(), &args("check"), case.env);
        let run = junction(dir.path(), &args("run"), case.env);
        let check_err = String::from_utf8_lossy(&check.stderr).into_owned();
        let run_err = String::from_utf8_lossy(&run.stderr).into_owned();
        let (at, fragment) = case.error;
        let reported = check_err.lines().count() == 1
            && check_err.starts_with(&format!("{at}: "))
            && check_err.contains(fragment);
        if check.status.code() != Some(1)
            || run.status.code() != Some(1)
            || !reported
            || check_err != run_err
        {
            failures.push(format!(
                "{}: check exit {:?}, run exit {:?}\n  expected: {at}: …{fragment}…\n  check:\n{check_err}  run:\n{run_err}",
                case.name,
                check.status.code(),
                run.status.code(),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_route_kind_that_a_source_can_produce_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let fhir = "\n[[sources]]\nname = \"fhir-in\"\ntype = \"http\"\nadapter = \"fhir\"\n";
    let routes = "\n[[routes]]\nname = \"r\"\nkinds = [\"*.admitted\", \"fhir.task\", \"referral.review?d\"]\ndestinations = [\"out\"]\n";
    let toml = format!("{PAS}{fhir}{OUTBOX}{routes}");
    std::fs::write(dir.path().join("junction.toml"), toml).unwrap();
    let out = junction(dir.path(), &["check", "--config", "junction.toml"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A config in `conf/` naming its code tables, store, audit log and outbox by relative paths:
/// `check` and `run` started in the directory above find and create them under `conf/`.
#[test]
fn relative_paths_resolve_against_the_config_files_directory() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(conf.join("tables")).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/code-tables");
    for t in ["sex.csv", "ethnic.csv"] {
        std::fs::copy(shipped.join(t), conf.join("tables").join(t)).unwrap();
    }
    let toml = format!(
        "[store]\npath = \"state/junction.db\"\n\n[http]\nlisten = \"127.0.0.1:0\"\naudit_log = \"state/audit.log\"\n\n\
         [code_tables]\nsex = \"tables/sex.csv\"\nethnic = \"tables/ethnic.csv\"\n{PAS}{OUTBOX}"
    );
    std::fs::write(conf.join("junction.toml"), toml).unwrap();

    let check = junction(
        dir.path(),
        &["check", "--config", "conf/junction.toml"],
        &[],
    );
    assert!(
        check.status.success(),
        "check from the directory above: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_junction"))
        .current_dir(dir.path())
        .args(["run", "--config", "conf/junction.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start junction");
    let stdout = child.stdout.take().expect("stdout");
    let first = BufReader::new(stdout).lines().next();
    let _ = child.kill();
    let _ = child.wait();
    let line = first.expect("a ready line").expect("stdout");
    assert!(line.contains("\"ready\""), "{line}");
    assert!(conf.join("state/junction.db").exists(), "store under conf/");
    assert!(
        !dir.path().join("state").exists(),
        "nothing under the working directory"
    );
}
