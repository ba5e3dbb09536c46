//! Real browser test: renders the triage summary of the bundled example archive, loads it in
//! headless Chromium with a measuring script, and checks that every chart has a rendered size
//! and every table holds the expected rows.
//!
//! Chromium is `$CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`. Without it the
//! test is skipped with a note written straight to stderr (so `cargo test` shows it, where the
//! test harness would swallow an `eprintln!`), except under CI (`CI` set to anything but
//! `false` or `0`, as `.ci/run` does with `CI=true`), where a missing browser fails the test.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium to run, if there is one.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Whether this is a CI run, where every test must really run.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "false" | "0"))
}

/// Appended before `</body>`: measures the charts and counts table rows into `#bt-result`.
const PROBE: &str = r#"<pre id="bt-result"></pre><script>
(function () {
  var out = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    out.push("chart " + svg.id + " " + Math.round(r.width) + " " + Math.round(r.height)
      + " " + svg.querySelectorAll("rect").length);
  });
  document.querySelectorAll("table[id]").forEach(function (t) {
    out.push("table " + t.id + " " + t.querySelectorAll("tbody tr").length);
  });
  out.push("evidence " + document.querySelectorAll("section.evidence").length);
  document.getElementById("bt-result").textContent = out.join("\n");
})();
</script>"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bounce_triage(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bounce-triage"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("bounce-triage runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn triage_summary_renders_in_chromium() {
    let Some(chromium) = chromium() else {
        assert!(!in_ci(), "CI is set but Chromium is missing ($CHROMIUM, or chromium on the PATH)");
        // Straight to the process's stderr: the harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "note: SKIPPED triage_summary_renders_in_chromium: no Chromium ($CHROMIUM, or \
             chromium on the PATH); install it (apt-get install chromium) to run the browser test"
        );
        return;
    };
    let html = bounce_triage(&["report", "examples/bounces.mbox", "--template", "triage-summary"]);
    let jsonl = bounce_triage(&["classify", "--quiet", "examples/bounces.mbox"]);
    let csv = bounce_triage(&["report", "examples/bounces.mbox", "--template", "suppression"]);

    let dir = tempfile::tempdir().expect("temporary folder");
    let page = dir.path().join("probe.html");
    let probe = html.replacen("</body>", &format!("{PROBE}</body>"), 1);
    std::fs::write(&page, probe).expect("write the probe page");
    let profile = dir.path().join("profile");
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2000",
    ];
    let user_dir = format!("--user-data-dir={}", profile.display());
    let url = format!("file://{}", page.display());
    let dump = Command::new(&chromium)
        .args(base)
        .arg(&user_dir)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&dump.stdout);
    let start = dom.find("<pre id=\"bt-result\">").expect("the probe page was dumped");
    let rest = &dom[start + "<pre id=\"bt-result\">".len()..];
    let result = &rest[..rest.find("</pre>").expect("end of the result")];
    assert!(!result.trim().is_empty(), "the probe script did not run: {dom:.2000}");

    // Expected rows, from classify's records and the suppression list.
    let records: Vec<serde_json::Value> =
        jsonl.lines().map(|l| serde_json::from_str(l).expect("a record")).collect();
    let failures: Vec<&serde_json::Value> =
        records.iter().filter(|r| matches!(r["kind"].as_str(), Some("bounce" | "delay"))).collect();
    let distinct = |f: &dyn Fn(&serde_json::Value) -> String| -> usize {
        failures.iter().map(|r| f(r)).collect::<BTreeSet<_>>().len()
    };
    let categories = distinct(&|r| r["verdict"]["category"].as_str().unwrap_or("unknown").into());
    let providers = distinct(&|r| r["verdict"]["provider"].as_str().unwrap_or("other").into());
    // The list is the second column (the address comes first, as in `suppress`).
    let list_rows = |name: &str| csv.lines().filter(|l| l.split(',').nth(1) == Some(name)).count();

    let mut charts = 0;
    let mut tables = std::collections::BTreeMap::new();
    for line in result.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["chart", id, w, h, rects] => {
                charts += 1;
                let (w, h, rects): (u32, u32, u32) =
                    (w.parse().unwrap(), h.parse().unwrap(), rects.parse().unwrap());
                assert!(w > 0 && h > 0, "chart {id} has no rendered size ({w}x{h})");
                assert!(rects > 0, "chart {id} has no bars");
            }
            ["table", id, rows] => {
                tables.insert((*id).to_string(), rows.parse::<usize>().unwrap());
            }
            ["evidence", n] => assert_eq!(n.parse::<usize>().unwrap(), records.len()),
            _ => panic!("unexpected probe line `{line}`"),
        }
    }
    assert_eq!(charts, 2, "{result}");
    assert_eq!(tables["t-totals"], 5);
    assert_eq!(tables["t-category"], categories);
    assert_eq!(tables["t-provider"], providers);
    assert_eq!(tables["t-suppress"], list_rows("suppress"));
    assert_eq!(tables["t-keep"], list_rows("keep"));
    assert!(tables["t-suppress"] > 0 && tables["t-keep"] > 0);
    assert!(tables["t-groups"] > 0 && tables["t-tokens"] > 0);

    // Keep a screenshot of the report itself under target/.
    let report = dir.path().join("triage-summary.html");
    std::fs::write(&report, &html).expect("write the report");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace().join("target"), PathBuf::from);
    std::fs::create_dir_all(&target).expect("target folder");
    let shot = target.join("triage-summary.png");
    let status = Command::new(&chromium)
        .args(base)
        .arg(format!("--user-data-dir={}", dir.path().join("profile2").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 0).unwrap_or(false));
}
