//! Root-key rotation: every row wrapped or sealed under the root key (CMK
//! versions, key pairs' private keys, certificates' private keys) is moved
//! to a new root key in batches, one transaction each, over the
//! [`RootRotationStore`] port; the PIN keys of every keystore are carried
//! over first, since PINs cannot be re-sealed. No I/O here: the host
//! builds both providers and the store.

use std::collections::HashSet;
use std::fmt;

use kms_crypto::PrivateKeyScope;
use kms_model::KeystoreRef;

use super::keys::signing_spec;
use crate::ports::{
    CarriedPinKeys, Entropy, PortError, ROOT_FINGERPRINT_LEN, Rewrapped, RootBoundItem,
    RootBoundRow, RootKeyError, RootKeyProvider, RootKeyState, RootRotationStore,
    RootRotationTarget,
};

/// Why a root-key rotation stopped. Nothing half-done is left behind: each
/// batch is one transaction, and a rerun with the same keys resumes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootRotationError {
    /// The store records another root key than the one given as current.
    #[error("the current root key given is not the one the database records")]
    NotCurrentRoot,
    /// A rotation to another new root key is under way: finish that one
    /// first (rerun it with its new key).
    #[error("a rotation to another root key is under way; rerun it with that new key to finish it")]
    OtherRotationUnderWay,
    /// A row opens under neither root key.
    #[error("{0} opens under neither the current nor the new root key")]
    Unopenable(String),
    /// A provider failure.
    #[error("root-key provider: {0}")]
    RootKey(#[from] RootKeyError),
    /// A storage failure.
    #[error("storage: {0}")]
    Store(#[from] PortError),
    /// The store kept answering rows the batch could not write (another
    /// writer changing them faster than the rotation moves them).
    #[error("the rotation makes no progress: rows keep changing under it")]
    NoProgress,
}

/// What a rotation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RootRotationReport {
    /// The store already recorded the new root key: nothing to do.
    pub already_done: bool,
    /// A rotation to this new root key was under way and was resumed.
    pub resumed: bool,
    /// Keystores whose PIN keys were carried over (0 when resumed).
    pub pin_keys_carried: usize,
    /// Rows moved by this run.
    pub moved: u64,
    /// Batches written by this run.
    pub batches: u64,
    /// The generation recorded at the end.
    pub generation: u32,
}

/// A root-key rotation: from the provider over the current root key to
/// the one over the new root key.
pub struct RootRotation<'a> {
    /// Where the rows are.
    pub store: &'a dyn RootRotationStore,
    /// The provider over the current root key (with the PIN keys an earlier
    /// rotation carried, if any).
    pub old: &'a dyn RootKeyProvider,
    /// The provider over the new root key (with no carried PIN keys: this
    /// rotation carries them).
    pub new: &'a dyn RootKeyProvider,
    /// Randomness for the new seals.
    pub entropy: &'a dyn Entropy,
    /// Fingerprint of the current root key.
    pub old_fingerprint: [u8; ROOT_FINGERPRINT_LEN],
    /// Fingerprint of the new root key.
    pub new_fingerprint: [u8; ROOT_FINGERPRINT_LEN],
    /// Keystores whose root key is not the software one (an HSM token):
    /// their rows are marked moved unchanged and their PIN keys are not
    /// carried.
    pub untouched_keystores: HashSet<String>,
    /// Rows per batch (one transaction each); at least 1.
    pub batch_size: usize,
}

impl fmt::Debug for RootRotation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootRotation")
            .field("batch_size", &self.batch_size)
            .field("untouched_keystores", &self.untouched_keystores)
            .finish_non_exhaustive()
    }
}

/// How often a finish may find rows written meanwhile before giving up.
const MAX_FINISH_ATTEMPTS: usize = 8;

fn describe(item: &RootBoundItem) -> String {
    match item {
        RootBoundItem::KeyMaterial {
            key_id, version, ..
        } => format!("key {key_id} version {version}"),
        RootBoundItem::CertificatePrivateKey { certificate_id, .. } => {
            format!("the private key of certificate {certificate_id}")
        }
    }
}

impl RootRotation<'_> {
    /// Runs the rotation to its end: checks the recorded root key, carries
    /// the PIN keys over and records the rotation as under way (one
    /// transaction), moves every row in batches (one transaction each,
    /// `after_batch(rows written so far)` after each), then records the new
    /// root key. Rerun with the same keys after a crash, it resumes; after
    /// the end, it does nothing.
    ///
    /// # Errors
    /// See [`RootRotationError`].
    pub fn run(
        &self,
        mut after_batch: impl FnMut(u64),
    ) -> Result<RootRotationReport, RootRotationError> {
        let mut report = RootRotationReport::default();
        let state = self.store.record_root_fingerprint(&self.old_fingerprint)?;
        let target = match state.rotation {
            None if state.fingerprint == Some(self.new_fingerprint) => {
                report.already_done = true;
                report.generation = state.generation;
                return Ok(report);
            }
            None => {
                if state.fingerprint != Some(self.old_fingerprint) {
                    return Err(RootRotationError::NotCurrentRoot);
                }
                self.begin(&state, &mut report)?
            }
            Some(t) if t.fingerprint != self.new_fingerprint => {
                return Err(RootRotationError::OtherRotationUnderWay);
            }
            Some(t) => {
                if state.fingerprint != Some(self.old_fingerprint) {
                    return Err(RootRotationError::NotCurrentRoot);
                }
                report.resumed = true;
                t
            }
        };
        let either = EitherRoot {
            new: self.new,
            old: self.old,
        };
        for _ in 0..MAX_FINISH_ATTEMPTS {
            self.move_rows(&either, &target, &mut report, &mut after_batch)?;
            if self.store.finish_root_rotation(&target)? {
                report.generation = target.generation;
                return Ok(report);
            }
        }
        Err(RootRotationError::NoProgress)
    }

    fn begin(
        &self,
        state: &RootKeyState,
        report: &mut RootRotationReport,
    ) -> Result<RootRotationTarget, RootRotationError> {
        let target = RootRotationTarget {
            fingerprint: self.new_fingerprint,
            generation: state.generation.saturating_add(1),
        };
        let mut ids: Vec<String> = KeystoreRef::SHARED_IDS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        ids.extend(
            self.store
                .all_keystores()?
                .into_iter()
                .map(|k| k.keystore_id),
        );
        let mut carried = Vec::with_capacity(ids.len());
        for ks in ids {
            if self.untouched_keystores.contains(&ks) {
                continue;
            }
            let keys = self.old.pin_keys(&ks)?;
            let wrapped = self.new.wrap_pin_keys(&ks, &keys)?;
            carried.push(CarriedPinKeys {
                keystore_id: ks,
                wrapped,
            });
        }
        if !self
            .store
            .begin_root_rotation(&self.old_fingerprint, &target, &carried)?
        {
            // Another rotation began meanwhile.
            return Err(RootRotationError::OtherRotationUnderWay);
        }
        report.pin_keys_carried = carried.len();
        Ok(target)
    }

    fn move_rows(
        &self,
        either: &EitherRoot<'_>,
        target: &RootRotationTarget,
        report: &mut RootRotationReport,
        after_batch: &mut impl FnMut(u64),
    ) -> Result<(), RootRotationError> {
        let mut stalled = 0;
        loop {
            let rows = self
                .store
                .unmoved_root_bound(target.generation, self.batch_size.max(1))?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut batch = Vec::with_capacity(rows.len());
            for row in rows {
                batch.push(self.rewrap(either, row)?);
            }
            let written = self.store.store_rewrapped(target.generation, &batch)?;
            if written == 0 {
                stalled += 1;
                if stalled > MAX_FINISH_ATTEMPTS {
                    return Err(RootRotationError::NoProgress);
                }
                continue;
            }
            stalled = 0;
            report.moved += u64::try_from(written).unwrap_or(u64::MAX);
            report.batches += 1;
            after_batch(report.moved);
        }
    }

    /// One row opened under either root key and wrapped or sealed again
    /// under the new one.
    fn rewrap(
        &self,
        either: &EitherRoot<'_>,
        row: RootBoundRow,
    ) -> Result<Rewrapped, RootRotationError> {
        let unopenable = |e: RootKeyError, item: &RootBoundItem| match e {
            RootKeyError::Rejected => RootRotationError::Unopenable(describe(item)),
            other => RootRotationError::RootKey(other),
        };
        let new = match &row.item {
            RootBoundItem::KeyMaterial { keystore_id, .. }
                if self.untouched_keystores.contains(keystore_id) =>
            {
                row.bytes.clone()
            }
            RootBoundItem::KeyMaterial {
                key_id,
                version,
                keystore_id,
                spec,
            } => match signing_spec(*spec) {
                Some(spec) => {
                    let key = either
                        .open_key_pair(keystore_id, key_id, spec, &row.bytes)
                        .map_err(|e| unopenable(e, &row.item))?;
                    self.new
                        .seal_key_pair(keystore_id, key_id, self.entropy, &key)?
                        .into_bytes()
                }
                None => {
                    let key = either
                        .unwrap_master_key(keystore_id, key_id, *version, &row.bytes)
                        .map_err(|e| unopenable(e, &row.item))?;
                    self.new
                        .wrap_master_key(keystore_id, &key)?
                        .as_bytes()
                        .to_vec()
                }
            },
            RootBoundItem::CertificatePrivateKey {
                project_id,
                certificate_id,
            } => {
                let scope = PrivateKeyScope::new(project_id, certificate_id)
                    .map_err(|_| RootRotationError::Unopenable(describe(&row.item)))?;
                let pem = either
                    .open_private_key(&scope, &row.bytes)
                    .map_err(|e| unopenable(e, &row.item))?;
                self.new
                    .seal_private_key(&scope, self.entropy, &pem)?
                    .into_bytes()
            }
        };
        Ok(Rewrapped {
            item: row.item,
            old: row.bytes,
            new,
        })
    }
}

/// Whether `provider` opens what the store holds, tried on the first
/// root-bound row it lists (a CMK version, a key pair, a certificate's
/// private key): `None` when it holds none. A host checks this before it
/// records a root key's fingerprint for a database that has none yet, so a
/// wrong key is refused rather than recorded.
///
/// # Errors
/// Storage or provider failures (never a row that does not open: that is
/// `Some(false)`).
pub fn root_key_opens_stored_rows(
    store: &dyn RootRotationStore,
    provider: &dyn RootKeyProvider,
) -> Result<Option<bool>, RootRotationError> {
    // No row is ever marked with generation u32::MAX: this lists from the start.
    let Some(row) = store.unmoved_root_bound(u32::MAX, 1)?.into_iter().next() else {
        return Ok(None);
    };
    let opened = match &row.item {
        RootBoundItem::KeyMaterial {
            key_id,
            version,
            keystore_id,
            spec,
        } => match signing_spec(*spec) {
            Some(spec) => provider
                .open_key_pair(keystore_id, key_id, spec, &row.bytes)
                .map(drop),
            None => provider
                .unwrap_master_key(keystore_id, key_id, *version, &row.bytes)
                .map(drop),
        },
        RootBoundItem::CertificatePrivateKey {
            project_id,
            certificate_id,
        } => match PrivateKeyScope::new(project_id, certificate_id) {
            Ok(scope) => provider.open_private_key(&scope, &row.bytes).map(drop),
            Err(_) => Err(RootKeyError::Rejected),
        },
    };
    match opened {
        Ok(()) => Ok(Some(true)),
        Err(RootKeyError::Rejected | RootKeyError::Unsupported(_)) => Ok(Some(false)),
        Err(e) => Err(e.into()),
    }
}

/// Opens under the old root key, then the new one (a row a server running
/// with both keys wrote under the new one while the rotation was under
/// way). The borrowing, old-first twin of
/// [`crate::software::RotatingRootKeys`].
struct EitherRoot<'a> {
    new: &'a dyn RootKeyProvider,
    old: &'a dyn RootKeyProvider,
}

impl EitherRoot<'_> {
    fn try_both<T>(
        &self,
        f: impl Fn(&dyn RootKeyProvider) -> Result<T, RootKeyError>,
    ) -> Result<T, RootKeyError> {
        match f(self.old) {
            Err(RootKeyError::Rejected) => f(self.new),
            other => other,
        }
    }

    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<kms_crypto::MasterKey, RootKeyError> {
        self.try_both(|p| p.unwrap_master_key(keystore_id, key_id, version, wrapped))
    }

    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: kms_crypto::SigningKeySpec,
        sealed: &[u8],
    ) -> Result<kms_crypto::SigningKey, RootKeyError> {
        self.try_both(|p| p.open_key_pair(keystore_id, key_id, spec, sealed))
    }

    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, RootKeyError> {
        self.try_both(|p| p.open_private_key(scope, sealed))
    }
}
