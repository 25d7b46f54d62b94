//! SQLite persistence: the current objects and the revision log that watch resume and
//! consistent paging read from. Only the writer thread touches the connection.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ServerError;

/// How hard a commit waits for the disk before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// `synchronous=FULL`: the WAL is fsynced at every commit, so an acknowledged write
    /// survives a process kill *and* a power loss or kernel crash. This is the default
    /// because clients (controllers, kubectl) act on acknowledgements: a Lease renewal or a
    /// status write that silently vanished after a host crash would break their reasoning.
    /// Concurrent writes share one commit (group commit), so throughput stays high.
    #[default]
    Full,
    /// `synchronous=NORMAL`: in WAL mode a commit is written to the OS before it is
    /// acknowledged but fsynced only at checkpoints, so acknowledged writes survive a killed
    /// process yet the last ones may be lost on power failure. For throwaway test clusters.
    Normal,
}

/// The kind of a change recorded in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added = 1,
    Modified = 2,
    Deleted = 3,
}

impl ChangeKind {
    fn from_i64(v: i64) -> Option<ChangeKind> {
        match v {
            1 => Some(ChangeKind::Added),
            2 => Some(ChangeKind::Modified),
            3 => Some(ChangeKind::Deleted),
            _ => None,
        }
    }
}

/// One row of the revision log.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub rev: u64,
    pub store: String,
    pub key: String,
    pub kind: ChangeKind,
    pub value: Vec<u8>,
    pub prev: Option<Vec<u8>>,
}

/// A stored current object.
#[derive(Debug, Clone)]
pub struct ObjectRow {
    pub store: String,
    pub key: String,
    pub rev: u64,
    pub value: Vec<u8>,
}

/// Everything read at startup.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<ObjectRow>,
    pub log: Vec<LogRow>,
    /// The highest revision ever handed out.
    pub rev: u64,
    /// Log rows with revisions at or below this were compacted away.
    pub compacted: u64,
}

fn set_meta(tx: &Connection, name: &str, value: u64) -> Result<(), rusqlite::Error> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value as i64],
    )?;
    Ok(())
}

/// The database handle.
pub struct Db {
    conn: Connection,
    path: String,
}

fn db_err(path: &str) -> impl Fn(rusqlite::Error) -> ServerError + '_ {
    move |source| ServerError::Database {
        path: path.to_string(),
        source,
    }
}

impl Db {
    pub fn open(path: &Path, sync: SyncMode) -> Result<Db, ServerError> {
        let path_str = path.display().to_string();
        let conn = Connection::open(path).map_err(db_err(&path_str))?;
        // The objects include Secrets: only the owner may read the database (SQLite gives its
        // WAL and shared-memory files the database file's mode).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| ServerError::Io {
                    action: "restricting permissions of",
                    path: path_str.clone(),
                    source,
                },
            )?;
        }
        let synchronous = match sync {
            SyncMode::Full => "FULL",
            SyncMode::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous={synchronous};
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS objects (
                 store TEXT NOT NULL, key TEXT NOT NULL, rev INTEGER NOT NULL, value BLOB NOT NULL,
                 PRIMARY KEY (store, key)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS log (
                 rev INTEGER PRIMARY KEY, store TEXT NOT NULL, key TEXT NOT NULL,
                 kind INTEGER NOT NULL, value BLOB NOT NULL, prev BLOB);
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        ))
        .map_err(db_err(&path_str))?;
        Ok(Db {
            conn,
            path: path_str,
        })
    }

    pub fn load(&self) -> Result<Loaded, ServerError> {
        let err = db_err(&self.path);
        let mut loaded = Loaded::default();
        let mut stmt = self
            .conn
            .prepare("SELECT store, key, rev, value FROM objects")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ObjectRow {
                    store: r.get(0)?,
                    key: r.get(1)?,
                    rev: r.get::<_, i64>(2)? as u64,
                    value: r.get(3)?,
                })
            })
            .map_err(&err)?;
        for row in rows {
            loaded.objects.push(row.map_err(&err)?);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT rev, store, key, kind, value, prev FROM log ORDER BY rev")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Option<Vec<u8>>>(5)?,
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (rev, store, key, kind, value, prev) = row.map_err(&err)?;
            let kind = ChangeKind::from_i64(kind).ok_or_else(|| ServerError::CorruptRecord {
                store: store.clone(),
                key: key.clone(),
                reason: format!("unknown change kind {kind} at revision {rev}"),
            })?;
            loaded.log.push(LogRow {
                rev,
                store,
                key,
                kind,
                value,
                prev,
            });
        }
        let meta = |name: &str| -> Result<u64, ServerError> {
            let v: Option<i64> = self
                .conn
                .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(db_err(&self.path))?;
            Ok(v.unwrap_or(0) as u64)
        };
        loaded.compacted = meta("compacted")?;
        let max_object = loaded.objects.iter().map(|o| o.rev).max().unwrap_or(0);
        let max_log = loaded.log.last().map(|l| l.rev).unwrap_or(0);
        loaded.rev = meta("rev")?.max(max_object).max(max_log);
        if loaded.compacted == 0 {
            loaded.compacted = loaded.log.first().map(|l| l.rev - 1).unwrap_or(loaded.rev);
        }
        Ok(loaded)
    }

    /// Opens the transaction of one batch of writes (group commit): each write is stored under
    /// a savepoint of its own with [`BatchTxn::write`], and [`BatchTxn::commit`] makes them all
    /// durable at once, at the configured synchronous level.
    pub fn begin(&mut self) -> Result<BatchTxn<'_>, rusqlite::Error> {
        Ok(BatchTxn {
            tx: self.conn.transaction()?,
            last_rev: None,
        })
    }

    /// Drops log rows at or below `upto`; watches from older revisions then get 410 Expired.
    pub fn compact(&mut self, upto: u64) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM log WHERE rev <= ?1", [upto as i64])?;
        set_meta(&tx, "compacted", upto)?;
        tx.commit()
    }
}

/// The open transaction of one batch; dropped without [`BatchTxn::commit`], it stores nothing.
pub struct BatchTxn<'c> {
    tx: rusqlite::Transaction<'c>,
    /// The revision of the last change stored so far.
    last_rev: Option<u64>,
}

impl BatchTxn<'_> {
    /// Stores the changes of one write under a savepoint: when one of them fails, that write's
    /// rows are rolled back and the writes before and after it in the batch are kept.
    pub fn write(&mut self, changes: &[LogRow]) -> Result<(), rusqlite::Error> {
        let savepoint = self.tx.savepoint()?;
        // On an error the savepoint is dropped unreleased, which rolls back to it.
        write_rows(&savepoint, changes)?;
        savepoint.commit()?;
        if let Some(last) = changes.last() {
            self.last_rev = Some(last.rev);
        }
        Ok(())
    }

    /// Commits every write stored in the batch with one sync of the log.
    pub fn commit(self) -> Result<(), rusqlite::Error> {
        if let Some(rev) = self.last_rev {
            set_meta(&self.tx, "rev", rev)?;
        }
        self.tx.commit()
    }
}

/// Appends changes to the revision log and applies them to the current objects.
fn write_rows(conn: &Connection, changes: &[LogRow]) -> Result<(), rusqlite::Error> {
    let mut log = conn.prepare_cached(
        "INSERT INTO log (rev, store, key, kind, value, prev) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO objects (store, key, rev, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (store, key) DO UPDATE SET rev = excluded.rev, value = excluded.value",
    )?;
    let mut delete = conn.prepare_cached("DELETE FROM objects WHERE store = ?1 AND key = ?2")?;
    for c in changes {
        log.execute(params![
            c.rev as i64,
            c.store,
            c.key,
            c.kind as i64,
            c.value,
            c.prev
        ])?;
        match c.kind {
            ChangeKind::Deleted => delete.execute(params![c.store, c.key])?,
            ChangeKind::Added | ChangeKind::Modified => {
                upsert.execute(params![c.store, c.key, c.rev as i64, c.value])?
            }
        };
    }
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
