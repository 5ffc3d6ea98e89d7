//! Seeded property tests of the two readers that take files from outside:
//! the scenario parser and the shard-state decoder. Whatever the bytes, they
//! answer with a value or an error, never a panic; the seeds are fixed, so
//! every run checks the same cases in a few seconds.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use sha2::{Digest, Sha256};

use nexus_mc::config::{shipped, Scenario};
use nexus_mc::engine::{merge_shards, Engine, RunPlan, Shard, ShardState, STATE_FILE};
use nexus_mc::Control;

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

/// One edit of a text: replace, insert or delete a byte range, or repeat or
/// drop a line.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, String),
    Insert(usize, String),
    Delete(usize, usize),
    RepeatLine(usize),
    DropLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = prop_oneof![
        "[ -~]{0,12}",
        Just("=".to_string()),
        Just("[[correlation]]\n".to_string()),
        Just("1e308".to_string()),
        Just("-0".to_string()),
        Just("nan".to_string()),
        Just("\"".to_string()),
        Just("\n[parameters.multiplier]\n".to_string()),
        Just("extends = \"central\"\n".to_string()),
        // Shapes at the extremes a family allows (a beta this narrow once
        // hung its inversion).
        Just("1e-300".to_string()),
        Just("2e-6".to_string()),
        Just("1e9".to_string()),
        Just("0.999999999".to_string()),
        Just("\nsd = 2e-6\n".to_string()),
        Just("\nlambda = 1e12\n".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), fragment.clone()).prop_map(|(a, s)| Edit::Replace(a, s)),
        (any::<usize>(), fragment).prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        any::<usize>().prop_map(Edit::RepeatLine),
        any::<usize>().prop_map(Edit::DropLine),
    ]
}

fn apply(text: &str, e: &Edit) -> String {
    let boundary = |at: usize| {
        let mut i = at % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let lines: Vec<&str> = text.lines().collect();
    match e {
        Edit::Replace(at, s) => {
            let i = boundary(*at);
            let j = boundary(i + s.len().max(1));
            format!("{}{s}{}", &text[..i], &text[j.max(i)..])
        }
        Edit::Insert(at, s) => {
            let i = boundary(*at);
            format!("{}{s}{}", &text[..i], &text[i..])
        }
        Edit::Delete(at, n) => {
            let i = boundary(*at);
            let j = boundary(i + n);
            format!("{}{}", &text[..i], &text[j.max(i)..])
        }
        Edit::RepeatLine(k) => {
            let k = k % lines.len();
            let mut v = lines.clone();
            v.insert(k, lines[k]);
            v.join("\n")
        }
        Edit::DropLine(k) => {
            let mut v = lines.clone();
            v.remove(k % lines.len());
            v.join("\n")
        }
    }
}

/// Parses, and if the text is a valid scenario, builds an engine on it:
/// either step may refuse, neither may panic.
fn parse_and_use(text: &str) {
    match Scenario::from_toml(text, "mutant.toml") {
        Ok(s) => {
            // A valid scenario runs, or its plan is refused with a reason.
            if let Ok(engine) = Engine::new(&s, RunPlan::new(300)) {
                let mut acc = engine
                    .run(&Control::default())
                    .expect("a valid scenario runs");
                let summary = acc.summary(engine.claims());
                assert!(summary
                    .bands
                    .iter()
                    .all(|b| b.mean.is_finite() && b.std.is_finite()));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("mutant.toml"), "names the file: {msg}");
        }
    }
}

proptest! {
    #![proptest_config(config(300, 0x5ce0_a210))]

    /// Mutants of the shipped central scenario: every one parses to a
    /// scenario that runs, or to an error naming the file.
    #[test]
    fn mutated_scenarios_are_read_or_refused_never_a_panic(
        edits in prop::collection::vec(edit(), 1..4)
    ) {
        let mut text = shipped::find("central").unwrap().to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        parse_and_use(&text);
    }
}

proptest! {
    #![proptest_config(config(200, 0x70_6d1))]

    /// Arbitrary short texts, TOML-like or not.
    #[test]
    fn arbitrary_texts_are_refused_never_a_panic(text in "[\\[\\]a-z_=\"0-9.\\n -]{0,200}") {
        parse_and_use(&text);
    }
}

/// The state of shard `index` of 2 of a small run of central.
fn state(index: u64) -> Vec<u8> {
    let scenario = Scenario::load("central").unwrap();
    crate::common::shard_state_bytes(&scenario, RunPlan::new(9000), Shard { index, count: 2 })
}

/// The bytes of a valid shard state: shard 1 of 2.
fn state_bytes() -> Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| state(1)).clone()
}

/// Reads `bytes` as a shard state; if they decode, merges them with a
/// genuine shard 0: a damaged but decodable state is refused by its checks,
/// or merges without a panic into finite bands.
fn read_and_merge(bytes: &[u8], shard0: &std::path::Path) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(STATE_FILE), bytes).unwrap();
    match ShardState::read(dir.path()) {
        Err(e) => assert!(e.0.contains(STATE_FILE), "names the file: {e}"),
        Ok(_) => {
            if let Ok((identity, mut acc)) =
                merge_shards(&[shard0.to_path_buf(), dir.path().to_path_buf()])
            {
                let summary = acc.summary(&identity.claims);
                assert!(summary
                    .bands
                    .iter()
                    .all(|b| b.mean.is_finite() && b.std.is_finite()));
            }
        }
    }
}

/// Shard 0 of the same run, on disk.
fn shard0() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), state(0)).unwrap();
        dir
    })
    .path()
}

proptest! {
    #![proptest_config(config(150, 0x5a2d))]

    /// Changed bytes with the checksum left as it was: always refused.
    #[test]
    fn a_changed_state_is_refused_by_its_checksum(
        at in any::<usize>(), byte in any::<u8>()
    ) {
        let mut bytes = state_bytes();
        let i = at % bytes.len();
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), &bytes).unwrap();
        let err = ShardState::read(dir.path()).unwrap_err();
        prop_assert!(err.0.contains(STATE_FILE), "{}", err);
    }

    /// Changed bytes with a recomputed checksum, as a deliberate forgery or
    /// a bug in a writer would give: the decoder and the state checks must
    /// still answer without a panic, and anything they accept merges.
    #[test]
    fn a_forged_state_is_refused_or_merges_never_a_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)
    ) {
        let bytes = state_bytes();
        let mut body = bytes[..bytes.len() - 32].to_vec();
        // Keep the header, so that the decoder itself is exercised.
        let header = 20;
        for (at, byte) in edits {
            let i = header + at % (body.len() - header);
            body[i] = byte;
        }
        let digest = Sha256::digest(&body);
        body.extend_from_slice(&digest);
        read_and_merge(&body, shard0());
    }
}
