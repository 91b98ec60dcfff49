//! The data file on disk: a snapshot plus a journal, so that a write costs time in proportion
//! to what it changed, not to the whole store, and a crash at any point loses nothing that
//! was acknowledged.
//!
//! # Files
//!
//! For a data file `sandbox.json`:
//!
//! - `sandbox.json`, the **snapshot**: the whole state as one JSON object, in the format the
//!   sandbox always wrote (version 1: no journal) plus, from version 2, `"journal": G`, the
//!   generation of the journal that continues it. It is only ever replaced whole (temp file,
//!   sync, rename, sync of the directory), so a reader or a crash sees an old or a new one.
//! - `sandbox.json.journal.G`, the **journal** of generation `G`: one line per write, each
//!   `CRC SP JSON LF`, where `CRC` is the CRC-32 of `JSON` in 8 lower-case hex digits. The
//!   first line is a header (`{"ddhooks_sandbox_journal":1,"generation":G}`), every other line
//!   a record: the state after the write of every key the write changed (`null` for a
//!   deleted one), the new counters and the appended check runs and deliveries.
//!
//! # Writes
//!
//! While the snapshot is small (at most 1 MiB), a write rewrites the
//! snapshot, as the sandbox always did: it costs about what an append does, and the data file
//! alone then holds the current state for anyone reading it. Past that, a write appends one
//! line to the journal, and is acknowledged once the journal is synced (`fdatasync`; writes
//! in flight together share one sync). When the journal outgrows
//! `max(min_journal, snapshot size)` the state is written as a new snapshot naming the next
//! generation, and the old journal is deleted: a write costs its own line plus, amortised, a
//! constant factor of it.
//!
//! # Loading and crashes
//!
//! Load the snapshot; if it names generation `G`, replay `sandbox.json.journal.G` line by
//! line. The last line may be torn (a write that was never acknowledged: its append or sync
//! did not finish); it is dropped and cut off the file. Any other bad line is a
//! [`PersistError::Journal`] naming the file, the line and its byte offset. Journals of other
//! generations are left-overs of a compaction or of an old sandbox and are deleted. A version 1
//! file (the old whole-store format) names no journal: it loads as it is, and the first write
//! replaces it with a version 2 snapshot.
//!
//! Secret custom-variable values and auth methods' client secrets are written to neither file
//! (see [`REDACTED_SECRET`]).

mod state;

use state::decode_snapshot;
pub use state::Touched;
pub(crate) use state::{encode_snapshot, Marks, Record};

use crate::data::Data;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The snapshot format this sandbox writes (version 1 is read too).
pub const SNAPSHOT_VERSION: u32 = 2;

/// The journal format this sandbox writes and reads (the header's `ddhooks_sandbox_journal`).
pub const JOURNAL_FORMAT: u32 = 1;

/// Why the data file could not be loaded or saved; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The snapshot or the journal exists but cannot be read.
    #[error("cannot read sandbox data file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The snapshot is not a data file (serde's message gives line and column).
    #[error("sandbox data file {} is not valid: {source}", path.display())]
    Snapshot {
        /// The snapshot.
        path: PathBuf,
        /// Where and why it does not parse.
        source: serde_json::Error,
    },
    /// The snapshot has a version this sandbox does not know, or misses its journal.
    #[error("sandbox data file {} is not valid: {reason}", path.display())]
    Version {
        /// The snapshot.
        path: PathBuf,
        /// What is wrong with its version.
        reason: String,
    },
    /// A journal line other than a torn last one is damaged.
    #[error(
        "sandbox journal {} is not valid at line {line} (byte offset {offset}): {reason}",
        path.display()
    )]
    Journal {
        /// The journal.
        path: PathBuf,
        /// 1-based line number (line 1 is the header).
        line: usize,
        /// Byte offset of the start of that line.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing or syncing a file failed.
    #[error("sandbox could not save its data in {}: {source}", path.display())]
    Write {
        /// The file (or directory) being written.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The state could not be encoded as JSON (not expected: every value came from JSON).
    #[error("sandbox could not encode its data: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The thresholds of the write policy (tests shrink them to reach the journal quickly).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// While the last snapshot is at most this big and the journal is empty, a write
    /// rewrites the snapshot instead of appending.
    pub small_state: u64,
    /// The journal is folded into a new snapshot once it is bigger than this and than the
    /// snapshot.
    pub min_journal: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            small_state: 1 << 20,
            min_journal: 1 << 20,
        }
    }
}

/// The first line of every journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    ddhooks_sandbox_journal: u32,
    generation: u64,
}

/// CRC-32 (IEEE 802.3, the one of zip and PNG), table-driven.
fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// `CRC SP JSON LF`.
fn encode_line(value: &impl Serialize) -> Result<Vec<u8>, PersistError> {
    let json = serde_json::to_vec(value)?;
    let mut line = format!("{:08x} ", crc32(&json)).into_bytes();
    line.extend_from_slice(&json);
    line.push(b'\n');
    Ok(line)
}

/// The JSON of a line (without its `LF`) whose checksum matches.
fn decode_line(line: &[u8]) -> Result<&[u8], String> {
    let (Some(crc), Some(b' ')) = (line.get(..8), line.get(8)) else {
        return Err("expected an 8-digit checksum and a space".to_string());
    };
    let expected = std::str::from_utf8(crc)
        .ok()
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .ok_or_else(|| "the checksum is not hexadecimal".to_string())?;
    let json = &line[9..];
    let actual = crc32(json);
    if actual == expected {
        Ok(json)
    } else {
        Err(format!(
            "checksum mismatch (the line says {expected:08x}, its text gives {actual:08x})"
        ))
    }
}

/// Writes `bytes` over `path` atomically and makes the rename itself durable.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let write_error = |source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    };
    ddhooks_core::fs::write_atomic(path, bytes).map_err(write_error)?;
    sync_dir(path)
}

/// The directory a data file lives in.
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Syncs the directory of `path`, so that a file created or renamed there survives a crash.
#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<(), PersistError> {
    let dir = parent(path);
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| PersistError::Write { path: dir, source })
}

/// Directories cannot be opened for syncing here; renames are made durable by the OS.
#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> Result<(), PersistError> {
    Ok(())
}

/// `sandbox.json` → `sandbox.json.journal.` (the journals' common prefix).
fn journal_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{name}.journal.")
}

/// The journal of generation `generation` for the data file `path`.
pub(crate) fn journal_path(path: &Path, generation: u64) -> PathBuf {
    parent(path).join(format!("{}{generation}", journal_prefix(path)))
}

/// Every journal of the data file `path` present on disk, by generation.
fn journals(path: &Path) -> Vec<(u64, PathBuf)> {
    let prefix = journal_prefix(path);
    let Ok(entries) = std::fs::read_dir(parent(path)) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let generation = name.strip_prefix(&prefix)?.parse::<u64>().ok()?;
            Some((generation, entry.path()))
        })
        .collect();
    found.sort();
    found
}

/// Replays the journal `path` of generation `generation` onto `data`; returns the length of
/// its valid part (everything before a torn last line).
fn replay(path: &Path, generation: u64, data: &mut Data) -> Result<u64, PersistError> {
    let bytes = std::fs::read(path).map_err(|source| PersistError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Complete lines (with their LF) and what follows the last LF.
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            lines.push(start..i);
            start = i + 1;
        }
    }
    // A torn write is always the last thing in the file: bytes after the last LF, or, when
    // the file ends with LF, the last line (a hole the crash left in its middle).
    let tail_is_torn = start < bytes.len();
    let mut valid = 0u64;
    for (index, range) in lines.iter().enumerate() {
        let line = index + 1;
        let offset = range.start as u64;
        let error = |reason: String| PersistError::Journal {
            path: path.to_path_buf(),
            line,
            offset,
            reason,
        };
        let json = match decode_line(&bytes[range.clone()]) {
            Ok(json) => json,
            Err(_) if index + 1 == lines.len() && !tail_is_torn => break,
            Err(reason) => return Err(error(reason)),
        };
        if index == 0 {
            let header: Header = serde_json::from_slice(json)
                .map_err(|err| error(format!("not a journal header: {err}")))?;
            if header.ddhooks_sandbox_journal != JOURNAL_FORMAT {
                return Err(error(format!(
                    "journal format {} is not the one this ddhooks reads ({JOURNAL_FORMAT})",
                    header.ddhooks_sandbox_journal
                )));
            }
            if header.generation != generation {
                return Err(error(format!(
                    "the header says generation {}, the file name {generation}",
                    header.generation
                )));
            }
        } else {
            let record: Record = serde_json::from_slice(json)
                .map_err(|err| error(format!("not a journal record: {err}")))?;
            record.apply(data);
        }
        valid = range.end as u64 + 1;
    }
    Ok(valid)
}

/// An open journal file, shared with the writes waiting for it to be synced.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    /// Bytes written so far (everything before this offset has been handed to the OS).
    written: AtomicU64,
    /// Bytes known to be on disk; held while syncing, so that waiters queue behind one sync.
    synced: Mutex<u64>,
    /// A sync failed: what was written may or may not be on disk, so no later sync counts.
    broken: AtomicBool,
    /// A newer snapshot holds everything this journal held: nothing to wait for.
    superseded: AtomicBool,
}

impl Journal {
    /// Returns once everything up to `upto` is on disk (or in a newer snapshot). One sync
    /// covers every write handed to the OS before it started, so writes that wait together
    /// share it.
    fn sync_to(&self, upto: u64) -> Result<(), PersistError> {
        if self.superseded.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        if self.superseded.load(Ordering::Acquire) || *synced >= upto {
            return Ok(());
        }
        let failed = |source| PersistError::Write {
            path: self.path.clone(),
            source,
        };
        if self.broken.load(Ordering::Acquire) {
            return Err(failed(io::Error::other(
                "an earlier sync of this journal failed",
            )));
        }
        let target = self.written.load(Ordering::Acquire);
        match self.file.sync_data() {
            Ok(()) => {
                *synced = (*synced).max(target);
                Ok(())
            }
            Err(source) => {
                self.broken.store(true, Ordering::Release);
                Err(failed(source))
            }
        }
    }
}

/// A write that is in the journal but maybe not yet on disk.
#[derive(Debug)]
pub(crate) struct Ticket {
    journal: Arc<Journal>,
    upto: u64,
}

impl Ticket {
    /// Blocks until the write is on disk.
    pub(crate) fn wait(self) -> Result<(), PersistError> {
        self.journal.sync_to(self.upto)
    }
}

/// The files behind a persisted store and where they stand; used under the store's lock.
#[derive(Debug)]
pub(crate) struct Disk {
    path: PathBuf,
    policy: Policy,
    /// The journal generation the snapshot on disk names; `None` until this store wrote a
    /// version 2 snapshot (no file yet, or a version 1 file).
    generation: Option<u64>,
    /// The generation the next snapshot will name (above every journal seen on disk).
    next_generation: u64,
    /// The journal of `generation`, once it exists.
    journal: Option<Arc<Journal>>,
    /// Size of that journal, header included.
    journal_end: u64,
    /// Bytes of records in the journal (what compaction would fold in).
    journal_bytes: u64,
    /// Size of the snapshot on disk.
    snapshot_bytes: u64,
    /// Compaction failed: do not try again before the journal reaches this size.
    retry_compaction_at: u64,
    /// The state in memory may differ from the files (a write failed half-way, or the
    /// journal cannot be trusted): the next write rewrites the snapshot.
    resync: bool,
}

impl Disk {
    /// Loads the data file at `path` (snapshot, then its journal), or starts empty when there
    /// is none.
    pub(crate) fn open(path: &Path, policy: Policy) -> Result<(Data, Disk), PersistError> {
        let on_disk = journals(path);
        let mut disk = Disk {
            path: path.to_path_buf(),
            policy,
            generation: None,
            next_generation: on_disk.last().map_or(1, |(g, _)| g.saturating_add(1)),
            journal: None,
            journal_end: 0,
            journal_bytes: 0,
            snapshot_bytes: 0,
            retry_compaction_at: 0,
            resync: false,
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                // Journals without a snapshot belong to a data file that was deleted; they
                // go with the first snapshot.
                return Ok((Data::default(), disk));
            }
            Err(source) => {
                return Err(PersistError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let (mut data, generation) = decode_snapshot(path, &bytes)?;
        disk.snapshot_bytes = bytes.len() as u64;
        let Some(generation) = generation else {
            return Ok((data, disk));
        };
        disk.generation = Some(generation);
        disk.next_generation = disk.next_generation.max(generation.saturating_add(1));
        let journal_path = journal_path(path, generation);
        if journal_path.exists() {
            let valid = replay(&journal_path, generation, &mut data)?;
            disk.reopen(journal_path, valid);
        }
        disk.remove_stale_journals();
        Ok((data, disk))
    }

    /// Continues the journal at `path` after its first `valid` bytes, cutting off a torn
    /// tail. When that fails the journal is abandoned for a new snapshot at the next write.
    fn reopen(&mut self, path: PathBuf, valid: u64) {
        if valid == 0 {
            // Not even a complete header: the journal is started again when needed.
            return;
        }
        let opened = OpenOptions::new().write(true).open(&path).and_then(|file| {
            if file.metadata()?.len() > valid {
                file.set_len(valid)?;
            }
            // What was replayed may still be only in the page cache (the process that wrote
            // it died before syncing): make it durable before writes build on it.
            file.sync_data()?;
            Ok(file)
        });
        match opened {
            Ok(file) => {
                self.journal = Some(Arc::new(Journal {
                    file,
                    path,
                    written: AtomicU64::new(valid),
                    synced: Mutex::new(valid),
                    broken: AtomicBool::new(false),
                    superseded: AtomicBool::new(false),
                }));
                self.journal_end = valid;
                self.journal_bytes = valid;
            }
            Err(err) => {
                tracing::warn!(
                    "sandbox journal {} cannot be continued: {err}",
                    path.display()
                );
                self.resync = true;
            }
        }
    }

    /// Deletes every journal of this data file but the current generation's.
    fn remove_stale_journals(&self) {
        for (generation, path) in journals(&self.path) {
            if Some(generation) != self.generation {
                if let Err(err) = std::fs::remove_file(&path) {
                    tracing::warn!("cannot remove old journal {}: {err}", path.display());
                }
            }
        }
    }

    /// Persists a write: `record` is what it changed (`None`: unknown, so the whole state is
    /// written). Returns the ticket to wait on when the write went to the journal, `None` when
    /// it is already on disk.
    pub(crate) fn commit(
        &mut self,
        data: &Data,
        record: Option<Record>,
    ) -> Result<Option<Ticket>, PersistError> {
        let result = self.commit_inner(data, record);
        if result.is_err() {
            // Memory holds the write, the files may not: the next write puts them level.
            self.resync = true;
        }
        result
    }

    fn commit_inner(
        &mut self,
        data: &Data,
        record: Option<Record>,
    ) -> Result<Option<Ticket>, PersistError> {
        let journal_broken = self
            .journal
            .as_ref()
            .is_some_and(|j| j.broken.load(Ordering::Acquire));
        let small = self.journal_bytes == 0 && self.snapshot_bytes <= self.policy.small_state;
        let record = match record {
            Some(record) if record.is_empty() && !self.resync && !journal_broken => {
                return Ok(None)
            }
            Some(record)
                if self.generation.is_some() && !self.resync && !journal_broken && !small =>
            {
                record
            }
            _ => return self.snapshot(data).map(|()| None),
        };
        let ticket = self.append(&record)?;
        let limit = self.policy.min_journal.max(self.snapshot_bytes);
        if self.journal_bytes > limit && self.journal_bytes >= self.retry_compaction_at {
            match self.snapshot(data) {
                Ok(()) => return Ok(None),
                Err(err) => {
                    // The journal still holds everything: keep going, try again later.
                    tracing::warn!("sandbox could not compact its journal: {err}");
                    self.retry_compaction_at = self.journal_bytes.saturating_add(limit);
                }
            }
        }
        Ok(Some(ticket))
    }

    /// Writes one record at the end of the journal (creating it first if needed).
    fn append(&mut self, record: &Record) -> Result<Ticket, PersistError> {
        let line = encode_line(record)?;
        let journal = match &self.journal {
            Some(journal) => journal.clone(),
            None => self.create_journal()?,
        };
        let start = self.journal_end;
        let written = (&journal.file)
            .seek(SeekFrom::Start(start))
            .and_then(|_| (&journal.file).write_all(&line));
        if let Err(source) = written {
            // Cut the partial line off, so the journal stays a clean prefix; if even that
            // fails, `commit` marks the store for a new snapshot, which abandons this file.
            let _ = journal.file.set_len(start);
            return Err(PersistError::Write {
                path: journal.path.clone(),
                source,
            });
        }
        let end = start + line.len() as u64;
        journal.written.store(end, Ordering::Release);
        self.journal_end = end;
        self.journal_bytes += line.len() as u64;
        Ok(Ticket { journal, upto: end })
    }

    /// Creates the journal of the current generation with its header, and makes its name
    /// durable (its content becomes durable with the first record's sync).
    fn create_journal(&mut self) -> Result<Arc<Journal>, PersistError> {
        let generation = self.generation.unwrap_or_default();
        let path = journal_path(&self.path, generation);
        let header = encode_line(&Header {
            ddhooks_sandbox_journal: JOURNAL_FORMAT,
            generation,
        })?;
        let created = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .and_then(|mut file| file.write_all(&header).map(|()| file));
        let file = created.map_err(|source| PersistError::Write {
            path: path.clone(),
            source,
        })?;
        sync_dir(&path)?;
        let end = header.len() as u64;
        let journal = Arc::new(Journal {
            file,
            path,
            written: AtomicU64::new(end),
            synced: Mutex::new(0),
            broken: AtomicBool::new(false),
            superseded: AtomicBool::new(false),
        });
        self.journal = Some(journal.clone());
        self.journal_end = end;
        Ok(journal)
    }

    /// Writes the whole state as a snapshot naming a new, empty journal generation, then
    /// deletes the journals it replaces. Until the new snapshot is renamed into place and
    /// its directory synced, the old snapshot and journal are untouched.
    pub(crate) fn snapshot(&mut self, data: &Data) -> Result<(), PersistError> {
        let generation = self.next_generation;
        self.next_generation = generation.saturating_add(1);
        let bytes = encode_snapshot(data, Some(generation))?;
        replace_file(&self.path, &bytes)?;
        if let Some(old) = self.journal.take() {
            old.superseded.store(true, Ordering::Release);
        }
        self.generation = Some(generation);
        self.journal_end = 0;
        self.journal_bytes = 0;
        self.snapshot_bytes = bytes.len() as u64;
        self.retry_compaction_at = 0;
        self.resync = false;
        self.remove_stale_journals();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
