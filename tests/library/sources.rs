//! Every source a shipped scenario cites resolves in docs/sources.md, and
//! no file a user sees points at notes outside the repository.

use std::collections::BTreeSet;

use nexus_mc::config::{shipped, Scenario};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The keys of the bibliography: lines `- **[KEY]** ...`.
fn bibliography() -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{ROOT}/docs/sources.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("- **["))
        .filter_map(|l| l.split_once("]**"))
        .map(|(key, _)| key.to_string())
        .collect()
}

/// The `[KEY]`s a text cites.
fn keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start + 1..].find(']') else {
            break;
        };
        let key = &rest[start + 1..start + 1 + len];
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(key.to_string());
        }
        rest = &rest[start + 1 + len..];
    }
    out
}

#[test]
fn every_source_of_every_shipped_scenario_resolves_in_the_bibliography() {
    let known = bibliography();
    assert!(
        known.contains("LBSP2025"),
        "the growth plan is in docs/sources.md"
    );
    for name in shipped::names().split(", ") {
        let s = Scenario::load(name).unwrap();
        for spec in &s.parameters {
            let cited = keys(&spec.source);
            assert!(!cited.is_empty(), "{name}: {}: cites no key", spec.param);
            for k in cited {
                assert!(
                    known.contains(&k),
                    "{name}: {}: [{k}] is not in docs/sources.md",
                    spec.param
                );
            }
        }
        for c in &s.correlations {
            for k in keys(&c.source) {
                assert!(known.contains(&k), "{name}: correlation: [{k}] unknown");
            }
        }
    }
}

#[test]
fn no_shipped_file_points_outside_the_repository() {
    let mut files: Vec<std::path::PathBuf> = ["README.md"]
        .iter()
        .map(|f| format!("{ROOT}/{f}").into())
        .collect();
    for dir in [
        "src",
        "src/cli",
        "tests",
        "docs",
        "distributions",
        "examples",
        "benches",
    ] {
        for e in std::fs::read_dir(format!("{ROOT}/{dir}")).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    // Spelled in two parts, so that this file does not match itself.
    let banned = [
        format!("{}.md", "MODEL"),
        format!("{}.md", "DESIGN"),
        format!("../{}", "shared"),
        format!("{}_a2aad4cae151af76", "001"),
        format!("verified via {}", "search"),
    ];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for b in &banned {
            assert!(!text.contains(b.as_str()), "{} mentions {b}", f.display());
        }
    }
}
