//! The apply lock: one apply at a time per org, so that two applies never interleave their
//! writes nor read-modify-write the registry over each other.
//!
//! The lock is the custom variable [`LOCK_VARIABLE`], holding who took it, since when and
//! until when. It is taken by **creating** the variable (Datadog answers 400 when it already
//! exists, so of two creates one fails) and then, after a short settling delay, **reading it
//! back**: a store that loses overlapping writes can answer 201 to both creates, and the
//! read-back tells which one survived. The holder refreshes the expiry while it works and
//! deletes the variable at the end. A lock whose holder stopped refreshing (expired), or
//! whose holder was a process of this host that no longer runs, is taken over.

use crate::{wire, ApiError, Client};
use ddhooks_core::registry::LOCK_VARIABLE;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

const FORMAT: &str = "ddhooks-lock/1";

/// How long a lock lives without a refresh, and how long to wait before reading it back.
#[derive(Debug, Clone, Copy)]
pub struct LockOptions {
    /// Lifetime of the lock without a refresh; the holder refreshes it every quarter.
    pub ttl: Duration,
    /// Wait between writing the lock and reading it back.
    pub settle: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            ttl: Duration::from_secs(120),
            settle: Duration::from_millis(500),
        }
    }
}

/// What the lock variable holds (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Always `ddhooks-lock/1`.
    pub format: String,
    /// Unique per apply: host, process id and a random part.
    pub owner: String,
    /// The host the apply runs on.
    pub host: String,
    /// Its process id.
    pub pid: u32,
    /// When it was taken (RFC 3339, UTC).
    pub since: String,
    /// Unix time after which it may be taken over.
    pub expires: u64,
}

impl LockInfo {
    /// `held by OWNER (pid P on HOST) since SINCE, expiring in Ns unless refreshed`.
    pub fn describe(&self) -> String {
        format!(
            "held by {} (pid {} on {}) since {}, expiring in {}s unless refreshed",
            self.owner,
            self.pid,
            self.host,
            self.since,
            self.expires.saturating_sub(unix_now())
        )
    }

    /// Whether the holder is gone: expired, or a process of this host that no longer runs.
    fn abandoned(&self) -> bool {
        self.expired() || (self.host == host_name() && !process_alive(self.pid))
    }

    /// Whether the holder stopped refreshing it for longer than its lifetime.
    pub fn expired(&self) -> bool {
        self.expires <= unix_now()
    }

    /// Whether the holder is a process of this host that still runs (then nobody may
    /// remove the lock but that process).
    pub fn holder_runs_here(&self) -> bool {
        self.host == host_name() && process_alive(self.pid)
    }

    /// How long ago it was taken (`None` when `since` cannot be read).
    pub fn age(&self) -> Option<Duration> {
        let since = time::OffsetDateTime::parse(
            &self.since,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        let age = time::OffsetDateTime::now_utc() - since;
        Duration::try_from(age).ok()
    }

    /// Seconds until it expires (negative: expired that long ago).
    pub fn expires_in(&self) -> i64 {
        i64::try_from(self.expires).unwrap_or(i64::MAX) - i64::try_from(unix_now()).unwrap_or(0)
    }
}

/// Reads the apply lock as it stands: `None` when no apply holds it.
pub async fn inspect(client: &Client) -> Result<Option<LockInfo>, LockError> {
    match client.get_variable(LOCK_VARIABLE).await? {
        Some(v) => parse(v.value.as_deref()).map(Some),
        None => Ok(None),
    }
}

/// Removes the lock `seen` (for `ddhooks unlock`), only if it still is that lock: one that
/// changed hands meanwhile is an apply that just started, and is left alone. Returns false
/// when the lock was already gone.
pub async fn remove_stale(client: &Client, seen: &LockInfo) -> Result<bool, LockError> {
    match inspect(client).await? {
        None => Ok(false),
        Some(now) if now.owner == seen.owner => {
            client.delete_variable(LOCK_VARIABLE).await?;
            Ok(true)
        }
        Some(now) => Err(LockError::Held(format!(
            "{} (it changed hands while unlock was looking; that apply is new and was left alone)",
            now.describe()
        ))),
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another apply holds it.
    #[error("another apply is running against this org: the lock `{LOCK_VARIABLE}` is {0}; nothing was changed: run apply again when it is done (if that apply was killed, `ddhooks unlock` releases the lock at once; otherwise it expires by itself)")]
    Held(String),
    /// The variable exists but is not a ddhooks lock.
    #[error("the custom variable `{LOCK_VARIABLE}` exists but is not a ddhooks lock ({0}); rename or delete it")]
    Foreign(String),
    /// The API failed.
    #[error("taking the apply lock `{LOCK_VARIABLE}` failed: {0}")]
    Api(#[from] ApiError),
}

/// A held lock.
#[derive(Debug)]
pub struct Lock<'a> {
    client: &'a Client,
    info: LockInfo,
    options: LockOptions,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// This host's name (best effort; `unknown` when it cannot be read).
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Whether process `pid` of this host runs (zombies do not count). Where this cannot be
/// told (no `/proc`), answers true, so the lock is only taken over once it expires.
fn process_alive(pid: u32) -> bool {
    if !std::path::Path::new("/proc/self").exists() {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

fn parse(value: Option<&str>) -> Result<LockInfo, LockError> {
    let text = value.unwrap_or("");
    serde_json::from_str::<LockInfo>(text)
        .ok()
        .filter(|i| i.format == FORMAT)
        .ok_or_else(|| {
            LockError::Foreign(if value.is_none() {
                "it is secret".into()
            } else {
                "unexpected content".into()
            })
        })
}

/// A lock written but not confirmed yet. Reading (fetching, planning) may go on while
/// [`Claim::confirm`] waits out the settling delay; writing must wait for the confirmation.
#[derive(Debug)]
pub struct Claim<'a>(Lock<'a>);

impl<'a> Claim<'a> {
    /// Reads the lock back after the settling delay: the lock is this apply's only if its
    /// write survived.
    pub async fn confirm(self) -> Result<Lock<'a>, LockError> {
        self.0.confirm().await
    }
}

impl<'a> Lock<'a> {
    /// Takes the lock (claims and confirms it), or says who holds it.
    pub async fn acquire(client: &'a Client, options: LockOptions) -> Result<Lock<'a>, LockError> {
        Self::claim(client, options).await?.confirm().await
    }

    /// Writes the lock, or says who holds it; [`Claim::confirm`] then makes sure the write
    /// was not lost.
    pub async fn claim(client: &'a Client, options: LockOptions) -> Result<Claim<'a>, LockError> {
        let host = host_name();
        let pid = std::process::id();
        let nonce: u64 = rand::random();
        let owner = format!("{host}:{pid}:{nonce:016x}");
        let since = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut lock = Lock {
            client,
            info: LockInfo {
                format: FORMAT.into(),
                owner,
                host,
                pid,
                since,
                expires: 0,
            },
            options,
        };
        for _ in 0..5 {
            lock.info.expires = unix_now() + options.ttl.as_secs();
            let body = wire::CustomVariableCreateRequest {
                is_secret: false,
                name: LOCK_VARIABLE.into(),
                value: lock.value(),
            };
            match client.post_variable(&body).await {
                Ok(_) => return Ok(Claim(lock)),
                Err(e) if e.status() == Some(400) || e.outcome_unknown() => {
                    let Some(existing) = client.get_variable(LOCK_VARIABLE).await? else {
                        if e.status() == Some(400) && !e.to_string().contains("exist") {
                            // Refused for another reason than "it exists": say why.
                            return Err(e.into());
                        }
                        continue;
                    };
                    let holder = parse(existing.value.as_deref())?;
                    if holder.owner == lock.info.owner {
                        return Ok(Claim(lock));
                    }
                    if !holder.abandoned() {
                        return Err(LockError::Held(holder.describe()));
                    }
                    tracing::warn!(holder = %holder.owner, "taking over an abandoned apply lock");
                    lock.write().await?;
                    return Ok(Claim(lock));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(LockError::Held(
            "changing hands too fast to be taken".into(),
        ))
    }

    fn value(&self) -> String {
        serde_json::to_string(&self.info).unwrap_or_default()
    }

    async fn write(&self) -> Result<(), ApiError> {
        let body = wire::CustomVariableUpdateRequest::overwrite(self.value(), false);
        self.client.update_variable(LOCK_VARIABLE, &body).await?;
        Ok(())
    }

    /// Who holds the lock now (`None`: nobody).
    async fn holder(&self) -> Result<Option<LockInfo>, LockError> {
        match self.client.get_variable(LOCK_VARIABLE).await? {
            Some(v) => parse(v.value.as_deref()).map(Some),
            None => Ok(None),
        }
    }

    /// Reads the lock back after the settling delay: a lost write shows here.
    async fn confirm(self) -> Result<Lock<'a>, LockError> {
        tokio::time::sleep(self.options.settle).await;
        match self.holder().await? {
            Some(h) if h.owner == self.info.owner => Ok(self),
            Some(h) => Err(LockError::Held(h.describe())),
            None => Err(LockError::Held(
                "released or taken while this apply was taking it".into(),
            )),
        }
    }

    /// Refreshes the lock every quarter of its lifetime until `done` is notified. If the
    /// lock was taken over meanwhile, sets `stop` (the write in flight finishes, nothing new
    /// starts) and returns why.
    pub async fn keep_alive(&self, done: &Notify, stop: &AtomicBool) -> Option<String> {
        let every = (self.options.ttl / 4).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = done.notified() => return None,
                _ = tokio::time::sleep(every) => {}
            }
            match self.holder().await {
                Ok(Some(h)) if h.owner == self.info.owner => {
                    let mut refreshed = self.info.clone();
                    refreshed.expires = unix_now() + self.options.ttl.as_secs();
                    let body = wire::CustomVariableUpdateRequest::overwrite(
                        serde_json::to_string(&refreshed).unwrap_or_default(),
                        false,
                    );
                    if let Err(e) = self.client.update_variable(LOCK_VARIABLE, &body).await {
                        tracing::warn!(error = %e, "refreshing the apply lock failed; trying again later");
                    }
                }
                Ok(other) => {
                    stop.store(true, Ordering::SeqCst);
                    let who = other.map_or_else(|| "deleted".to_string(), |h| h.describe());
                    return Some(format!("the apply lock `{LOCK_VARIABLE}` was lost (now {who}); stopped after the write in flight"));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the apply lock failed; trying again later");
                }
            }
        }
    }

    /// Deletes the lock if this apply still holds it.
    pub async fn release(self) -> Result<(), LockError> {
        if let Some(h) = self.holder().await? {
            if h.owner == self.info.owner {
                self.client.delete_variable(LOCK_VARIABLE).await?;
            }
        }
        Ok(())
    }

    /// This lock's content (tests and reports).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}
