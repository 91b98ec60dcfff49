//! The sandbox's state and its persistence.
//!
//! All state sits behind one `std::sync::RwLock` that is never held across an `.await`:
//! writes take it alone, reads (a listing page of megabytes among them) side by side.
//! With a data file, every successful write is persisted before it is answered: as one line
//! appended to a journal beside the snapshot, or, while the state is small, as a new snapshot
//! (see [`crate::persist`] for the files and why a crash never leaves a state that is neither
//! the one before nor the one after a write).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use crate::data::{
    Data, Directory, Integration, StoredAuthMethod, StoredVariable, REDACTED_SECRET,
};
pub use crate::error::ApiError;
pub use crate::persist::Touched;
use crate::persist::{Disk, Marks, PersistError, Policy, Record, Ticket};

/// The state plus where (if anywhere) it is persisted.
#[derive(Debug)]
pub struct Store {
    data: RwLock<Data>,
    path: Option<PathBuf>,
    /// The files, locked only while `data` is locked for writing (so journal order is write
    /// order).
    disk: Option<Mutex<Disk>>,
}

/// A write applied in memory and handed to the disk: [`Pending::wait`] (or
/// [`Pending::wait_blocking`]) returns its result once the write is on disk. Waiting outside
/// the store's lock lets writes in flight together share one sync.
#[derive(Debug)]
#[must_use = "a write is acknowledged only once it is on disk: wait for it"]
pub struct Pending<R> {
    value: R,
    ticket: Option<Ticket>,
}

impl<R> Pending<R> {
    /// Waits, on a blocking thread, until the write is on disk; then its result.
    pub async fn wait(self) -> Result<R, ApiError> {
        let Some(ticket) = self.ticket else {
            return Ok(self.value);
        };
        tokio::task::spawn_blocking(move || ticket.wait())
            .await
            .map_err(|err| ApiError::internal(format!("sandbox could not save its data: {err}")))?
            .map_err(save_error)?;
        Ok(self.value)
    }

    /// Blocks until the write is on disk; then its result.
    pub fn wait_blocking(self) -> Result<R, ApiError> {
        if let Some(ticket) = self.ticket {
            ticket.wait().map_err(save_error)?;
        }
        Ok(self.value)
    }
}

/// A 500 for a failed save.
fn save_error(err: PersistError) -> ApiError {
    ApiError::internal(format!("sandbox could not save its data: {err}"))
}

impl Store {
    /// A store in memory only.
    pub fn in_memory() -> Self {
        Self {
            data: RwLock::new(Data::default()),
            path: None,
            disk: None,
        }
    }

    /// A store backed by `path`: loads it (snapshot and journal) when it exists, starts empty
    /// otherwise. A damaged file is refused with a [`PersistError`] naming it, and left as
    /// it is.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        Ok(Self::open_with(path, Policy::default())?)
    }

    /// [`Store::open`] with the write policy's thresholds given.
    pub(crate) fn open_with(path: &Path, policy: Policy) -> Result<Self, PersistError> {
        let (data, disk) = Disk::open(path, policy)?;
        Ok(Self {
            data: RwLock::new(data),
            path: Some(path.to_path_buf()),
            disk: Some(Mutex::new(disk)),
        })
    }

    /// The data file, if the store is persisted.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Locks the state for a write that is not persisted (changes made through the guard
    /// reach the data file only with the next snapshot), or a read that must not overlap
    /// any other.
    pub fn lock(&self) -> RwLockWriteGuard<'_, Data> {
        // A panic while holding the lock cannot leave `Data` half-updated in a way that
        // matters more than refusing to serve, so recover the guard.
        self.data
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the state for reading, alongside other readers: pages of 1,000 monitors are
    /// serialised under it, several at once, while single reads go on.
    pub fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `change` on the state, which records in [`Touched`] the keys it wrote; when it
    /// succeeds, journals what those keys now hold (plus counters and appended check runs and
    /// deliveries). The result is answered once [`Pending`] is waited on, when the write is
    /// on disk. A failed change must not have modified the state (every operation validates
    /// before it mutates); a key changed but not touched would be lost on restart.
    pub fn apply<R>(
        &self,
        change: impl FnOnce(&mut Data, &mut Touched) -> Result<R, ApiError>,
    ) -> Result<Pending<R>, ApiError> {
        let mut data = self.lock();
        let before = Marks::of(&data);
        let mut touched = Touched::default();
        let value = change(&mut data, &mut touched)?;
        let Some(disk) = &self.disk else {
            return Ok(Pending {
                value,
                ticket: None,
            });
        };
        let record = Record::of(&data, &touched, &before);
        let ticket = lock_disk(disk).commit(&data, record).map_err(save_error)?;
        Ok(Pending { value, ticket })
    }

    /// Runs `change` on the state; when it succeeds, persists the whole new state before
    /// returning, so an answered write is on disk. It costs a full snapshot: writes that
    /// know what they change use [`Store::apply`]. A failed change must not have modified
    /// the state (every operation validates before it mutates).
    pub fn write<R>(
        &self,
        change: impl FnOnce(&mut Data) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut data = self.lock();
        let result = change(&mut data)?;
        if let Some(disk) = &self.disk {
            lock_disk(disk).commit(&data, None).map_err(save_error)?;
        }
        Ok(result)
    }

    /// A copy of the webhooks and custom variables (the read of a read-modify-write).
    pub fn integration_snapshot(&self) -> Integration {
        self.lock().integration.clone()
    }

    /// Replaces webhooks and custom variables whole (the write of a read-modify-write);
    /// returns once on disk.
    pub fn replace_integration(&self, integration: Integration) -> Result<(), ApiError> {
        self.replace_integration_pending(integration)?
            .wait_blocking()
    }

    /// [`Store::replace_integration`], answered once [`Pending`] is waited on.
    pub fn replace_integration_pending(
        &self,
        integration: Integration,
    ) -> Result<Pending<()>, ApiError> {
        self.apply(|data, touched| {
            touched.integration(&data.integration, &integration);
            data.integration = integration;
            Ok(())
        })
    }
}

#[cfg(test)]
impl Store {
    /// The files' state, for tests that break or inspect it.
    pub(crate) fn disk_for_tests(&self) -> Option<&Mutex<Disk>> {
        self.disk.as_ref()
    }
}

fn lock_disk(disk: &Mutex<Disk>) -> MutexGuard<'_, Disk> {
    disk.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `data` as a whole-store data file (version 1, no journal) through a temp file
/// beside `path` renamed over it: a killed process leaves the old or the new file, never
/// half of one. [`Store::open`] loads it (and moves to snapshot plus journal at its first
/// write); harnesses use it to seed a large org.
///
/// Secret variable values are not written: a data file on a laptop (`--sandbox` keeps one
/// under `.ddhooks/`) must not hold a real key read from `${env:…}`. After a restart a
/// secret variable holds [`REDACTED_SECRET`] (non-empty, so check runs that send it as a
/// key are still accepted unless keys are restricted).
pub fn write_atomically(path: &Path, data: &Data) -> std::io::Result<()> {
    let text = crate::persist::encode_snapshot(data, None).map_err(std::io::Error::other)?;
    crate::persist::replace_file(path, &text).map_err(std::io::Error::other)
}
