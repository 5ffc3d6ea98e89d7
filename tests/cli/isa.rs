//! The same bytes on every instruction set: pinned SHA-256 of `bands.csv`
//! and `claims.csv` for every shipped scenario and sampler, on every path
//! this processor runs (`NEXUS_MC_ISA`), and the refusals of the variable;
//! and the same on an emulated processor without AVX-512 (QEMU's user-mode
//! emulator), where the engine must choose `avx2` by itself.
//!
//! The pins are value-stability checks in the manner of rand_distr's: they
//! fail when any path, on any machine, changes a byte. The Monte Carlo pins
//! were taken from outputs byte-identical to the build whose bands and
//! claims were checked against an independent implementation; a deliberate
//! change of the numbers must update them and say why in CHANGELOG.md.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use crate::assert_same_files;
use crate::common::{assert_bad_input, read};
use nexus_mc::arch::Isa;
use sha2::{Digest, Sha256};

/// Runs of each pinned output set: eight chunks, enough for the sketch's
/// pilot and for Iman-Conover's full chunks, few enough for a debug build.
const RUNS: &str = "16384";
const SEED: &str = "2024";

/// (scenario, sampler, SHA-256 of bands.csv, SHA-256 of claims.csv).
const GOLDEN: &[(&str, &str, &str, &str)] = &[
    (
        "alt-tax",
        "mc",
        "89cc165c11d30e3cd95a6ddcef3020c546d38215e175da62288c9372b2e04f46",
        "6da7f82c9ee01ceb3c9f5ce66edafc25452fa3837c686cfc3ca2429199fc8654",
    ),
    (
        "alt-tax",
        "lhs",
        "de3285e97fdfa92b968e30519c08cedd9af5b610f8aba8c32a22cc0813033e1c",
        "89bcbb4af4edd61b222b10183e3ad0116d422ef489a81bee2ea8fad35a83d8c7",
    ),
    (
        "alt-tax",
        "sobol",
        "f4ae342c5d62ad9413de78ee18704f0efedcfe660136bdada48affbd08de9f76",
        "becab8f813244a565ba919d3f5152d700699b6b935b393ea9faba70dc57c9687",
    ),
    (
        "central",
        "mc",
        "825606e2eb0f451942c74753c78e14f5a29b7911520a39c04022094a02119f58",
        "b668431b02c0ea5705f5af660fa1bad4c708247602a8ddb3d896c0ef2646d40c",
    ),
    (
        "central",
        "lhs",
        "506ec4486da0cb3a813d5f5f5b8f105e88595bb22264f6492e34c0f0c7f8ecfa",
        "82d0a10713f4fb9e6516b20bb42598ccc6260a2f7b8cfbbfd2d572f1c4661e23",
    ),
    (
        "central",
        "sobol",
        "bc7a4dcfa810bd4d009f7a85a0e3a6eb02643f2ce6b1173a7f1508400c3516d8",
        "d66cea0324ba2e7c662ecee17b0156e3f3c571a88a58f88910997fd7300a4f84",
    ),
    (
        "kpmg-point",
        "mc",
        "9ebf2ce67a15fb3d2f3ab99830cc737a254770d43c54f3feb886685b85d2bf8d",
        "b2db9e9043ba9c67ec013cfcaa8e14127840a6c2e5bdbf98b90519894a999228",
    ),
    (
        "kpmg-point",
        "lhs",
        "9ebf2ce67a15fb3d2f3ab99830cc737a254770d43c54f3feb886685b85d2bf8d",
        "b2db9e9043ba9c67ec013cfcaa8e14127840a6c2e5bdbf98b90519894a999228",
    ),
    (
        "kpmg-point",
        "sobol",
        "9ebf2ce67a15fb3d2f3ab99830cc737a254770d43c54f3feb886685b85d2bf8d",
        "b2db9e9043ba9c67ec013cfcaa8e14127840a6c2e5bdbf98b90519894a999228",
    ),
    (
        "optimism-bias",
        "mc",
        "8a752c14da974f5b86c20561b1c009fa5d13392081a52d3a30b19acdd179e294",
        "2f2ca8474b064e1f3aff6b45e82234e20790a3699b3ad0680794f06e91c4b3e7",
    ),
    (
        "optimism-bias",
        "lhs",
        "f404977dadd69002e3aac91eccb32ac264f8a19535f5008c3be37017ca967859",
        "a38fc8f83c76646209f45691b5d7d4b1be78e5ff11ed1c86b9646b6b773c052b",
    ),
    (
        "optimism-bias",
        "sobol",
        "405c9a4167d966c81486fc70bf500b02e76a4fbee98fe3ebd314b460de48d11a",
        "139f92b4087e76af583c0c4e9731c547263a17300e2896382f7ad091562ab3f8",
    ),
    (
        "plan-as-written",
        "mc",
        "7f419c1b3448827cfced48c849e94e8b49ca39344893481a2d1bfdb708ad7376",
        "1e69d256540eacbb39b5a26c5fa6337836ba19cb3ea517bd526e9c5dfe37f185",
    ),
    (
        "plan-as-written",
        "lhs",
        "70065d92c9d8f067b58bbaba8b138a6dd750b25c64e5c76272fa24247fb9f103",
        "8779832d4930f6cb84259b3e62731610cb8cb8fe5745fa86b2c0a1c6ff4626aa",
    ),
    (
        "plan-as-written",
        "sobol",
        "935e9c15ee93a6c890b173e6fa2b8ca1106a0c266372c013af021cb9ebefd612",
        "bac5a62316d7e2f2e6c4bd2b200997ed9ecea28f0faa71ed36fa777eaee4c4be",
    ),
];

/// `nexus-mc args` in `cwd` with `NEXUS_MC_ISA` set to `isa`.
fn nexus_on(isa: &str, args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .env("NEXUS_MC_ISA", isa)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The paths this processor runs; those it lacks are said on stderr
/// (outside the harness's capture), since they go untested here.
fn paths(test: &str) -> Vec<Isa> {
    let missing: Vec<&str> = Isa::ALL
        .into_iter()
        .filter(|isa| !isa.is_available())
        .map(Isa::name)
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "note: {test}: not run on this processor, which lacks: {}",
            missing.join(", ")
        );
    }
    Isa::ALL
        .into_iter()
        .filter(|isa| isa.is_available())
        .collect()
}

/// Every shipped scenario and sampler gives the pinned bytes on every path
/// (one thread on some, two on others), and the manifest names the path.
#[test]
fn every_path_gives_the_pinned_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (k, isa) in paths("every_path_gives_the_pinned_bytes")
        .into_iter()
        .enumerate()
    {
        let threads = ["1", "2"][k % 2];
        for &(scenario, sampler, bands, claims) in GOLDEN {
            let out = dir
                .path()
                .join(format!("{}-{scenario}-{sampler}", isa.name()));
            let o = nexus_on(
                isa.name(),
                &[
                    "run",
                    "--config",
                    scenario,
                    "--sampler",
                    sampler,
                    "-n",
                    RUNS,
                    "--seed",
                    SEED,
                    "--quantiles",
                    "sketch",
                    "--threads",
                    threads,
                    "--quiet",
                    "--out",
                    out.to_str().unwrap(),
                ],
                dir.path(),
            );
            assert!(o.status.success(), "{}", crate::common::stderr(&o));
            let manifest: serde_json::Value =
                serde_json::from_str(&read(&out, "manifest.json")).unwrap();
            assert_eq!(manifest["isa"], isa.name());
            let got = (
                sha256(&out.join("bands.csv")),
                sha256(&out.join("claims.csv")),
            );
            if (got.0.as_str(), got.1.as_str()) != (bands, claims) {
                wrong.push(format!(
                    "    ({scenario:?}, {sampler:?}, {:?}, {:?}), // on {}",
                    got.0,
                    got.1,
                    isa.name()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "outputs differ from the pins:\n{}",
        wrong.join("\n")
    );
}

/// Shards run on different paths merge into the single run's bytes, as on
/// a cluster of mixed processors.
#[test]
fn shards_on_different_paths_merge_to_the_same_bytes() {
    let available = paths("shards_on_different_paths_merge_to_the_same_bytes");
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let plan = [
        "--config",
        "central",
        "-n",
        "12000",
        "--quantiles",
        "sketch",
        "--quiet",
    ];
    let single = nexus_on(
        available[0].name(),
        &[&["run"], &plan[..], &["--out", &d("single")]].concat(),
        dir.path(),
    );
    assert!(
        single.status.success(),
        "{}",
        crate::common::stderr(&single)
    );
    for k in 0..3 {
        let isa = available[(k + 1) % available.len()].name();
        let shard = format!("{k}/3");
        let o = nexus_on(
            isa,
            &[
                &["run"],
                &plan[..],
                &["--shard", &shard, "--out", &d(&format!("s{k}"))],
            ]
            .concat(),
            dir.path(),
        );
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
    }
    let merged = nexus_on(
        available[available.len() - 1].name(),
        &[
            "merge",
            &d("s0"),
            &d("s1"),
            &d("s2"),
            "--out",
            &d("merged"),
            "--quiet",
        ],
        dir.path(),
    );
    assert!(
        merged.status.success(),
        "{}",
        crate::common::stderr(&merged)
    );
    assert_same_files(
        &dir.path().join("single"),
        &dir.path().join("merged"),
        &["bands.csv", "claims.csv", "histogram.csv"],
    );
}

/// The emulated processor: QEMU's `max` model (AVX2 and FMA; AVX-512
/// removed, should an emulator one day offer it).
const EMULATED_CPU: &str = "max,-avx512f";

/// `nexus-mc args` in `cwd` under QEMU's user-mode emulator with processor
/// `EMULATED_CPU`, with `NEXUS_MC_ISA` set to `isa` or unset; `None` if the
/// emulator is not installed (a failure in CI, which must install it).
fn nexus_emulated(isa: Option<&str>, args: &[&str], cwd: &Path) -> Option<Output> {
    let mut command = Command::new("qemu-x86_64");
    command
        .args(["-cpu", EMULATED_CPU, env!("CARGO_BIN_EXE_nexus-mc")])
        .args(args)
        .env_remove("NEXUS_MC_ISA")
        .current_dir(cwd);
    if let Some(isa) = isa {
        command.env("NEXUS_MC_ISA", isa);
    }
    match command.output() {
        Ok(o) => Some(o),
        Err(e) => {
            let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !in_ci,
                "qemu-x86_64 is missing in CI ({e}); .ci/run must install it \
                 (apt-get install qemu-user)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "skipped: qemu-x86_64 is not installed ({e}); apt-get install qemu-user \
                 to run the emulated processor's check"
            );
            None
        }
    }
}

/// On a processor without AVX-512 (emulated, since the test machines may
/// all have it), the engine chooses `avx2` by itself, every pinned output
/// set comes out byte for byte, and forcing `avx512` is refused with exit 2.
/// `cfg(target_arch)`: the emulator runs x86-64 binaries.
#[cfg(target_arch = "x86_64")]
#[test]
fn an_emulated_processor_without_avx512_chooses_avx2_and_gives_the_pinned_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(refused) = nexus_emulated(Some("avx512"), &["validate", "central"], dir.path()) else {
        return;
    };
    assert_bad_input(&refused, "does not have avx512");
    let mut wrong = Vec::new();
    for &(scenario, sampler, bands, claims) in GOLDEN {
        let out = dir.path().join(format!("{scenario}-{sampler}"));
        let o = nexus_emulated(
            None,
            &[
                "run",
                "--config",
                scenario,
                "--sampler",
                sampler,
                "-n",
                RUNS,
                "--seed",
                SEED,
                "--quantiles",
                "sketch",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        )
        .expect("the emulator ran a moment ago");
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
        let manifest: serde_json::Value =
            serde_json::from_str(&read(&out, "manifest.json")).unwrap();
        assert_eq!(manifest["isa"], "avx2", "the path chosen without AVX-512");
        let got = (
            sha256(&out.join("bands.csv")),
            sha256(&out.join("claims.csv")),
        );
        if (got.0.as_str(), got.1.as_str()) != (bands, claims) {
            wrong.push(format!(
                "    ({scenario:?}, {sampler:?}, {:?}, {:?})",
                got.0, got.1
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "outputs on the emulated processor differ from the pins:\n{}",
        wrong.join("\n")
    );
}

/// A name that is no path, and a path the processor lacks, are refused
/// with exit 2 before any work, naming the variable and what to set.
#[test]
fn a_wrong_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["avx9", "AVX2", "sse2"] {
        let o = nexus_on(name, &["run", "-n", "100", "--out", "o"], dir.path());
        assert_bad_input(&o, "use portable, avx2 or avx512");
        assert!(!dir.path().join("o").exists());
    }
    let lacking: Vec<Isa> = Isa::ALL.into_iter().filter(|i| !i.is_available()).collect();
    if lacking.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "note: a_wrong_path_is_refused: this processor has every path, so refusing a \
             missing one is checked by the unit test of Isa::choose only"
        );
    }
    for isa in lacking {
        let o = nexus_on(isa.name(), &["validate", "central"], dir.path());
        assert_bad_input(&o, &format!("does not have {}", isa.name()));
    }
}
