//! Output files: written whole or not at all (temporary file + rename), with
//! numbers formatted the same way on every machine.

mod bridge;
mod manifest;
mod outdir;
mod rows;
mod run;
mod sensitivity;

pub use bridge::bridge_rows;
pub use manifest::{
    BridgeManifest, BridgeStep, Manifest, ManifestJson, Provenance, QuantileInfo,
    SensitivityManifest, MANIFEST_FILE, OUTPUT_FILES,
};
pub use outdir::{resolve, OutDir};
pub use rows::{
    columns, read_rows, write_rows, BandIntervalRow, BandRow, BridgeRow, ByYearRow,
    ClaimIntervalRow, ClaimRow, FilterRow, HistogramRow, MorrisRow, RankRow, ShapleyRow, SobolRow,
    SwitchingRow, TornadoRow,
};
pub use run::{
    band_interval_rows, band_rows, claim_interval_rows, claim_rows, errors_stated, histogram_rows,
    is_samples_file, samples_target_problem, SamplesWriter,
};
pub use sensitivity::{
    by_year_rows, filter_rows, morris_rows, rank_rows, shapley_rows, sobol_rows, switching_reading,
    switching_rows, tornado_rows,
};

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{year_of, Metric, Outputs, YEARS};

/// A file written under a temporary name beside its final path and renamed
/// over it only by [`PendingFile::persist`], once complete and flushed to
/// disk: a failed or killed write never leaves a file that looks complete.
/// Dropped without persisting, the temporary file is removed.
pub struct PendingFile {
    path: PathBuf,
    tmp: BufWriter<tempfile::NamedTempFile>,
}

impl PendingFile {
    /// Starts writing `path` (its directory is created if missing).
    pub fn create(path: &Path) -> io::Result<PendingFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(".nexus-mc-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(PendingFile {
            path: path.to_path_buf(),
            tmp: BufWriter::new(tmp),
        })
    }

    /// Flushes the file to disk, gives it the usual mode of a new file
    /// (rw-r--r--, readable by others on a cluster) and renames it into
    /// place.
    pub fn persist(self) -> io::Result<PathBuf> {
        let tmp = self.tmp.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(self.path)
    }
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `path` atomically through a [`PendingFile`].
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let failed = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = PendingFile::create(path).map_err(failed)?;
    fill(&mut file).map_err(failed)?;
    file.persist().map_err(failed)?;
    Ok(())
}

pub use crate::table::csv_number;

/// Writes `baseline.csv`: one row per year 2026..2050, columns `year` and
/// every [`Metric`] (docs/outputs.md section 2).
pub fn write_baseline_csv(w: &mut dyn Write, outputs: &Outputs) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut header = vec!["year"];
    header.extend(Metric::ALL.iter().map(|m| m.name()));
    csv.write_record(&header)?;
    for t in 0..YEARS {
        let mut row = vec![year_of(t).to_string()];
        for &m in Metric::ALL.iter() {
            let x = outputs[m][t];
            if !x.is_finite() {
                return Err(io::Error::other(format!(
                    "refusing to write the non-finite number {x} ({} in {})",
                    m.name(),
                    year_of(t)
                )));
            }
            row.push(csv_number(x));
        }
        csv.write_record(&row)?;
    }
    csv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("x.csv");
        write_atomic(&path, |w| w.write_all(b"first")).unwrap();
        write_atomic(&path, |w| w.write_all(b"second")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the final file remains");
    }

    #[test]
    fn failed_write_leaves_previous_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        write_atomic(&path, |w| w.write_all(b"good")).unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "good");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn csv_numbers_round_trip() {
        for x in [0.1 + 0.2, -57.25, 1e-9, 12601.000000000002] {
            assert_eq!(csv_number(x).parse::<f64>().unwrap(), x);
        }
    }
}
