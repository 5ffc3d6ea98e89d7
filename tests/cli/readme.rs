//! The README's worked example is what the program prints: every command
//! shown as `$ nexus-mc ...` in a fenced block is run, and every line shown
//! after it (but `...`) must appear in its output, timing aside.

use crate::common::{nexus, stderr};

/// The commands of the README's fenced blocks with the lines shown for each.
fn examples(readme: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut current: Option<(Vec<String>, Vec<String>)> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            out.extend(current.take());
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ nexus-mc ") {
            out.extend(current.take());
            current = Some((
                cmd.split_whitespace().map(String::from).collect(),
                Vec::new(),
            ));
        } else if let Some((_, shown)) = current.as_mut() {
            if line.trim() != "..." {
                shown.push(line.to_string());
            }
        }
    }
    out.extend(current);
    out
}

/// A line without what changes from run to run: the time taken and the
/// speed, and the output directory.
fn steady(line: &str) -> String {
    let line = match line.find(" in ") {
        Some(i) if line.contains("runs/s") => &line[..i],
        _ => line,
    };
    match line.find("outputs: ") {
        Some(i) => line[..i + "outputs: ".len()].to_string(),
        None => line.to_string(),
    }
}

#[test]
fn the_readme_example_is_what_the_program_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 2, "the README shows run and bridge");
    for (args, shown) in examples {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--out", "out"]);
        let o = nexus(&args, dir.path());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let printed: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(steady)
            .collect();
        for line in &shown {
            assert!(
                printed.contains(&steady(line)),
                "README shows for `nexus-mc {}`:\n{line}\nbut it prints:\n{}",
                args.join(" "),
                printed.join("\n")
            );
        }
    }
}
