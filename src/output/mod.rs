//! Output files: written whole or not at all (temporary file + rename), with
//! numbers formatted the same way on every machine.

mod bridge;
mod manifest;
mod outdir;
mod run;
mod sensitivity;

pub use bridge::write_bridge_csv;
pub use manifest::{
    BridgeManifest, BridgeStep, Manifest, ManifestJson, Provenance, QuantileInfo,
    SensitivityManifest, MANIFEST_FILE, OUTPUT_FILES,
};
pub use outdir::{resolve, OutDir};
pub use run::{write_bands_csv, write_claims_csv, write_histogram_csv, SamplesWriter};
pub use sensitivity::{
    switching_reading, write_filter_csv, write_indices_by_year_csv, write_morris_csv,
    write_rank_csv, write_shapley_csv, write_sobol_csv, write_switching_csv, write_tornado_csv,
};

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{year_of, Metric, Outputs, YEARS};

/// Writes `path` atomically: the content goes to a temporary file in the same
/// directory, which is renamed over `path` only once fully written and flushed.
/// A failed or killed write never leaves a file that looks complete.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let failed = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let tmp = tempfile::Builder::new()
        .prefix(".nexus-mc-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(failed)?;
    let mut w = BufWriter::new(tmp);
    fill(&mut w).map_err(failed)?;
    let tmp = w.into_inner().map_err(|e| failed(e.into_error()))?;
    tmp.as_file().sync_all().map_err(failed)?;
    readable_by_all(tmp.as_file()).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Gives a finished output the usual mode of a new file (rw-r--r--), not
/// the owner-only mode of a temporary file, so others on a cluster can read it.
pub(crate) fn readable_by_all(file: &std::fs::File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Formats a number for CSV: the shortest text that reads back to the same
/// `f64`, identical on every platform.
pub fn csv_number(x: f64) -> String {
    format!("{x}")
}

/// Writes `baseline.csv`: one row per year 2026..2050, columns `year` and
/// every [`Metric`] (DESIGN.md "Files").
pub fn write_baseline_csv(w: &mut dyn Write, outputs: &Outputs) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut header = vec!["year"];
    header.extend(Metric::ALL.iter().map(|m| m.name()));
    csv.write_record(&header)?;
    for t in 0..YEARS {
        let mut row = vec![year_of(t).to_string()];
        row.extend(Metric::ALL.iter().map(|&m| csv_number(outputs[m][t])));
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
