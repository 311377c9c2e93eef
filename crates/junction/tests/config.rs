//! `junction check`, run as a real process: every shipped config passes, and each broken config
//! in the table below is reported with the exact file, line, column and key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_junction"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("run junction")
}

fn shipped_configs() -> Vec<String> {
    let mut files = vec!["config/junction.toml".to_owned()];
    let mut examples: Vec<String> = std::fs::read_dir(repo_root().join("config/examples"))
        .expect("config/examples")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("config/examples/{n}"))
        .collect();
    examples.sort();
    files.extend(examples);
    files
}

#[test]
fn every_shipped_config_passes() {
    let files = shipped_configs();
    for name in ["mllp-tls.toml", "fhir-forwarding.toml", "mllp-relay.toml"] {
        assert!(
            files.contains(&format!("config/examples/{name}")),
            "{name} missing"
        );
    }
    for file in files {
        // `check` refuses an unset `*_env` variable, as `run` does: give each one the config
        // names a value, as the operator's environment would.
        let text = std::fs::read_to_string(repo_root().join(&file)).expect("read config");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_junction"));
        for var in env_vars_named(&text) {
            cmd.env(var, "a-test-secret-of-32-characters!!");
        }
        let out = cmd
            .current_dir(repo_root())
            .args(["check", "--config", &file])
            .output()
            .expect("run junction");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("config OK: "), "{file}: {stdout}");
    }
}

/// The environment variables a config's `*_env` keys name (comments skipped).
fn env_vars_named(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| {
            let (key, value) = l.split_once('=')?;
            key.trim()
                .ends_with("_env")
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .collect()
}

#[test]
fn default_config_is_the_embedded_one() {
    let out = check(&repo_root(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "config OK: 5 sources, 4 destinations, 5 routes\n"
    );
}

#[test]
fn a_missing_config_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &["--config", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("nope.toml: cannot read config:"),
        "{stderr}"
    );
}

/// A broken config: its text, extra files to write beside it, and the errors expected, in
/// order, each as (`file:line:column: key`, a fragment of the message).
struct Case {
    name: &'static str,
    toml: &'static str,
    files: &'static [(&'static str, &'static str)],
    errors: &'static [(&'static str, &'static str)],
}

const MLLP_PAS: &str = "[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\n";

const CASES: &[Case] = &[
    Case {
        name: "syntax error",
        toml: "[node]\nname = \"junction\n",
        files: &[],
        errors: &[("junction.toml:2:17", "TOML syntax: invalid basic string")],
    },
    Case {
        name: "unknown key in a source",
        toml: "[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\nport = 2575\n",
        files: &[],
        errors: &[("junction.toml:6:1: sources[0].port", "unknown field `port`")],
    },
    Case {
        name: "unknown section",
        toml: "[node]\nname = \"a\"\n\n[nodes]\nname = \"b\"\n",
        files: &[],
        errors: &[("junction.toml:4:2: nodes", "unknown section")],
    },
    Case {
        name: "duplicate destination name",
        toml: "[[destinations]]\nname = \"out\"\ntype = \"file\"\ndir = \"a\"\n\n[[destinations]]\nname = \"out\"\ntype = \"file\"\ndir = \"b\"\n",
        files: &[],
        errors: &[(
            "junction.toml:7:1: destinations[1].name",
            "duplicate destination name \"out\" (first used on line 2)",
        )],
    },
    Case {
        name: "unknown destination in a route",
        toml: "[[destinations]]\nname = \"fhir\"\ntype = \"fhir_http\"\nurl = \"http://127.0.0.1:8090/fhir\"\n\n[[destinations]]\nname = \"outbox\"\ntype = \"file\"\ndir = \"out\"\n\n[[routes]]\nname = \"patients\"\ndestinations = [\"outbox\", \"fhirr\"]\n",
        files: &[],
        errors: &[(
            "junction.toml:13:27: routes[0].destinations[1]",
            "unknown destination \"fhirr\" (known: fhir, outbox)",
        )],
    },
    Case {
        name: "unknown adapter",
        toml: "[[sources]]\nname = \"lab\"\ntype = \"http\"\nadapter = \"lims\"\n",
        files: &[],
        errors: &[(
            "junction.toml:4:1: sources[0].adapter",
            "unknown adapter \"lims\" (built in: pas, pacs, prescribing, fhir, ers, dicom)",
        )],
    },
    Case {
        name: "bad duration",
        toml: "[[destinations]]\nname = \"out\"\ntype = \"file\"\ndir = \"out\"\nbreaker = { failures = 5, cool_down = \"30 secs\" }\n",
        files: &[],
        errors: &[(
            "junction.toml:5:39: destinations[0].breaker.cool_down",
            "invalid duration \"30 secs\"",
        )],
    },
    Case {
        name: "bad size",
        toml: "[[sources]]\nname = \"in\"\ntype = \"http\"\nadapter = \"pas\"\nmax_body = \"20MB\"\n",
        files: &[],
        errors: &[(
            "junction.toml:5:12: sources[0].max_body",
            "invalid size \"20MB\"",
        )],
    },
    Case {
        name: "bad listen address",
        toml: "[http]\nlisten = \"localhost:8080\"\n",
        files: &[],
        errors: &[(
            "junction.toml:2:10: http.listen",
            "invalid address \"localhost:8080\"",
        )],
    },
    Case {
        name: "clashing listeners",
        toml: "[http]\nlisten = \"0.0.0.0:2575\"\n\n[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\n",
        files: &[],
        errors: &[
            (
                "junction.toml:2:1: http.listen",
                "admin API has no tokens but the HTTP listener 0.0.0.0:2575 is not loopback",
            ),
            (
                "junction.toml:7:1: sources[0].listen",
                "address 127.0.0.1:2575 clashes with http.listen (line 2)",
            ),
        ],
    },
    Case {
        name: "missing TLS file",
        toml: "[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\n\n[sources.tls]\ncert = \"server.pem\"\nkey = \"server.key\"\n",
        files: &[(
            "server.pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )],
        errors: &[(
            "junction.toml:9:1: sources[0].tls.key",
            "cannot read \"server.key\": no such file",
        )],
    },
    Case {
        name: "TLS files swapped",
        toml: "[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\ntls = { cert = \"k.pem\", key = \"k.pem\" }\n",
        files: &[(
            "k.pem",
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        )],
        errors: &[(
            "junction.toml:6:9: sources[0].tls.cert",
            "\"k.pem\" does not hold a PEM certificate",
        )],
    },
    Case {
        name: "bad token role",
        toml: "[[http.tokens]]\nname = \"ops\"\ntoken_file = \"ops.token\"\nrole = \"root\"\n",
        files: &[("ops.token", "s3cret\n")],
        errors: &[(
            "junction.toml:4:8: http.tokens[0].role",
            "unknown variant `root`, expected one of `viewer`, `operator`, `admin`",
        )],
    },
    Case {
        name: "token with both file and env",
        toml: "[[http.tokens]]\nname = \"ops\"\ntoken_file = \"ops.token\"\ntoken_env = \"OPS_TOKEN\"\nrole = \"viewer\"\n",
        files: &[("ops.token", "s3cret\n")],
        errors: &[(
            "junction.toml:1:1: http.tokens[0]",
            "set token_file or token_env, not both",
        )],
    },
    Case {
        name: "broken code-table CSV",
        toml: "[code_tables]\nsex = \"sex.csv\"\n",
        files: &[("sex.csv", "local,code,display\nM,1,Male\nF,,Female\n")],
        errors: &[("sex.csv:3:1: code_tables.sex", "empty `code` field")],
    },
    Case {
        name: "missing code-table file",
        toml: "[code_tables]\nward = \"ward.csv\"\n",
        files: &[],
        errors: &[(
            "junction.toml:2:1: code_tables.ward",
            "cannot read \"ward.csv\": no such file",
        )],
    },
    Case {
        name: "postgres url",
        toml: "[store]\ntype = \"postgres\"\nurl = \"mysql://junction@db/junction\"\n",
        files: &[],
        errors: &[("junction.toml:3:1: store.url", "expected a PostgreSQL URL")],
    },
    Case {
        name: "unknown destination type",
        toml: "[[destinations]]\nname = \"fax\"\ntype = \"fax\"\n",
        files: &[],
        errors: &[(
            "junction.toml:3:8: destinations[0].type",
            "unknown type \"fax\" (known: fhir_http, mllp, file, ers, eps, mesh, dicom_store)",
        )],
    },
    Case {
        name: "dicom source: AE titles, PDU size, adapter and instance retention",
        toml: "[[sources]]\nname = \"modalities\"\ntype = \"dicom\"\nlisten = \"127.0.0.1:11112\"\nadapter = \"pas\"\nae_title = \"JUNCTION_GATEWAY_1\"\naccepted_calling_aes = [\"CT1\", \"  \"]\nstore_path = \"dicom\"\nmax_pdu = \"1KiB\"\nkeep_instances = \"2h\"\n",
        files: &[],
        errors: &[
            (
                "junction.toml:5:1: sources[0].adapter",
                "use adapter = \"dicom\"",
            ),
            (
                "junction.toml:6:1: sources[0].ae_title",
                "AE title longer than 16 characters",
            ),
            (
                "junction.toml:7:32: sources[0].accepted_calling_aes[1]",
                "empty AE title",
            ),
            (
                "junction.toml:9:1: sources[0].max_pdu",
                "must be between 4 KiB and 4 GiB",
            ),
            (
                "junction.toml:10:1: sources[0].keep_instances",
                "must be at least 1 day",
            ),
        ],
    },
    Case {
        name: "dicom_store without a DICOM source to take store_path from",
        toml: "[[destinations]]\nname = \"pacs\"\ntype = \"dicom_store\"\naddress = \"pacs.example.nhs.uk:104\"\ncalled_ae = \"PACS\\\\1\"\ncalling_ae = \"JUNCTION\"\n",
        files: &[],
        errors: &[
            ("junction.toml:1:1: destinations[0]", "missing store_path"),
            (
                "junction.toml:5:1: destinations[0].called_ae",
                "AE title has a backslash",
            ),
        ],
    },
    Case {
        name: "missing required key",
        toml: "[[destinations]]\nname = \"fhir\"\ntype = \"fhir_http\"\n",
        files: &[],
        errors: &[(
            "junction.toml:1:1: destinations[0].url",
            "missing field `url`",
        )],
    },
    Case {
        name: "bad URL and zero retries",
        toml: "[[destinations]]\nname = \"fhir\"\ntype = \"fhir_http\"\nurl = \"ftp://fhir.example/R4\"\nretry = { max_attempts = 0 }\n",
        files: &[],
        errors: &[
            (
                "junction.toml:4:1: destinations[0].url",
                "invalid URL \"ftp://fhir.example/R4\"",
            ),
            (
                "junction.toml:5:11: destinations[0].retry.max_attempts",
                "must be greater than 0",
            ),
        ],
    },
    Case {
        name: "two errors at once, in different sections",
        toml: "[log]\nformat = \"xml\"\n\n[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\nidle_timeout = \"5\"\n",
        files: &[],
        errors: &[
            (
                "junction.toml:2:10: log.format",
                "unknown variant `xml`, expected `text` or `json`",
            ),
            (
                "junction.toml:9:16: sources[0].idle_timeout",
                "invalid duration \"5\"",
            ),
        ],
    },
    Case {
        name: "several bad keys in one table",
        toml: "[[sources]]\nname = \"pas\"\ntype = \"mllp\"\nlisten = \"127.0.0.1:2575\"\nadapter = \"pas\"\nmax_frame = \"lots\"\nidle_timeout = \"forever\"\ncolour = \"red\"\n",
        files: &[],
        errors: &[
            (
                "junction.toml:6:13: sources[0].max_frame",
                "invalid size \"lots\"",
            ),
            (
                "junction.toml:7:16: sources[0].idle_timeout",
                "invalid duration \"forever\"",
            ),
            (
                "junction.toml:8:1: sources[0].colour",
                "unknown field `colour`",
            ),
        ],
    },
];

#[test]
fn broken_configs_are_reported_with_file_line_and_key() {
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junction.toml"), case.toml).unwrap();
        for (name, text) in case.files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let out = check(dir.path(), &["--config", "junction.toml"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let matches = lines.len() == case.errors.len()
            && lines.iter().zip(case.errors).all(|(line, (at, fragment))| {
                line.starts_with(&format!("{at}: ")) && line.contains(fragment)
            });
        if out.status.code() != Some(1) || !out.stdout.is_empty() || !matches {
            failures.push(format!(
                "{}: exit {:?}\n  expected: {:?}\n  got:\n{stderr}",
                case.name,
                out.status.code(),
                case.errors
            ));
        }
    }
    assert!(CASES.len() >= 12);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_from_every_section_are_all_reported_sorted_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "{MLLP_PAS}\n[[routes]]\nname = \"r\"\nsources = [\"pas\", \"ris\"]\ndestinations = [\"nowhere\"]\n\n[node]\nname = \"bad name\"\n"
    );
    std::fs::write(dir.path().join("junction.toml"), toml).unwrap();
    let out = check(dir.path(), &["--config", "junction.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let keys: Vec<&str> = stderr
        .lines()
        .map(|l| l.split(": ").nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "routes[0].sources[1]",
            "routes[0].destinations[0]",
            "node.name"
        ],
        "{stderr}"
    );
}
