//! The same bytes on every instruction set: pinned SHA-256 of `bands.csv`
//! and `claims.csv` for every shipped scenario and sampler, on every path
//! this processor runs (`NEXUS_MC_ISA`), and the refusals of the variable;
//! the same on emulated processors without AVX-512 and without AVX2 or FMA
//! (QEMU's user-mode emulator), where the engine must choose its path by
//! itself, and with glibc's maths functions for processors without FMA.
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
use crate::common::{assert_bad_input, missing_tool, read};
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
        "10c489b6a3d6974c2adce8d2ddb5c5c6661774ccf81e39c69f8046f03f12df37",
        "6da7f82c9ee01ceb3c9f5ce66edafc25452fa3837c686cfc3ca2429199fc8654",
    ),
    (
        "alt-tax",
        "lhs",
        "a39c6ab54067a588e684a0dcea5cfec2fb44354f8dc95c3ceb35d37d3ac058d0",
        "89bcbb4af4edd61b222b10183e3ad0116d422ef489a81bee2ea8fad35a83d8c7",
    ),
    (
        "alt-tax",
        "sobol",
        "507b4f0c9133bf702293ff7e8a240f5872acaaff61bd24264770d5f35ab5d9f0",
        "becab8f813244a565ba919d3f5152d700699b6b935b393ea9faba70dc57c9687",
    ),
    (
        "central",
        "mc",
        "3fdcaa760bf611bc8e70733fb2a88605cfb6b7beecfc656801b0c8a8ad12b060",
        "b668431b02c0ea5705f5af660fa1bad4c708247602a8ddb3d896c0ef2646d40c",
    ),
    (
        "central",
        "lhs",
        "2953cca408771febe0899cc025afce115234f534747bc854ba883fd624ee2e1d",
        "82d0a10713f4fb9e6516b20bb42598ccc6260a2f7b8cfbbfd2d572f1c4661e23",
    ),
    (
        "central",
        "sobol",
        "79f5f3c0122a0c755eb3d8a139156df41734b0c1ccd81bbeb1eddedd08a93364",
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
        "7e97da59cb5e2641fcc97cfb5fec4e0e7640a0a64b9f2e6f73cacf187a6ad2de",
        "2f2ca8474b064e1f3aff6b45e82234e20790a3699b3ad0680794f06e91c4b3e7",
    ),
    (
        "optimism-bias",
        "lhs",
        "7059f4735ac9d273b8b923f0a752475db0ac6955713e2ceab29a4a3b4756316a",
        "a38fc8f83c76646209f45691b5d7d4b1be78e5ff11ed1c86b9646b6b773c052b",
    ),
    (
        "optimism-bias",
        "sobol",
        "97ec95082951ce315a79c10c178c4680a0c576f1259c52fabd347ee97bb61324",
        "139f92b4087e76af583c0c4e9731c547263a17300e2896382f7ad091562ab3f8",
    ),
    (
        "plan-as-written",
        "mc",
        "6e79d72ae1a5698209bc6a42c288879e7939c9d262fb6a97dca95886179133ba",
        "1e69d256540eacbb39b5a26c5fa6337836ba19cb3ea517bd526e9c5dfe37f185",
    ),
    (
        "plan-as-written",
        "lhs",
        "fb5a93440acc07f00cd2b869e2878fab3b56878bb097f6abb5f2bd97b53c743f",
        "8779832d4930f6cb84259b3e62731610cb8cb8fe5745fa86b2c0a1c6ff4626aa",
    ),
    (
        "plan-as-written",
        "sobol",
        "d8ff8fcfc48c994faeb2a912dce10dd992000f494993fbed4c1c8e46bd5fe81a",
        "bac5a62316d7e2f2e6c4bd2b200997ed9ecea28f0faa71ed36fa777eaee4c4be",
    ),
];

/// `nexus-mc args` in `cwd` with `NEXUS_MC_ISA` set to `isa`.
fn nexus_on(isa: &str, args: &[&str], cwd: &Path) -> Output {
    nexus_with(&[("NEXUS_MC_ISA", isa)], args, cwd)
}

/// `nexus-mc args` in `cwd` with the environment variables `vars` set.
fn nexus_with(vars: &[(&str, &str)], args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nexus-mc"))
        .args(args)
        .envs(vars.iter().copied())
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

/// The pinned output sets, each run by `nexus` (given the `run` arguments)
/// in a directory of `dir` of its own: the manifest must name path `isa`,
/// and the lines returned, one per set whose bytes differ from the pins,
/// are ready to paste into `GOLDEN` (a deliberate change only).
fn pinned_mismatches(
    label: &str,
    isa: &str,
    dir: &Path,
    nexus: impl Fn(&[&str]) -> Output,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for &(scenario, sampler, bands, claims) in GOLDEN {
        let out = dir.join(format!("{label}-{scenario}-{sampler}"));
        let o = nexus(&[
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
        ]);
        assert!(o.status.success(), "{label}: {}", crate::common::stderr(&o));
        let manifest: serde_json::Value =
            serde_json::from_str(&read(&out, "manifest.json")).unwrap();
        assert_eq!(manifest["isa"], isa, "{label}: the path that ran");
        let got = (
            sha256(&out.join("bands.csv")),
            sha256(&out.join("claims.csv")),
        );
        if (got.0.as_str(), got.1.as_str()) != (bands, claims) {
            wrong.push(format!(
                "    ({scenario:?}, {sampler:?}, {:?}, {:?}), // {label}",
                got.0, got.1
            ));
        }
    }
    wrong
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
        wrong.extend(pinned_mismatches(
            isa.name(),
            isa.name(),
            dir.path(),
            |args| {
                nexus_on(
                    isa.name(),
                    &[args, &["--threads", threads]].concat(),
                    dir.path(),
                )
            },
        ));
    }
    assert!(
        wrong.is_empty(),
        "outputs differ from the pins:\n{}",
        wrong.join("\n")
    );
}

/// glibc takes other implementations of `exp`, `log`, `pow` and `sin` on a
/// processor without FMA; this asks it for them on any processor (the
/// tunable below), and the bytes must not move, since the program defines
/// those functions itself (`src/math.rs`). Elsewhere than glibc the
/// variable is ignored, and the test is the golden test once more.
#[test]
fn glibc_maths_for_processors_without_fma_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let no_fma = [
        ("NEXUS_MC_ISA", "portable"),
        ("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-FMA,-AVX2"),
    ];
    let wrong = pinned_mismatches("no-fma", "portable", dir.path(), |args| {
        nexus_with(&no_fma, args, dir.path())
    });
    assert!(
        wrong.is_empty(),
        "outputs with glibc's maths for processors without FMA differ from the pins:\n{}",
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

/// Emulated processors, the path each must choose and the next path up,
/// which it lacks: QEMU's `max` model without AVX-512 (AVX2 and FMA;
/// avx512f removed, should an emulator one day offer it), and a Nehalem
/// (SSE4.2: neither AVX2 nor FMA, so glibc's other maths functions too).
const EMULATED: [(&str, &str, &str); 2] = [
    ("max,-avx512f", "avx2", "avx512"),
    ("Nehalem", "portable", "avx2"),
];

/// `nexus-mc args` in `cwd` under QEMU's user-mode emulator as processor
/// `cpu`, with `NEXUS_MC_ISA` set to `isa` or unset; `None` if the
/// emulator is not installed (a failure in CI, which must install it).
fn nexus_emulated(cpu: &str, isa: Option<&str>, args: &[&str], cwd: &Path) -> Option<Output> {
    let mut command = Command::new("qemu-x86_64");
    command
        .args(["-cpu", cpu, env!("CARGO_BIN_EXE_nexus-mc")])
        .args(args)
        .env_remove("NEXUS_MC_ISA")
        .current_dir(cwd);
    if let Some(isa) = isa {
        command.env("NEXUS_MC_ISA", isa);
    }
    match command.output() {
        Ok(o) => Some(o),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            missing_tool("qemu-x86_64", "apt-get install qemu-user");
            None
        }
        Err(e) => panic!("qemu-x86_64 is installed but does not run: {e}"),
    }
}

/// On processors the test machines may not be (emulated), the engine
/// chooses the best path each has by itself, every pinned output set comes
/// out byte for byte, and forcing a path the processor lacks is refused
/// with exit 2. `cfg(target_arch)`: the emulator runs x86-64 binaries.
#[cfg(target_arch = "x86_64")]
#[test]
fn emulated_processors_choose_their_path_and_give_the_pinned_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (cpu, isa, lacking) in EMULATED {
        let Some(refused) =
            nexus_emulated(cpu, Some(lacking), &["validate", "central"], dir.path())
        else {
            return;
        };
        assert_bad_input(&refused, &format!("does not have {lacking}"));
        let label = format!("emulated {cpu}");
        wrong.extend(pinned_mismatches(&label, isa, dir.path(), |args| {
            nexus_emulated(cpu, None, args, dir.path()).expect("the emulator ran a moment ago")
        }));
    }
    assert!(
        wrong.is_empty(),
        "outputs on the emulated processors differ from the pins:\n{}",
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
