//! Real browser test: renders the triage summary of the bundled example archive, loads it in
//! headless Chromium with a measuring script, and checks that every chart has a rendered size,
//! that no two series of a chart share a colour (as Chromium computes it), that every chart's
//! bars equal its table and the breakdown tables, and that every table holds the expected rows.
//!
//! Chromium is `$CHROMIUM`, else `chromium` or `chromium-browser` on the `PATH`. Without it the
//! test is skipped with a note written straight to stderr (so `cargo test` shows it, where the
//! test harness would swallow an `eprintln!`), except under CI (`CI` set to anything but
//! `false` or `0`, as `.ci/run` does with `CI=true`), where a missing browser fails the test.

use std::collections::{BTreeMap, BTreeSet};
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

/// Appended before `</body>`: measures the charts, reads each bar's series, count and rendered
/// colour, each chart table's rows with their swatch colour, and counts table rows, into
/// `#bt-result` (one tab-separated line per fact).
const PROBE: &str = r##"<pre id="bt-result"></pre><script>
(function () {
  var out = [];
  var line = function (parts) { out.push(parts.join("\t")); };
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    line(["chart", svg.id, Math.round(r.width), Math.round(r.height),
      svg.querySelectorAll("rect").length]);
    svg.querySelectorAll("rect").forEach(function (rect) {
      line(["bar", svg.id, rect.getAttribute("data-series"), getComputedStyle(rect).fill,
        rect.getAttribute("data-count")]);
    });
  });
  document.querySelectorAll("table[id]").forEach(function (t) {
    line(["table", t.id, t.querySelectorAll("tbody tr").length]);
  });
  document.querySelectorAll("table.chart-data tbody tr").forEach(function (tr) {
    var cells = tr.querySelectorAll("td");
    var swatch = tr.querySelector("i.swatch");
    line(["series", tr.closest("table").id, tr.getAttribute("data-series"),
      tr.getAttribute("data-members"), getComputedStyle(swatch).backgroundColor,
      cells[1].textContent, cells[2].textContent, cells[3].textContent]);
  });
  ["t-category", "t-provider"].forEach(function (id) {
    document.querySelectorAll("#" + id + " tbody tr").forEach(function (tr) {
      var cells = tr.querySelectorAll("td");
      line(["count", id, cells[0].textContent, cells[1].textContent]);
    });
  });
  document.querySelectorAll("#t-action tr.subtotal").forEach(function (tr) {
    line(["list", tr.closest("tbody").getAttribute("data-list"),
      tr.querySelectorAll("td")[0].textContent]);
  });
  line(["evidence", document.querySelectorAll("section.evidence").length]);
  document.getElementById("bt-result").textContent = out.join("\n");
})();
</script>"##;

/// One row of a chart's table, as Chromium shows it.
struct SeriesRow {
    name: String,
    /// The names a merged series stands for.
    members: Vec<String>,
    /// The swatch's computed colour.
    colour: String,
    dated: u64,
    undated: u64,
    total: u64,
}

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
    let mut tables = BTreeMap::new();
    // Per chart: the fills and summed counts of each series' bars.
    let mut bars: BTreeMap<(String, String), (BTreeSet<String>, u64)> = BTreeMap::new();
    // Per chart table: its rows.
    let mut series: BTreeMap<String, Vec<SeriesRow>> = BTreeMap::new();
    let mut breakdown: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut lists: BTreeMap<String, usize> = BTreeMap::new();
    let number = |text: &str| -> u64 { text.trim().parse().expect("a number") };
    for line in result.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        match parts.as_slice() {
            ["chart", id, w, h, rects] => {
                charts += 1;
                let (w, h, rects) = (number(w), number(h), number(rects));
                assert!(w > 0 && h > 0, "chart {id} has no rendered size ({w}x{h})");
                assert!(rects > 0, "chart {id} has no bars");
            }
            ["bar", chart, name, fill, count] => {
                let entry = bars.entry(((*chart).to_string(), (*name).to_string())).or_default();
                entry.0.insert((*fill).to_string());
                entry.1 += number(count);
            }
            ["table", id, rows] => {
                tables.insert((*id).to_string(), rows.parse::<usize>().unwrap());
            }
            ["series", table, name, members, colour, dated, undated, total] => {
                let members = members.split(',').filter(|m| !m.is_empty()).map(String::from);
                series.entry((*table).to_string()).or_default().push(SeriesRow {
                    name: (*name).to_string(),
                    members: members.collect(),
                    colour: (*colour).to_string(),
                    dated: number(dated),
                    undated: number(undated),
                    total: number(total),
                });
            }
            ["count", table, name, count] => {
                breakdown.insert(((*table).to_string(), (*name).to_string()), number(count));
            }
            ["list", name, addresses] => {
                lists.insert((*name).to_string(), usize::try_from(number(addresses)).unwrap());
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
    assert_eq!(tables["t-start"], 3, "start here: the top three actions");
    // The actions table's lists are the lists below it: "suppress" is one list everywhere.
    assert_eq!(lists["suppress"], tables["t-suppress"]);
    assert_eq!(lists["keep"], tables["t-keep"]);

    // Every chart: one colour per series, no two series alike (as Chromium renders them),
    // each series' bars sum to its table row, and each row equals the breakdown table.
    for (chart, breakdown_table) in
        [("chart-category", "t-category"), ("chart-provider", "t-provider")]
    {
        let rows = &series[&format!("t-{chart}")];
        assert!(!rows.is_empty(), "{chart} has a table");
        let mut colours = BTreeSet::new();
        let mut failures_total = 0;
        for SeriesRow { name, members, colour, dated, undated, total } in rows {
            assert_eq!(dated + undated, *total, "{chart} {name}");
            let (fills, count) =
                bars.get(&(chart.to_string(), name.clone())).cloned().unwrap_or_default();
            assert!(fills.len() <= 1, "{chart}: series {name} is drawn in {fills:?}");
            assert_eq!(count, *dated, "{chart}: the bars of {name} are not its table row");
            if let Some(fill) = fills.first() {
                assert_eq!(fill, colour, "{chart}: {name}'s swatch is not its bars' colour");
            }
            assert!(colours.insert(colour.clone()), "{chart}: two series share {colour}");
            let names = if members.is_empty() { std::slice::from_ref(name) } else { members };
            let expected: u64 = names
                .iter()
                .map(|n| {
                    breakdown.get(&(breakdown_table.to_string(), n.clone())).copied().unwrap_or(0)
                })
                .sum();
            assert_eq!(*total, expected, "{chart}: {name} differs from {breakdown_table}");
            failures_total += total;
        }
        assert_eq!(usize::try_from(failures_total).unwrap(), failures.len(), "{chart}");
        // No bar belongs to a series the table does not list.
        for (c, name) in bars.keys() {
            if c == chart {
                assert!(rows.iter().any(|r| &r.name == name), "{chart}: bar of unknown {name}");
            }
        }
    }

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
