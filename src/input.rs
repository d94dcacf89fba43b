//! Reading the files users give: regular files only, and none larger than
//! what its kind can hold, so that `/dev/zero` or a stray multi-gigabyte
//! file given by a glob is refused at once instead of filling memory.

use std::io::Read;
use std::path::Path;

/// The largest scenario or sweep file read [bytes]: a scenario with every
/// knob and the most daily points is tens of kilobytes.
pub const TEXT_LIMIT: u64 = 16 << 20;
/// The largest shard file read [bytes]: a sweep of thousands of points.
pub const SHARD_LIMIT: u64 = 1 << 30;

/// The bytes of the regular file at `path`, if it holds at most `limit`.
///
/// # Errors
/// The file's own I/O error, or `InvalidData` saying it is no regular
/// file or is larger than `limit`.
pub fn read(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    if !file.metadata()?.is_file() {
        return Err(invalid("not a regular file".into()));
    }
    let mut bytes = vec![];
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(invalid(format!("larger than {} MiB, more than such a file holds", limit >> 20)));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
///
/// # Errors
/// As [`read`], and `InvalidData` for text that is not UTF-8.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
