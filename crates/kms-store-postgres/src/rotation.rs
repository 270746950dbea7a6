//! [`RootRotationStore`] over PostgreSQL: the `root_key_fingerprint` row
//! records the root key's fingerprint, its generation and a rotation under
//! way; `root_gen` of `key_material` and `certificates` marks the rows a
//! rotation moved; `carried_pin_keys` holds the PIN keys it carried.

use kms_core::ports::{
    CarriedPinKeys, KeystoreRecord, PortError, PortResult, ROOT_FINGERPRINT_LEN, Rewrapped,
    RootBoundItem, RootBoundRow, RootKeyState, RootRotationStore, RootRotationTarget,
};
use kms_model::CmkSpec;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::{KEYSTORE_COLUMNS, PostgresStore, corrupt_row, keystore_record};

const STATE: &str = "SELECT fingerprint, generation, rotation_fingerprint, rotation_generation
                     FROM root_key_fingerprint";

fn fingerprint(v: Vec<u8>) -> PortResult<[u8; ROOT_FINGERPRINT_LEN]> {
    v.try_into()
        .map_err(|_| PortError::corrupt("bad root key fingerprint in database"))
}

fn generation(v: i64) -> PortResult<u32> {
    u32::try_from(v).map_err(|_| PortError::corrupt("bad root key generation in database"))
}

fn state_of(row: Option<&Row>) -> PortResult<RootKeyState> {
    let Some(r) = row else {
        return Ok(RootKeyState::default());
    };
    let fp: Vec<u8> = r.try_get(0).map_err(corrupt_row)?;
    let rotation_fp: Option<Vec<u8>> = r.try_get(2).map_err(corrupt_row)?;
    let rotation_gen: Option<i64> = r.try_get(3).map_err(corrupt_row)?;
    let rotation = match (rotation_fp, rotation_gen) {
        (Some(f), Some(g)) => Some(RootRotationTarget {
            fingerprint: fingerprint(f)?,
            generation: generation(g)?,
        }),
        (None, None) => None,
        _ => return Err(PortError::corrupt("half-recorded root key rotation")),
    };
    Ok(RootKeyState {
        fingerprint: Some(fingerprint(fp)?),
        generation: generation(r.try_get(1).map_err(corrupt_row)?)?,
        rotation,
    })
}

fn bound_rows(material: &[Row], certs: &[Row]) -> PortResult<Vec<RootBoundRow>> {
    let mut rows = Vec::with_capacity(material.len() + certs.len());
    for r in material {
        let spec: String = r.try_get(3).map_err(corrupt_row)?;
        let version: i64 = r.try_get(1).map_err(corrupt_row)?;
        rows.push(RootBoundRow {
            item: RootBoundItem::KeyMaterial {
                key_id: r.try_get(0).map_err(corrupt_row)?,
                version: u32::try_from(version)
                    .map_err(|_| PortError::corrupt("bad key version in database"))?,
                keystore_id: r.try_get(2).map_err(corrupt_row)?,
                spec: CmkSpec::parse(&spec)
                    .map_err(|_| PortError::corrupt("bad key spec in database"))?,
            },
            bytes: r.try_get(4).map_err(corrupt_row)?,
        });
    }
    for r in certs {
        rows.push(RootBoundRow {
            item: RootBoundItem::CertificatePrivateKey {
                project_id: r.try_get(0).map_err(corrupt_row)?,
                certificate_id: r.try_get(1).map_err(corrupt_row)?,
            },
            bytes: r.try_get(2).map_err(corrupt_row)?,
        });
    }
    Ok(rows)
}

impl RootRotationStore for PostgresStore {
    fn root_key_state(&self) -> PortResult<RootKeyState> {
        let pool = self.pool();
        let row = self
            .call(async move {
                let c = pool.get().await?;
                Ok(c.query_opt(STATE, &[]).await?)
            })
            .map_err(|e| e.port("postgres: root key state"))?;
        state_of(row.as_ref())
    }

    fn record_root_fingerprint(
        &self,
        fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
    ) -> PortResult<RootKeyState> {
        let pool = self.pool();
        let fp = fingerprint.to_vec();
        let row = self
            .call(async move {
                let c = pool.get().await?;
                c.execute(
                    "INSERT INTO root_key_fingerprint (singleton, fingerprint) VALUES (TRUE, $1)
                     ON CONFLICT (singleton) DO NOTHING",
                    &[&fp],
                )
                .await?;
                Ok(c.query_opt(STATE, &[]).await?)
            })
            .map_err(|e| e.port("postgres: record root key fingerprint"))?;
        state_of(row.as_ref())
    }

    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>> {
        let pool = self.pool();
        let rows = self
            .call(async move {
                let c = pool.get().await?;
                Ok(c.query(
                    &format!("SELECT {KEYSTORE_COLUMNS} FROM keystores ORDER BY create_time, seq"),
                    &[],
                )
                .await?)
            })
            .map_err(|e| e.port("postgres: all keystores"))?;
        rows.iter().map(keystore_record).collect()
    }

    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>> {
        let pool = self.pool();
        let rows = self
            .call(async move {
                let c = pool.get().await?;
                Ok(c.query(
                    "SELECT keystore_id, wrapped FROM carried_pin_keys ORDER BY keystore_id",
                    &[],
                )
                .await?)
            })
            .map_err(|e| e.port("postgres: carried PIN keys"))?;
        rows.iter()
            .map(|r| {
                Ok(CarriedPinKeys {
                    keystore_id: r.try_get(0).map_err(corrupt_row)?,
                    wrapped: r.try_get(1).map_err(corrupt_row)?,
                })
            })
            .collect()
    }

    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool> {
        let pool = self.pool();
        let from = from.to_vec();
        let (to_fp, to_gen) = (to.fingerprint.to_vec(), i64::from(to.generation));
        let pins: Vec<(String, Vec<u8>)> = pin_keys
            .iter()
            .map(|p| (p.keystore_id.clone(), p.wrapped.clone()))
            .collect();
        self.call(async move {
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            // The row lock serialises concurrent begins and finishes.
            let n = tx
                .execute(
                    "UPDATE root_key_fingerprint SET rotation_fingerprint = $2,
                            rotation_generation = $3
                     WHERE fingerprint = $1 AND rotation_fingerprint IS NULL",
                    &[&from, &to_fp, &to_gen],
                )
                .await?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM carried_pin_keys", &[]).await?;
            let stmt = tx
                .prepare("INSERT INTO carried_pin_keys (keystore_id, wrapped) VALUES ($1, $2)")
                .await?;
            for (ks, wrapped) in &pins {
                tx.execute(&stmt, &[ks, wrapped]).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
        .map_err(|e| e.port("postgres: begin root key rotation"))
    }

    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>> {
        let pool = self.pool();
        let g = i64::from(generation);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (material, certs) = self
            .call(async move {
                let c = pool.get().await?;
                let material = c
                    .query(
                        "SELECT m.key_id, m.version, k.keystore_id, k.key_spec, m.wrapped
                         FROM key_material m JOIN keys k ON k.key_id = m.key_id
                         WHERE m.root_gen <> $1 ORDER BY m.key_id, m.version LIMIT $2",
                        &[&g, &limit],
                    )
                    .await?;
                let left = limit - i64::try_from(material.len()).unwrap_or(limit);
                let certs = if left > 0 {
                    c.query(
                        "SELECT project_id, id, sealed_private_key FROM certificates
                         WHERE root_gen <> $1 ORDER BY id LIMIT $2",
                        &[&g, &left],
                    )
                    .await?
                } else {
                    Vec::new()
                };
                Ok((material, certs))
            })
            .map_err(|e| e.port("postgres: unmoved root-bound rows"))?;
        bound_rows(&material, &certs)
    }

    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize> {
        let pool = self.pool();
        let g = i64::from(generation);
        let rows = rows.to_vec();
        self.call(async move {
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            let material = tx
                .prepare(
                    "UPDATE key_material SET wrapped = $1, root_gen = $2
                     WHERE key_id = $3 AND version = $4 AND wrapped = $5",
                )
                .await?;
            let certs = tx
                .prepare(
                    "UPDATE certificates SET sealed_private_key = $1, root_gen = $2
                     WHERE id = $3 AND sealed_private_key = $4",
                )
                .await?;
            let mut written = 0u64;
            for r in &rows {
                written += match &r.item {
                    RootBoundItem::KeyMaterial {
                        key_id, version, ..
                    } => {
                        let v = i64::from(*version);
                        let params: [&(dyn ToSql + Sync); 5] = [&r.new, &g, key_id, &v, &r.old];
                        tx.execute(&material, &params).await?
                    }
                    RootBoundItem::CertificatePrivateKey { certificate_id, .. } => {
                        let params: [&(dyn ToSql + Sync); 4] = [&r.new, &g, certificate_id, &r.old];
                        tx.execute(&certs, &params).await?
                    }
                };
            }
            tx.commit().await?;
            Ok(usize::try_from(written).unwrap_or(usize::MAX))
        })
        .map_err(|e| e.port("postgres: store re-wrapped rows"))
    }

    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool> {
        let pool = self.pool();
        let (to_fp, to_gen) = (to.fingerprint.to_vec(), i64::from(to.generation));
        self.call(async move {
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            let under_way = tx
                .query_opt(
                    "SELECT 1 FROM root_key_fingerprint
                     WHERE rotation_fingerprint = $1 AND rotation_generation = $2 FOR UPDATE",
                    &[&to_fp, &to_gen],
                )
                .await?
                .is_some();
            if !under_way {
                return Ok(false);
            }
            let left: i64 = tx
                .query_one(
                    "SELECT (SELECT count(*) FROM key_material WHERE root_gen <> $1)
                          + (SELECT count(*) FROM certificates WHERE root_gen <> $1)",
                    &[&to_gen],
                )
                .await?
                .try_get(0)?;
            if left != 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE root_key_fingerprint SET fingerprint = $1, generation = $2,
                        rotation_fingerprint = NULL, rotation_generation = NULL",
                &[&to_fp, &to_gen],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .map_err(|e| e.port("postgres: finish root key rotation"))
    }
}
