//! Every built-in template renders from the shared Sisimai corpus archive, when it is present
//! beside the project (it is not part of the repository, so the test skips without it).

use std::path::Path;
use std::process::Command;

#[test]
fn every_template_renders_from_the_shared_corpus() {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/sisimai/corpus.mbox");
    if !corpus.exists() {
        eprintln!("skipped: {} is not present", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    for template in
        ["esp-escalation", "esp-escalation.txt", "it-escalation", "triage-summary", "suppression"]
    {
        let out = dir.path().join(template);
        let status = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
            .arg("report")
            .arg(&corpus)
            .args(["-t", template, "-o"])
            .arg(&out)
            .status()
            .expect("binary runs");
        assert!(status.success(), "{template}: {status}");
        let text = std::fs::read_to_string(&out).expect("report written");
        assert!(text.len() > 10_000, "{template} is suspiciously short ({} bytes)", text.len());
    }
}
