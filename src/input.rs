//! Reading the files a command is given or finds: regular files only, each
//! within a stated ceiling of bytes ([`crate::limits`]). A FIFO, a device,
//! a socket or a link to one is refused at once with a message, instead of
//! a read that blocks forever or fills the memory; names a manifest lists
//! must be plain relative names inside their directory.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path};

/// Opens `path` for reading if it is (or links to) a regular file, without
/// blocking on a FIFO; returns the file and its length in bytes.
pub(crate) fn open(path: &Path) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading waits for a writer, unless non-blocking.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if let Some(kind) = special_kind(&meta.file_type()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is {kind}, not a regular file"),
        ));
    }
    Ok((file, meta.len()))
}

/// What a file that is not a regular file is, for messages; `None` for a
/// regular file. A symbolic link shows only in metadata that does not
/// follow links.
pub(crate) fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some(if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    })
}

/// The bytes of the regular file `path`, refused if it holds more than
/// `max` bytes (checked before reading, and again while reading, so a file
/// that grows cannot take more).
pub(crate) fn read(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let (file, len) = open(path)?;
    too_large(len, max)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    too_large(bytes.len() as u64, max)?;
    Ok(bytes)
}

/// The text of the regular file `path` (UTF-8), at most `max` bytes.
pub(crate) fn read_text(path: &Path, max: u64) -> io::Result<String> {
    String::from_utf8(read(path, max)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

fn too_large(len: u64, max: u64) -> io::Result<()> {
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "holds more than {} bytes, the most this file may have",
                crate::table::number(max as f64, 0)
            ),
        ));
    }
    Ok(())
}

/// True when `name` is a plain relative name (`bands.csv`,
/// `charts/fan_jobs.svg`): no root, no `..`, nothing that leaves its
/// directory.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_and_a_large_file_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read(&fifo, 10).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let err = read(dir.path(), 10).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let file = dir.path().join("big");
        std::fs::write(&file, [b'x'; 11]).unwrap();
        assert!(read(&file, 10)
            .unwrap_err()
            .to_string()
            .contains("more than 10 bytes"));
        assert_eq!(read(&file, 11).unwrap().len(), 11);
    }

    #[test]
    fn only_plain_relative_names_pass() {
        for good in ["bands.csv", "charts/fan_jobs.svg"] {
            assert!(is_plain_name(good), "{good}");
        }
        for bad in [
            "",
            "/dev/zero",
            "../x",
            "a/../../etc/hostname",
            "./x",
            "charts/..",
        ] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }
}
