//! The walk: roots (files or folders) to the files to read, recursively, in name order.
//! walkdir detects symbolic link loops against the folders above; a link to itself fails
//! its stat with ELOOP. A folder that cannot be listed, a dangling link, a FIFO are that
//! path's outcome and the walk goes on. Globs match the whole path as walked (the root as
//! given joined with the names below it, `*` crossing `/`, on the path's bytes); an exclude
//! that matches a folder prunes it. Without `follow_symlinks`, links met below a root are
//! passed over (a root that is a link is followed: it was named).

use crate::error::FileError;
use globset::GlobSet;
use std::path::PathBuf;

/// A path found by the walk: a regular file to read (its size from the walk), or a path
/// that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub(crate) path: PathBuf,
    pub(crate) state: Result<u64, FileError>,
}

impl Listed {
    /// The path as walked.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

pub(crate) struct Filter<'a> {
    pub include: &'a GlobSet,
    pub exclude: &'a GlobSet,
    pub follow_symlinks: bool,
}

/// Every file under `root` (or `root` itself), in name order.
pub(crate) fn walk<'a>(
    root: &'a std::path::Path,
    filter: Filter<'a>,
) -> impl Iterator<Item = Listed> + 'a {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(filter.follow_symlinks)
        .follow_root_links(true)
        .sort_by_file_name();
    let exclude = filter.exclude;
    walker
        .into_iter()
        .filter_entry(move |entry| entry.depth() == 0 || !exclude.is_match(entry.path()))
        .filter_map(move |item| match item {
            Ok(entry) => {
                let kind = entry.file_type();
                if kind.is_dir() || (kind.is_symlink() && entry.depth() > 0) {
                    return None;
                }
                if entry.depth() > 0
                    && !filter.include.is_empty()
                    && !filter.include.is_match(entry.path())
                {
                    return None;
                }
                let state = match entry.metadata() {
                    Ok(meta) if meta.is_file() => Ok(meta.len()),
                    Ok(meta) => Err(FileError::NotAFile(special_kind(&meta.file_type()))),
                    Err(e) => Err(walk_error(&e)),
                };
                Some(Listed {
                    path: entry.into_path(),
                    state,
                })
            }
            Err(e) => Some(Listed {
                path: e.path().map_or_else(|| root.to_path_buf(), PathBuf::from),
                state: Err(walk_error(&e)),
            }),
        })
}

fn walk_error(error: &walkdir::Error) -> FileError {
    if error.loop_ancestor().is_some() {
        return FileError::SymlinkLoop;
    }
    match error.io_error() {
        Some(io) => FileError::from_io(io),
        None => FileError::SymlinkLoop,
    }
}

/// FIFOs, sockets and devices in words.
pub(crate) fn special_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        return "a folder";
    }
    "not a file"
}
