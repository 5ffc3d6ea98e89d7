//! The CSV outputs of `run` and `merge`: bands, claims and raw samples.

use std::io::{self, Write};

use super::csv_number;
use super::rows::{BandIntervalRow, BandRow, ClaimIntervalRow, ClaimRow, HistogramRow};
use crate::engine::{
    QuantileMethod, RunIdentity, SampleBlock, Summary, MIN_REPLICATE_HITS, SAMPLE_OUTPUTS,
};
use crate::model::Param;
use crate::stats::Percentile;

/// The rows of `bands.csv`: one per metric and year.
pub fn band_rows(summary: &Summary) -> Vec<BandRow> {
    summary
        .bands
        .iter()
        .map(|b| BandRow {
            metric: b.metric.name().to_string(),
            year: b.year,
            mean: b.mean,
            std: b.std,
            p05: b.p05,
            p10: b.p10,
            p25: b.p25,
            p50: b.p50,
            p75: b.p75,
            p90: b.p90,
            p95: b.p95,
        })
        .collect()
}

/// The rows of `claims.csv`: one per claim counted.
pub fn claim_rows(summary: &Summary) -> Vec<ClaimRow> {
    summary
        .claims
        .iter()
        .map(|c| ClaimRow {
            claim: c.claim.name.clone(),
            metric: c.claim.metric.name().to_string(),
            year: c.claim.year,
            op: c.claim.op.symbol().to_string(),
            threshold: c.claim.threshold,
            probability: c.probability(),
            std_error: c.std_error(),
            runs: c.runs,
        })
        .collect()
}

/// How a run's intervals were found, which decides each row's `method`.
enum Source {
    /// Formulas for iid draws (Monte Carlo).
    Iid,
    /// The spread of this many independent randomisations.
    Replicates(u64),
    /// None: a Latin hypercube or Sobol sample without replicates is not
    /// iid, and formulas that assume it would be wrong (the sampler named).
    NotIid(String),
    /// None: a shard that holds runs of fewer than two of the run's
    /// replicates (their spread is read after `merge`).
    FewReplicates,
}

impl Source {
    /// The source of a run of `sampler` planned with `planned` replicates,
    /// of which the results at hand hold `held`.
    fn of(sampler: &str, planned: u64, held: u64) -> Source {
        if planned > 1 && held > 1 {
            Source::Replicates(held)
        } else if planned > 1 {
            Source::FewReplicates
        } else if sampler == "mc" {
            Source::Iid
        } else {
            Source::NotIid(sampler.to_string())
        }
    }

    fn of_summary(summary: &Summary, run: &RunIdentity) -> Source {
        Source::of(&run.sampler, run.replicates, summary.replicates)
    }

    /// Whether this source states intervals at all.
    fn states(&self) -> bool {
        matches!(self, Source::Iid | Source::Replicates(_))
    }

    /// The `method` of a row whose iid formula is `iid` (with `sketched`
    /// when the sketch's error bound was added), or why it has none.
    fn method(&self, interval: bool, iid: &str, sketched: bool) -> String {
        let sketch = if sketched {
            ", sketch error included"
        } else {
            ""
        };
        match (self, interval) {
            (Source::NotIid(sampler), _) => {
                format!("none: a {sampler} sample is not iid (give --replicates R for an interval)")
            }
            (Source::Iid, true) => format!("{iid}{sketch}"),
            (Source::Iid | Source::Replicates(_), false) => "none: too few runs".to_string(),
            (Source::Replicates(r), true) => format!("t over {r} replicates{sketch}"),
            (Source::FewReplicates, _) => {
                "none: this shard holds runs of fewer than two replicates; merge the shards".into()
            }
        }
    }
}

/// Whether the intervals and claim errors of results of a run of
/// `sampler` planned with `planned` replicates, `held` of which the results
/// hold (a shard may hold fewer), may be stated: for Monte Carlo draws,
/// and for a replicated run whose results hold two replicates or more;
/// not for a Latin hypercube or Sobol sample read as if it were iid.
pub fn errors_stated(sampler: &str, planned: u64, held: u64) -> bool {
    Source::of(sampler, planned, held).states()
}

/// The rows of `band_intervals.csv`: per metric and year, the 95 %
/// interval of the mean and of each percentile, with its `method`: for
/// Monte Carlo draws normal (mean) and order statistics (percentiles),
/// for replicated Latin hypercube or Sobol runs Student's t over the
/// replicates' estimates, and with the sketch's error bound included when
/// quantiles are sketched; none for a sampler that is not iid without
/// replicates. `run` is the run `summary` is of.
pub fn band_interval_rows(summary: &Summary, run: &RunIdentity) -> Vec<BandIntervalRow> {
    let source = Source::of_summary(summary, run);
    let sketch = run.quantiles == QuantileMethod::Sketch;
    let mut rows = Vec::with_capacity(summary.bands.len() * 8);
    for b in &summary.bands {
        let mut row = |statistic: String,
                       estimate: f64,
                       interval: Option<(f64, f64)>,
                       iid: &str,
                       sk: bool| {
            let method = source.method(interval.is_some(), iid, sk);
            let interval = interval.filter(|_| source.states());
            rows.push(BandIntervalRow {
                metric: b.metric.name().to_string(),
                year: b.year,
                statistic,
                estimate,
                lo: interval.map(|i| i.0),
                hi: interval.map(|i| i.1),
                method,
            });
        };
        row("mean".into(), b.mean, b.mean_interval, "normal", false);
        for ((p, value), interval) in Percentile::BANDS
            .iter()
            .zip(b.percentiles())
            .zip(b.percentile_intervals)
        {
            let name = format!("p{:02}", p.0);
            row(name, value, interval, "order statistics", sketch);
        }
    }
    rows
}

/// The rows of `claim_intervals.csv`: per claim, the 95 % interval of its
/// probability: Wilson's for Monte Carlo draws, Student's t over the
/// replicates for a replicated run (Wilson's of the pooled runs for a
/// claim too rare for t; see [`crate::engine::ClaimResult::from_replicates`]), none for a sampler that is not iid
/// without replicates. `run` is the run `summary` is of.
pub fn claim_interval_rows(summary: &Summary, run: &RunIdentity) -> Vec<ClaimIntervalRow> {
    let source = Source::of_summary(summary, run);
    summary
        .claims
        .iter()
        .map(|c| {
            let interval = c.interval().filter(|_| source.states());
            ClaimIntervalRow {
                claim: c.claim.name.clone(),
                probability: c.probability(),
                lo: interval.map(|i| i.0),
                hi: interval.map(|i| i.1),
                method: match source {
                    Source::Replicates(_) if !c.from_replicates() => format!(
                        "wilson: under {MIN_REPLICATE_HITS} hits or misses a replicate, too few \
                         for t"
                    ),
                    _ => source.method(c.interval().is_some(), "wilson", false),
                },
            }
        })
        .collect()
}

/// The rows of `histogram.csv`; the first and last rows of each histogram
/// count the runs below and above its bins (edges -inf and inf).
pub fn histogram_rows(summary: &Summary) -> Vec<HistogramRow> {
    let mut rows = Vec::new();
    for h in &summary.histograms {
        let edges = h.histogram.edges();
        let bins = std::iter::once((f64::NEG_INFINITY, edges[0], h.histogram.below))
            .chain(
                h.histogram
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| (edges[i], edges[i + 1], c)),
            )
            .chain(std::iter::once((
                edges[edges.len() - 1],
                f64::INFINITY,
                h.histogram.above,
            )));
        rows.extend(bins.map(|(bin_lo, bin_hi, count)| HistogramRow {
            metric: h.metric.name().to_string(),
            year: h.year,
            bin_lo,
            bin_hi,
            count,
        }));
    }
    rows
}

/// True when `path` is a regular file that starts with a `--samples`
/// header as [`SamplesWriter`] writes it: the one kind of existing file
/// `run --samples` replaces without `--force`.
pub fn is_samples_file(path: &std::path::Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok((file, _)) = crate::input::open(path) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(file.take(1 << 16))
        .read_line(&mut first)
        .is_err()
    {
        return false;
    }
    let last = SAMPLE_OUTPUTS
        .last()
        .map(|(m, y)| format!(",{}_{y}", m.name()))
        .unwrap_or_default();
    first.starts_with("run,") && first.trim_end().ends_with(&last)
}

/// Why `run --samples` may not write `path`, if it may not: never into
/// another output set (a directory with a nexus-mc manifest, whose files
/// it would add to or replace, even with `force`); only a regular file is
/// ever replaced (never a FIFO, device, socket, directory or symbolic
/// link), and without `force` only a samples file nexus-mc wrote.
pub fn samples_target_problem(path: &std::path::Path, force: bool) -> Option<String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if !super::manifest::files_of_earlier_outputs(dir).is_empty() {
        return Some(format!(
            "lies in {}, an output set of nexus-mc (it has a manifest.json): a file written \
             there would change a set that must stay as its manifest lists it, so --force does \
             not allow it; write the samples outside any output set",
            dir.display()
        ));
    }
    let meta = std::fs::symlink_metadata(path).ok()?;
    if let Some(kind) = crate::input::special_kind(&meta.file_type()) {
        return Some(format!(
            "is {kind}; nexus-mc replaces only regular files: give a new file name such as \
             samples.csv"
        ));
    }
    (!force && !is_samples_file(path)).then(|| {
        "exists and is not a samples file nexus-mc wrote (its first line is not a --samples \
         header); choose another name, or give --force to replace it"
            .to_string()
    })
}

/// Streams `--samples` rows: `run`, each uncertain input (switches by name),
/// then the key outputs of [`SAMPLE_OUTPUTS`].
pub struct SamplesWriter<W: Write> {
    csv: csv::Writer<W>,
    params: Vec<Param>,
}

impl<W: Write> SamplesWriter<W> {
    /// Starts the file with its header.
    pub fn new(w: W, params: &[Param]) -> io::Result<Self> {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["run".to_string()];
        header.extend(params.iter().map(|p| p.name().to_string()));
        header.extend(
            SAMPLE_OUTPUTS
                .iter()
                .map(|(m, y)| format!("{}_{y}", m.name())),
        );
        csv.write_record(&header)?;
        Ok(SamplesWriter {
            csv,
            params: params.to_vec(),
        })
    }

    /// Appends one chunk's rows.
    pub fn write(&mut self, block: &SampleBlock) -> io::Result<()> {
        let mut row = Vec::with_capacity(1 + self.params.len() + SAMPLE_OUTPUTS.len());
        for (i, (inputs, outputs)) in block
            .inputs
            .rows()
            .into_iter()
            .zip(block.outputs.rows())
            .enumerate()
        {
            row.clear();
            row.push((block.first_run + i as u64).to_string());
            row.extend(
                self.params
                    .iter()
                    .zip(inputs)
                    .map(|(p, &x)| p.format_value(x)),
            );
            row.extend(outputs.iter().map(|&x| csv_number(x)));
            self.csv.write_record(&row)?;
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
