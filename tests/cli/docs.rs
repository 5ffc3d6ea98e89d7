//! Every sample in the README and docs/ is what the program prints or
//! accepts:
//! - every command shown as `$ nexus-mc ...` in a fenced block is run, and
//!   every line shown after it (but `...`) must appear in what it prints,
//!   timing and output paths aside; a block that shows an `error:` line
//!   must exit with 2, any other with 0;
//! - a ```toml block that starts with `# file: NAME` is written to NAME
//!   for the commands of its page; every other ```toml block validates
//!   (on top of `central` when it has no `[scenario]` table);
//! - every CSV header shown is the header the program writes, and every
//!   file's header is shown in docs/outputs.md.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{nexus, stderr};

/// The README and every page under docs/, by name.
fn pages() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![(
        "README.md".to_string(),
        std::fs::read_to_string(root.join("README.md")).unwrap(),
    )];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    for path in docs {
        let name = format!("docs/{}", path.file_name().unwrap().to_string_lossy());
        pages.push((name, std::fs::read_to_string(path).unwrap()));
    }
    pages
}

/// The fenced blocks of a page: info string and lines.
fn fenced(page: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in page.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some((info.trim().to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    blocks
}

/// The commands of a page's plain fenced blocks with the lines shown for each.
fn console_examples(page: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for (info, lines) in fenced(page) {
        if !info.is_empty() {
            continue;
        }
        let mut current: Option<(Vec<String>, Vec<String>)> = None;
        for line in lines {
            if let Some(cmd) = line.strip_prefix("$ nexus-mc ") {
                out.extend(current.take());
                current = Some((
                    cmd.split_whitespace().map(String::from).collect(),
                    Vec::new(),
                ));
            } else if let Some((_, shown)) = current.as_mut() {
                if line.trim() != "..." {
                    shown.push(line);
                }
            }
        }
        out.extend(current);
    }
    out
}

/// The ```toml blocks of a page that name the file they are: (name, text).
fn named_files(page: &str) -> Vec<(String, String)> {
    fenced(page)
        .into_iter()
        .filter(|(info, _)| info == "toml")
        .filter_map(|(_, lines)| {
            let name = lines.first()?.strip_prefix("# file: ")?.trim().to_string();
            Some((name, lines.join("\n") + "\n"))
        })
        .collect()
}

/// A line without what changes from run to run: the time taken and the
/// speed, and the output directory.
fn steady(line: &str) -> String {
    let line = match line.find(" in ") {
        Some(i) if line.contains("runs/s") => &line[..i],
        _ => line,
    };
    for marker in ["outputs: ", "wrote "] {
        if let Some(i) = line.find(marker) {
            return line[..i + marker.len()].to_string();
        }
    }
    line.to_string()
}

#[test]
fn every_console_sample_is_what_the_program_prints() {
    let mut commands = 0;
    for (name, page) in pages() {
        let files = named_files(&page);
        for (args, shown) in console_examples(&page) {
            commands += 1;
            let dir = tempfile::tempdir().unwrap();
            for (file, text) in &files {
                std::fs::write(dir.path().join(file), text).unwrap();
            }
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            if args[0] != "validate" {
                args.extend(["--out", "out"]);
            }
            let o = nexus(&args, dir.path());
            let fails = shown.iter().any(|l| l.starts_with("error:"));
            let expected = if fails { 2 } else { 0 };
            assert_eq!(
                o.status.code(),
                Some(expected),
                "{name}: `nexus-mc {}`: {}",
                args.join(" "),
                stderr(&o)
            );
            let printed: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .map(steady)
                .collect();
            for line in &shown {
                assert!(
                    printed.contains(&steady(line)),
                    "{name} shows for `nexus-mc {}`:\n{line}\nbut it prints:\n{}",
                    args.join(" "),
                    printed.join("\n")
                );
            }
        }
    }
    // The README's run and bridge, the guide's run, sensitivity and
    // baseline, the scenario page's error.
    assert!(commands >= 6, "{commands} console samples found");
}

#[test]
fn every_scenario_sample_validates() {
    let mut samples = 0;
    for (name, page) in pages() {
        for (info, lines) in fenced(&page) {
            if info != "toml" || lines.first().is_some_and(|l| l.starts_with("# file: ")) {
                continue;
            }
            samples += 1;
            let text = lines.join("\n");
            let file = if text.contains("[scenario]") {
                text
            } else {
                format!("[scenario]\nname = \"sample\"\nextends = \"central\"\n\n{text}\n")
            };
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("sample.toml"), &file).unwrap();
            let o = nexus(&["validate", "sample.toml"], dir.path());
            assert!(
                o.status.success(),
                "{name}: this sample does not validate:\n{file}\n{}",
                stderr(&o)
            );
        }
    }
    assert!(samples >= 3, "{samples} scenario samples found");
}

/// The header of every CSV the program writes, by file name.
fn headers() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 4] = [
        &[
            "run",
            "-n",
            "2000",
            "--samples",
            "samples.csv",
            "--out",
            "run",
            "-q",
        ],
        &["sensitivity", "-n", "256", "--out", "sens", "-q"],
        &[
            "bridge", "-n", "1000", "--orders", "20", "--out", "bridge", "-q",
        ],
        &["baseline", "--out", "baseline"],
    ];
    for args in runs {
        let o = nexus(args, dir.path());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let mut headers = BTreeMap::new();
    for sub in ["", "run", "sens", "bridge", "baseline"] {
        for entry in std::fs::read_dir(dir.path().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                headers.insert(name, text.lines().next().unwrap().to_string());
            }
        }
    }
    assert!(headers.len() >= 14, "{:?}", headers.keys());
    headers
}

/// True when `shown` is `actual`, where the docs may write `...` for one or
/// more columns and `<each uncertain parameter>` for the parameters' columns.
fn header_matches(shown: &str, actual: &str) -> bool {
    fn go(shown: &[&str], actual: &[&str]) -> bool {
        match shown.split_first() {
            None => actual.is_empty(),
            Some((&"...", rest)) | Some((&"<each uncertain parameter>", rest)) => {
                (1..=actual.len()).any(|k| go(rest, &actual[k..]))
            }
            Some((first, rest)) => actual.first() == Some(first) && go(rest, &actual[1..]),
        }
    }
    let shown: Vec<&str> = shown.split(',').collect();
    let actual: Vec<&str> = actual.split(',').collect();
    go(&shown, &actual)
}

/// The CSV headers a page shows: (file named on the line, if any, header).
fn shown_headers(page: &str) -> Vec<(Option<String>, String)> {
    let is_header = |s: &str| {
        s.matches(',').count() >= 3
            && s.split(',').all(|c| {
                c == "..."
                    || c == "<each uncertain parameter>"
                    || (!c.is_empty()
                        && c.chars()
                            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'))
            })
    };
    let mut out = Vec::new();
    for line in page.lines() {
        if let Some(indented) = line.strip_prefix("    ") {
            if is_header(indented.trim()) {
                out.push((None, indented.trim().to_string()));
            }
        }
        // Table rows: | `file.csv` | `a,b,c` | ...
        if line.starts_with("| `") {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let file = cells.get(1).map(|c| c.trim_matches('`').to_string());
            let columns = cells.get(2).map(|c| c.trim_matches('`')).unwrap_or("");
            if file.as_deref().is_some_and(|f| f.ends_with(".csv")) && is_header(columns) {
                out.push((file, columns.to_string()));
            }
        }
    }
    out
}

#[test]
fn every_csv_header_shown_is_the_files_own() {
    let headers = headers();
    let pages = pages();
    let mut shown_count = 0;
    for (name, page) in &pages {
        for (file, shown) in shown_headers(page) {
            shown_count += 1;
            match file {
                Some(file) => {
                    let actual = headers
                        .get(&file)
                        .unwrap_or_else(|| panic!("{name} shows {file}, which no command writes"));
                    assert!(
                        header_matches(&shown, actual),
                        "{name} shows {file} as\n{shown}\nbut its header is\n{actual}"
                    );
                }
                None => assert!(
                    headers
                        .values()
                        .any(|actual| header_matches(&shown, actual)),
                    "{name} shows a header no file has:\n{shown}\nheaders: {headers:#?}"
                ),
            }
        }
    }
    assert!(shown_count >= 10, "{shown_count} headers shown");
    let outputs = &pages
        .iter()
        .find(|(n, _)| n == "docs/outputs.md")
        .unwrap()
        .1;
    let documented = shown_headers(outputs);
    for (file, actual) in &headers {
        assert!(
            documented
                .iter()
                .any(|(_, shown)| header_matches(shown, actual)),
            "docs/outputs.md does not show the header of {file}:\n{actual}"
        );
    }
}
