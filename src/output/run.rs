//! The CSV outputs of `run` and `merge`: bands, claims and raw samples.

use std::io::{self, Write};

use super::csv_number;
use super::rows::{BandIntervalRow, BandRow, ClaimIntervalRow, ClaimRow, HistogramRow};
use crate::engine::{SampleBlock, Summary, SAMPLE_OUTPUTS};
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

/// Why a run states no intervals, if it does not: its draws are not iid
/// (`sampler` is `lhs` or `sobol`, whose error needs independent
/// randomisations, not formulas that assume iid draws).
fn not_iid(sampler: &str) -> Option<String> {
    (sampler != "mc").then(|| format!("none: a {sampler} sample is not iid"))
}

/// The rows of `band_intervals.csv`: per metric and year, the 95 %
/// interval of the mean (normal) and of each percentile (order statistics,
/// with the sketch's error bound included when `sketch`), for a run of
/// `sampler` draws.
pub fn band_interval_rows(summary: &Summary, sampler: &str, sketch: bool) -> Vec<BandIntervalRow> {
    let percentile_method = if sketch {
        "order statistics, sketch error included"
    } else {
        "order statistics"
    };
    let not_iid = not_iid(sampler);
    let mut rows = Vec::with_capacity(summary.bands.len() * 8);
    for b in &summary.bands {
        let row = |statistic: &str, estimate: f64, interval: Option<(f64, f64)>, method: &str| {
            let (interval, method) = match (&not_iid, interval) {
                (Some(why), _) => (None, why.clone()),
                (None, Some(i)) => (Some(i), method.to_string()),
                (None, None) => (None, "none: too few runs".to_string()),
            };
            BandIntervalRow {
                metric: b.metric.name().to_string(),
                year: b.year,
                statistic: statistic.to_string(),
                estimate,
                lo: interval.map(|i| i.0),
                hi: interval.map(|i| i.1),
                method,
            }
        };
        let mean = (b.runs > 1).then(|| b.mean_interval());
        rows.push(row("mean", b.mean, mean, "normal"));
        for ((p, value), interval) in Percentile::BANDS
            .iter()
            .zip(b.percentiles())
            .zip(b.percentile_intervals)
        {
            rows.push(row(
                &format!("p{:02}", p.0),
                value,
                interval,
                percentile_method,
            ));
        }
    }
    rows
}

/// The rows of `claim_intervals.csv`: per claim, Wilson's 95 % interval of
/// its probability, for a run of `sampler` draws.
pub fn claim_interval_rows(summary: &Summary, sampler: &str) -> Vec<ClaimIntervalRow> {
    let not_iid = not_iid(sampler);
    summary
        .claims
        .iter()
        .map(|c| {
            let interval = not_iid.is_none().then(|| c.interval());
            ClaimIntervalRow {
                claim: c.claim.name.clone(),
                probability: c.probability(),
                lo: interval.map(|i| i.0),
                hi: interval.map(|i| i.1),
                method: not_iid.clone().unwrap_or_else(|| "wilson".to_string()),
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
