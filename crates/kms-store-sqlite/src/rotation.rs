//! [`RootRotationStore`] over SQLite: the `meta` table records the root
//! key's fingerprint and generation and a rotation under way; the
//! `root_gen` column of `key_material` and `certificates` marks the rows a
//! rotation moved; `carried_pin_keys` holds the PIN keys it carried.

use kms_core::ports::{
    CarriedPinKeys, KeystoreRecord, PortError, PortResult, ROOT_FINGERPRINT_LEN, Rewrapped,
    RootBoundItem, RootBoundRow, RootKeyState, RootRotationStore, RootRotationTarget,
};
use kms_model::CmkSpec;
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{KEYSTORE_COLUMNS, SqliteStore, backend, keystore_record, keystore_row};

const FINGERPRINT: &str = "root_fingerprint";
const GENERATION: &str = "root_generation";
const ROTATION_FINGERPRINT: &str = "rotation_fingerprint";
const ROTATION_GENERATION: &str = "rotation_generation";
/// `meta` name of the change counter the triggers bump.
pub(crate) const CHANGE_COUNTER: &str = "change_counter";

fn meta_blob(c: &Connection, name: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    c.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
        r.get::<_, Option<Vec<u8>>>(0)
    })
    .optional()
    .map(Option::flatten)
}

fn meta_int(c: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    c.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .optional()
    .map(Option::flatten)
}

/// The database's change counter (0 when it has none: written before
/// schema 6).
pub(crate) fn change_counter(c: &Connection) -> rusqlite::Result<i64> {
    let has_meta: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(0);
    }
    Ok(meta_int(c, CHANGE_COUNTER)?.unwrap_or(0))
}

/// A raw row of the state, checked by [`state_of`].
struct RawState {
    fingerprint: Option<Vec<u8>>,
    generation: Option<i64>,
    rotation_fingerprint: Option<Vec<u8>>,
    rotation_generation: Option<i64>,
}

fn raw_state(c: &Connection) -> rusqlite::Result<RawState> {
    Ok(RawState {
        fingerprint: meta_blob(c, FINGERPRINT)?,
        generation: meta_int(c, GENERATION)?,
        rotation_fingerprint: meta_blob(c, ROTATION_FINGERPRINT)?,
        rotation_generation: meta_int(c, ROTATION_GENERATION)?,
    })
}

fn fingerprint(v: Vec<u8>) -> PortResult<[u8; ROOT_FINGERPRINT_LEN]> {
    v.try_into()
        .map_err(|_| PortError::corrupt("bad root key fingerprint in database"))
}

fn generation(v: i64) -> PortResult<u32> {
    u32::try_from(v).map_err(|_| PortError::corrupt("bad root key generation in database"))
}

fn state_of(raw: RawState) -> PortResult<RootKeyState> {
    let rotation = match (raw.rotation_fingerprint, raw.rotation_generation) {
        (Some(f), Some(g)) => Some(RootRotationTarget {
            fingerprint: fingerprint(f)?,
            generation: generation(g)?,
        }),
        (None, None) => None,
        _ => return Err(PortError::corrupt("half-recorded root key rotation")),
    };
    Ok(RootKeyState {
        fingerprint: raw.fingerprint.map(fingerprint).transpose()?,
        generation: generation(raw.generation.unwrap_or(0))?,
        rotation,
    })
}

fn set_meta(c: &Connection, name: &str, value: &dyn rusqlite::ToSql) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )
    .map(drop)
}

type MaterialRow = (String, i64, String, String, Vec<u8>);

fn unmoved(c: &Connection, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let material: Vec<MaterialRow> = c
        .prepare_cached(
            "SELECT m.key_id, m.version, k.keystore_id, k.key_spec, m.wrapped
             FROM key_material m JOIN keys k ON k.key_id = m.key_id
             WHERE m.root_gen != ?1 ORDER BY m.key_id, m.version LIMIT ?2",
        )
        .and_then(|mut st| {
            st.query_map(params![generation, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect()
        })
        .map_err(|e| backend(&e))?;
    let mut rows = Vec::with_capacity(material.len());
    for (key_id, version, keystore_id, spec, bytes) in material {
        rows.push(RootBoundRow {
            item: RootBoundItem::KeyMaterial {
                key_id,
                version: u32::try_from(version)
                    .map_err(|_| PortError::corrupt("bad key version in database"))?,
                keystore_id,
                spec: CmkSpec::parse(&spec)
                    .map_err(|_| PortError::corrupt("bad key spec in database"))?,
            },
            bytes,
        });
    }
    let left = limit - i64::try_from(rows.len()).unwrap_or(limit);
    if left > 0 {
        // A schema-1 row whose clear key is not sealed yet has NULL: the
        // host seals it (under the root key it then has) before serving.
        let certs: Vec<(String, String, Vec<u8>)> = c
            .prepare_cached(
                "SELECT project_id, id, sealed_private_key FROM certificates
                 WHERE root_gen != ?1 AND sealed_private_key IS NOT NULL
                 ORDER BY id LIMIT ?2",
            )
            .and_then(|mut st| {
                st.query_map(params![generation, left], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect()
            })
            .map_err(|e| backend(&e))?;
        rows.extend(
            certs
                .into_iter()
                .map(|(project_id, certificate_id, bytes)| RootBoundRow {
                    item: RootBoundItem::CertificatePrivateKey {
                        project_id,
                        certificate_id,
                    },
                    bytes,
                }),
        );
    }
    Ok(rows)
}

impl RootRotationStore for SqliteStore {
    fn root_key_state(&self) -> PortResult<RootKeyState> {
        state_of(self.read(raw_state).map_err(|e| backend(&e))?)
    }

    fn record_root_fingerprint(
        &self,
        fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
    ) -> PortResult<RootKeyState> {
        let raw = self
            .write(|c| {
                c.execute(
                    "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    params![FINGERPRINT, fingerprint.as_slice()],
                )?;
                raw_state(c)
            })
            .map_err(|e| backend(&e))?;
        state_of(raw)
    }

    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>> {
        let rows = self
            .read(|c| {
                c.prepare(&format!(
                    "SELECT {KEYSTORE_COLUMNS} FROM keystores ORDER BY create_time, keystore_id"
                ))?
                .query_map([], keystore_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| backend(&e))?;
        rows.into_iter().map(keystore_record).collect()
    }

    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>> {
        self.read(|c| {
            c.prepare("SELECT keystore_id, wrapped FROM carried_pin_keys ORDER BY keystore_id")?
                .query_map([], |r| {
                    Ok(CarriedPinKeys {
                        keystore_id: r.get(0)?,
                        wrapped: r.get(1)?,
                    })
                })?
                .collect()
        })
        .map_err(|e| backend(&e))
    }

    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool> {
        let mut checked = Ok(());
        let began = self
            .write(|c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let state = state_of(raw_state(&tx)?);
                let ok = match state {
                    Ok(s) => s.rotation.is_none() && s.fingerprint == Some(*from),
                    Err(e) => {
                        checked = Err(e);
                        false
                    }
                };
                if !ok {
                    return Ok(false);
                }
                tx.execute("DELETE FROM carried_pin_keys", [])?;
                for p in pin_keys {
                    tx.execute(
                        "INSERT INTO carried_pin_keys (keystore_id, wrapped) VALUES (?1, ?2)",
                        params![p.keystore_id, p.wrapped],
                    )?;
                }
                set_meta(&tx, ROTATION_FINGERPRINT, &to.fingerprint.as_slice())?;
                set_meta(&tx, ROTATION_GENERATION, &to.generation)?;
                tx.commit()?;
                Ok(true)
            })
            .map_err(|e| backend(&e))?;
        checked?;
        Ok(began)
    }

    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>> {
        let mut out = Ok(Vec::new());
        self.read(|c| {
            out = unmoved(c, generation, limit);
            Ok(())
        })
        .map_err(|e| backend(&e))?;
        out
    }

    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut written = 0;
            for r in rows {
                written += match &r.item {
                    RootBoundItem::KeyMaterial {
                        key_id, version, ..
                    } => tx
                        .prepare_cached(
                            "UPDATE key_material SET wrapped = ?1, root_gen = ?2
                             WHERE key_id = ?3 AND version = ?4 AND wrapped = ?5",
                        )?
                        .execute(params![r.new, generation, key_id, version, r.old])?,
                    RootBoundItem::CertificatePrivateKey { certificate_id, .. } => tx
                        .prepare_cached(
                            "UPDATE certificates SET sealed_private_key = ?1, root_gen = ?2
                             WHERE id = ?3 AND sealed_private_key = ?4",
                        )?
                        .execute(params![r.new, generation, certificate_id, r.old])?,
                };
            }
            tx.commit()?;
            Ok(written)
        })
        .map_err(|e| backend(&e))
    }

    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool> {
        let mut checked = Ok(());
        let finished = self
            .write(|c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let under_way = match state_of(raw_state(&tx)?) {
                    Ok(s) => s.rotation == Some(*to),
                    Err(e) => {
                        checked = Err(e);
                        false
                    }
                };
                if !under_way {
                    return Ok(false);
                }
                let left: i64 = tx.query_row(
                    "SELECT (SELECT count(*) FROM key_material WHERE root_gen != ?1)
                          + (SELECT count(*) FROM certificates
                             WHERE root_gen != ?1 AND sealed_private_key IS NOT NULL)",
                    [to.generation],
                    |r| r.get(0),
                )?;
                if left != 0 {
                    return Ok(false);
                }
                set_meta(&tx, FINGERPRINT, &to.fingerprint.as_slice())?;
                set_meta(&tx, GENERATION, &to.generation)?;
                tx.execute(
                    "DELETE FROM meta WHERE name IN (?1, ?2)",
                    params![ROTATION_FINGERPRINT, ROTATION_GENERATION],
                )?;
                tx.commit()?;
                Ok(true)
            })
            .map_err(|e| backend(&e))?;
        checked?;
        Ok(finished)
    }
}
