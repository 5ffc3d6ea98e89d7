//! The CSV outputs of `run` and `merge`: bands, claims and raw samples.

use std::io::{self, Write};

use crate::engine::{SampleBlock, Summary, SAMPLE_OUTPUTS};
use crate::model::Param;
use crate::stats::Percentile;

use super::csv_number;

/// Writes `bands.csv`: `metric,year,mean,std,p05,p10,p25,p50,p75,p90,p95`.
pub fn write_bands_csv(w: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut header = vec![
        "metric".to_string(),
        "year".into(),
        "mean".into(),
        "std".into(),
    ];
    header.extend(Percentile::BANDS.iter().map(|p| p.column()));
    csv.write_record(&header)?;
    for b in &summary.bands {
        let mut row = vec![
            b.metric.name().to_string(),
            b.year.to_string(),
            csv_number(b.mean),
            csv_number(b.std),
        ];
        row.extend(b.percentiles().iter().map(|&x| csv_number(x)));
        csv.write_record(&row)?;
    }
    csv.flush()
}

/// Writes `claims.csv`: `claim,metric,year,op,threshold,probability,std_error,runs`.
pub fn write_claims_csv(w: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "claim",
        "metric",
        "year",
        "op",
        "threshold",
        "probability",
        "std_error",
        "runs",
    ])?;
    for c in &summary.claims {
        csv.write_record([
            c.claim.name.clone(),
            c.claim.metric.name().to_string(),
            c.claim.year.to_string(),
            c.claim.op.symbol().to_string(),
            csv_number(c.claim.threshold),
            csv_number(c.probability()),
            csv_number(c.std_error()),
            c.runs.to_string(),
        ])?;
    }
    csv.flush()
}

/// Writes `histogram.csv`: `metric,year,bin_lo,bin_hi,count`; the first and
/// last rows count the runs below and above the bins (edges -inf and inf).
pub fn write_histogram_csv(w: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(["metric", "year", "bin_lo", "bin_hi", "count"])?;
    for h in &summary.histograms {
        let edges = h.histogram.edges();
        let rows = std::iter::once((f64::NEG_INFINITY, edges[0], h.histogram.below))
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
        for (lo, hi, count) in rows {
            csv.write_record([
                h.metric.name().to_string(),
                h.year.to_string(),
                csv_number(lo),
                csv_number(hi),
                count.to_string(),
            ])?;
        }
    }
    csv.flush()
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
