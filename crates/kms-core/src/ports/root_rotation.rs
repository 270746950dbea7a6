//! The store side of a root-key rotation.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Length of a root-key fingerprint (a keyed hash the host computes; it
/// reveals nothing about the key).
pub const ROOT_FINGERPRINT_LEN: usize = 32;

/// A root-key rotation under way: to which root key, and the generation
/// every row it moved is marked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRotationTarget {
    /// Fingerprint of the new root key.
    pub fingerprint: [u8; ROOT_FINGERPRINT_LEN],
    /// The generation the rotation moves rows to (the recorded one plus 1).
    pub generation: u32,
}

/// Which root key a store's rows are under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RootKeyState {
    /// Fingerprint of the root key every row is under; `None` until a host
    /// records one ([`RootRotationStore::record_root_fingerprint`]).
    pub fingerprint: Option<[u8; ROOT_FINGERPRINT_LEN]>,
    /// How many rotations completed (0 for a store never rotated).
    pub generation: u32,
    /// A rotation begun and not finished: rows are under either root key
    /// until it finishes.
    pub rotation: Option<RootRotationTarget>,
}

/// A keystore's PIN keys ([`kms_crypto::PinKeys`]) wrapped under the root
/// key of that keystore: what a rotation carries over, since PINs cannot
/// be re-sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct CarriedPinKeys {
    /// The keystore (`"1"`, `"2"` or a dedicated id).
    pub keystore_id: String,
    /// The wrap ([`RootKeyProvider::wrap_pin_keys`]).
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for CarriedPinKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CarriedPinKeys")
            .field("keystore_id", &self.keystore_id)
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

/// A stored item wrapped or sealed under a root key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RootBoundItem {
    /// A CMK version: a wrapped key, or a key pair's sealed private key.
    KeyMaterial {
        /// The key.
        key_id: String,
        /// The version.
        version: u32,
        /// The key's keystore (whose root key wraps it).
        keystore_id: String,
        /// The key's spec (a key pair's is a signing spec).
        spec: CmkSpec,
    },
    /// A certificate's sealed private key.
    CertificatePrivateKey {
        /// The certificate's project.
        project_id: String,
        /// The certificate.
        certificate_id: String,
    },
}

/// An item and its stored bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootBoundRow {
    /// Which item.
    pub item: RootBoundItem,
    /// Its bytes as stored (wrapped or sealed: never secret in clear).
    pub bytes: Vec<u8>,
}

/// An item re-wrapped under a new root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrapped {
    /// Which item.
    pub item: RootBoundItem,
    /// The bytes read (the write happens only if they are still stored).
    pub old: Vec<u8>,
    /// The bytes under the new root key.
    pub new: Vec<u8>,
}

/// What a root-key rotation needs from storage: the recorded root key,
/// the rows that depend on it in batches, each batch written in one
/// transaction with a per-row mark of the rotation's generation, so a
/// rotation cut short resumes where it stopped.
pub trait RootRotationStore: Send + Sync + fmt::Debug {
    /// The recorded root key and rotation.
    ///
    /// # Errors
    /// Backend failure.
    fn root_key_state(&self) -> PortResult<RootKeyState>;

    /// Records `fingerprint` as the root key's **only if** none is recorded,
    /// atomically; returns the state after.
    ///
    /// # Errors
    /// Backend failure.
    fn record_root_fingerprint(
        &self,
        fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
    ) -> PortResult<RootKeyState>;

    /// Every dedicated keystore, of every domain.
    ///
    /// # Errors
    /// Backend failure.
    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>>;

    /// The PIN keys an earlier rotation carried over.
    ///
    /// # Errors
    /// Backend failure.
    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>>;

    /// Begins a rotation to `to` **only if** the recorded fingerprint is
    /// `from` and no rotation is under way, atomically with replacing every
    /// carried PIN key by `pin_keys`. `false`: nothing changed.
    ///
    /// # Errors
    /// Backend failure.
    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool>;

    /// Up to `limit` rows not marked as moved to `generation`, in a stable
    /// order.
    ///
    /// # Errors
    /// Backend failure.
    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>>;

    /// Writes a batch in one transaction: each row whose stored bytes are
    /// still `old` gets `new` and the mark of `generation`; others are left
    /// alone. Returns how many rows were written.
    ///
    /// # Errors
    /// Backend failure (nothing written).
    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize>;

    /// Finishes the rotation to `to` **only if** it is the one under way
    /// and no row is left unmoved, atomically: `to` becomes the recorded
    /// root key and generation. `false`: nothing changed.
    ///
    /// # Errors
    /// Backend failure.
    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool>;
}
