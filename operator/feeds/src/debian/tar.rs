//! Just enough of the tar format to take a few named files out of a `.deb`'s data tarball as
//! it streams by (`dpkg-deb --fsys-tarfile` writes GNU tar): ustar headers, the POSIX name
//! prefix, GNU long names and pax `path` records. Everything else is skipped unread, so a
//! kernel package costs a pass over its bytes and no memory.

use std::io::{self, Read};

const BLOCK: usize = 512;

/// A tar stream that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("reading the tar stream: {0}")]
    Io(#[from] io::Error),
    #[error("the tar stream ends inside an entry")]
    Truncated,
    #[error("tar header of {name:?}: {reason}")]
    Header { name: String, reason: String },
    #[error("{path} is larger than {limit} bytes")]
    TooLarge { path: String, limit: u64 },
}

/// Reads `reader` until every path in `wanted` has been found or the archive ends, and
/// returns the regular files found, as `(index in wanted, content)`. Paths are compared
/// without a leading `./` or `/`. A wanted file over `max_bytes` is an error.
pub fn find_files(
    mut reader: impl Read,
    wanted: &[&str],
    max_bytes: u64,
) -> Result<Vec<(usize, Vec<u8>)>, TarError> {
    let mut found = Vec::new();
    let mut long_name: Option<String> = None;
    let mut header = [0u8; BLOCK];
    while found.len() < wanted.len() {
        if !read_block(&mut reader, &mut header)? || header.iter().all(|&b| b == 0) {
            break;
        }
        let entry = parse_header(&header)?;
        let padded = entry.size.div_ceil(BLOCK as u64) * BLOCK as u64;
        match entry.kind {
            b'L' | b'x' => {
                let data = read_exact_vec(&mut reader, entry.size, padded, &entry.name)?;
                long_name = if entry.kind == b'L' {
                    Some(nul_terminated(&data))
                } else {
                    pax_path(&data).or(long_name)
                };
                continue;
            }
            _ => {}
        }
        let name = long_name.take().unwrap_or(entry.name);
        let path = name.trim_start_matches("./").trim_start_matches('/');
        let wanted_at = wanted
            .iter()
            .position(|w| w.trim_start_matches("./").trim_start_matches('/') == path);
        match wanted_at {
            Some(at) if matches!(entry.kind, b'0' | 0) => {
                if entry.size > max_bytes {
                    return Err(TarError::TooLarge {
                        path: path.to_string(),
                        limit: max_bytes,
                    });
                }
                found.push((at, read_exact_vec(&mut reader, entry.size, padded, path)?));
            }
            _ => skip(&mut reader, padded)?,
        }
    }
    Ok(found)
}

struct Header {
    name: String,
    size: u64,
    kind: u8,
}

fn parse_header(block: &[u8; BLOCK]) -> Result<Header, TarError> {
    let mut name = nul_terminated(&block[0..100]);
    // POSIX ustar keeps long paths' directories in a prefix field; GNU tar ("ustar  ")
    // uses those bytes for other things.
    if &block[257..263] == b"ustar\0" {
        let prefix = nul_terminated(&block[345..500]);
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
    }
    let size = parse_size(&block[124..136]).ok_or_else(|| TarError::Header {
        name: name.clone(),
        reason: "the size field is not a number".into(),
    })?;
    Ok(Header {
        name,
        size,
        kind: block[156],
    })
}

/// Octal ASCII (space or NUL padded), or GNU base-256 for large sizes.
fn parse_size(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The `path` record of a pax extended header (`<len> path=<value>\n` lines).
fn pax_path(data: &[u8]) -> Option<String> {
    String::from_utf8_lossy(data).lines().find_map(|record| {
        let (_, pair) = record.split_once(' ')?;
        pair.strip_prefix("path=").map(str::to_string)
    })
}

fn nul_terminated(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Reads one block; `false` at a clean end of stream.
fn read_block(reader: &mut impl Read, block: &mut [u8; BLOCK]) -> Result<bool, TarError> {
    let mut filled = 0;
    while filled < BLOCK {
        match reader.read(&mut block[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(TarError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// Reads an entry's `size` bytes of content and its padding up to `padded`.
fn read_exact_vec(
    reader: &mut impl Read,
    size: u64,
    padded: u64,
    name: &str,
) -> Result<Vec<u8>, TarError> {
    let mut data = Vec::new();
    reader.by_ref().take(size).read_to_end(&mut data)?;
    if data.len() as u64 != size {
        return Err(TarError::Header {
            name: name.to_string(),
            reason: TarError::Truncated.to_string(),
        });
    }
    skip(reader, padded - size)?;
    Ok(data)
}

fn skip(reader: &mut impl Read, bytes: u64) -> Result<(), TarError> {
    let copied = io::copy(&mut reader.by_ref().take(bytes), &mut io::sink())?;
    if copied == bytes {
        Ok(())
    } else {
        Err(TarError::Truncated)
    }
}

#[cfg(test)]
mod tests;
