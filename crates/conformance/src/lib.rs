//! The conformance suite's one shared fact: where NHS England's published specs and examples are.
//! `tests/run` runs this crate's tests when it finds them and says loudly when it does not.

use std::path::PathBuf;

/// The specs directory: `$JUNCTION_SPECS`, else `../shared/specs` beside the repository. Panics,
/// failing the test with the path it looked at, when it is not there: the suite never passes
/// without the examples it compares against.
pub fn specs() -> PathBuf {
    let dir = std::env::var_os("JUNCTION_SPECS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"),
        PathBuf::from,
    );
    assert!(
        dir.join("eps/examples").is_dir(),
        "the conformance suite needs NHS England's published specs at {} (set JUNCTION_SPECS)",
        dir.display()
    );
    dir
}
