//! One PKCS#11 token: the module loaded lazily, the slot found by label, a
//! small pool of logged-in R/W sessions, and the classification of
//! PKCS#11 failures into what the core can act on.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::ObjectHandle;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_core::ports::{PortError, PortErrorKind, RootKeyError};
use zeroize::Zeroizing;

/// The user PIN of a token. Zeroized on drop; `Debug` shows nothing; never
/// logged.
#[derive(Clone)]
pub struct HsmPin(Zeroizing<String>);

impl HsmPin {
    /// A PIN from its text (surrounding whitespace, e.g. the newline of a
    /// PIN file, is removed).
    #[must_use]
    pub fn new(pin: &str) -> Self {
        Self(Zeroizing::new(pin.trim().to_owned()))
    }

    fn auth_pin(&self) -> AuthPin {
        AuthPin::from(self.0.as_str().to_owned())
    }
}

impl fmt::Debug for HsmPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HsmPin(<redacted>)")
    }
}

/// Default number of pooled sessions per token.
pub const DEFAULT_MAX_SESSIONS: usize = 4;
/// Default wait for a free session before giving up with
/// [`RootKeyError::Timeout`].
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// After the token refused the PIN, how long calls fail at once instead of
/// logging in again (a real HSM locks the user after a few wrong PINs).
pub const LOGIN_BACKOFF: Duration = Duration::from_secs(60);

/// The shortest time between two re-initialisations of one module
/// (`C_Finalize` + `C_Initialize`, what makes a module such as SoftHSM
/// read its tokens again after their files were put back). A keystore
/// whose token key stays missing re-initialises the module at most this
/// often.
pub const REINIT_INTERVAL: Duration = Duration::from_secs(1);

/// One HSM cluster backed by a PKCS#11 token.
#[derive(Clone, Debug)]
pub struct Pkcs11ClusterConfig {
    /// The cluster id keystores name (`hsm_cluster_id`).
    pub cluster_id: String,
    /// Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// Label of the token (`CKA_LABEL` of the token info, trailing blanks
    /// ignored).
    pub token_label: String,
    /// The token's user PIN.
    pub pin: HsmPin,
    /// Sessions kept open and logged in (at least 1).
    pub max_sessions: usize,
    /// How long a caller waits for a free session.
    pub acquire_timeout: Duration,
}

impl Pkcs11ClusterConfig {
    /// A cluster with the default pool size and wait.
    #[must_use]
    pub fn new(
        cluster_id: impl Into<String>,
        module: impl Into<PathBuf>,
        token_label: impl Into<String>,
        pin: HsmPin,
    ) -> Self {
        Self {
            cluster_id: cluster_id.into(),
            module: module.into(),
            token_label: token_label.into(),
            pin,
            max_sessions: DEFAULT_MAX_SESSIONS,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
}

/// A failure inside an operation on a session.
#[derive(Debug)]
pub(crate) enum OpError {
    /// A PKCS#11 call failed.
    Ck(&'static str, CkError),
    /// The operation decided (e.g. the material was rejected).
    Root(RootKeyError),
    /// A key that must be on the token is not found: the module's view of
    /// the token may be stale (its files went away and came back), so the
    /// module is re-initialised and the operation retried once.
    KeyMissing(RootKeyError),
}

impl From<RootKeyError> for OpError {
    fn from(e: RootKeyError) -> Self {
        Self::Root(e)
    }
}

/// What a failed PKCS#11 call means for the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Damage {
    /// The session is fine; the answer was an error.
    None,
    /// This session is unusable: close it.
    Session,
    /// The token or module is gone: rescan and log in again.
    Token,
    /// A key handle is stale (the object was destroyed): look keys up again.
    Handles,
}

fn damage(e: &CkError) -> Damage {
    match e {
        CkError::Pkcs11(rv, _) => match rv {
            RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::UserNotLoggedIn
            | RvError::OperationActive => Damage::Session,
            RvError::DeviceError
            | RvError::DeviceMemory
            | RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::TokenNotRecognized
            | RvError::SlotIdInvalid
            | RvError::CryptokiNotInitialized
            | RvError::GeneralError
            | RvError::PinIncorrect
            | RvError::PinInvalid
            | RvError::PinLenRange
            | RvError::PinExpired
            | RvError::PinLocked
            | RvError::UserPinNotInitialized => Damage::Token,
            RvError::ObjectHandleInvalid
            | RvError::KeyHandleInvalid
            | RvError::WrappingKeyHandleInvalid
            | RvError::UnwrappingKeyHandleInvalid => Damage::Handles,
            _ => Damage::None,
        },
        CkError::LibraryLoading(_) | CkError::MissingSymbol(_) | CkError::NullFunctionPointer => {
            Damage::Token
        }
        _ => Damage::None,
    }
}

/// HSM failures of every token of this process since it started, by
/// kind ([`failure_counts`]); for a host's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HsmFailures {
    /// [`RootKeyError::Unavailable`]: the module, the token, a login or a
    /// session failed.
    pub unavailable: u64,
    /// [`RootKeyError::Timeout`]: no session was free in time.
    pub timeouts: u64,
    /// [`RootKeyError::BadGateway`]: the token answered something invalid.
    pub bad_responses: u64,
}

/// The counters behind [`failure_counts`].
pub(crate) static UNAVAILABLE: AtomicU64 = AtomicU64::new(0);
pub(crate) static TIMEOUTS: AtomicU64 = AtomicU64::new(0);
pub(crate) static BAD_RESPONSES: AtomicU64 = AtomicU64::new(0);

/// The HSM failures of this process so far.
#[must_use]
pub fn failure_counts() -> HsmFailures {
    HsmFailures {
        unavailable: UNAVAILABLE.load(AtomicOrdering::Relaxed),
        timeouts: TIMEOUTS.load(AtomicOrdering::Relaxed),
        bad_responses: BAD_RESPONSES.load(AtomicOrdering::Relaxed),
    }
}

/// Counts one failure of `counter` and passes `e` on.
pub(crate) fn counted(counter: &AtomicU64, e: RootKeyError) -> RootKeyError {
    counter.fetch_add(1, AtomicOrdering::Relaxed);
    e
}

/// [`RootKeyError::Unavailable`] for a PKCS#11 failure while doing `context`.
pub(crate) fn unavailable(context: &'static str, e: CkError) -> RootKeyError {
    counted(
        &UNAVAILABLE,
        RootKeyError::Unavailable(PortError::unavailable(context, e)),
    )
}

/// [`RootKeyError::Unavailable`] without a PKCS#11 source.
pub(crate) fn unavailable_because(context: impl Into<String>) -> RootKeyError {
    counted(
        &UNAVAILABLE,
        RootKeyError::Unavailable(PortError::new(PortErrorKind::Unavailable, context.into())),
    )
}

/// The loaded module and the token's slot.
struct Connection {
    ctx: Pkcs11,
    slot: Slot,
    generation: u64,
}

struct Pooled {
    session: Session,
    generation: u64,
}

/// Which key of a keystore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Purpose {
    /// The AES-256 key that wraps the keystore's CMKs.
    Wrap,
    /// The HMAC key the keystore's PIN root is derived with.
    Pin,
}

struct State {
    connection: Option<Arc<Connection>>,
    idle: Vec<Pooled>,
    generation: u64,
    in_use: usize,
    /// When the token last refused the PIN.
    login_refused: Option<Instant>,
}

/// How long a re-initialisation waits for the calls in flight to finish
/// (new calls on that module wait meanwhile) before it gives up: a call
/// hung inside the module must not hold every other call behind it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// After a drain that gave up, how long before the module is tried again.
const DRAIN_BACKOFF: Duration = Duration::from_secs(30);

/// Every call into a module is inside its gate; re-initialising the
/// module drains it first, so `C_Finalize` never runs while another thread
/// of this process is inside the module (PKCS#11 leaves that undefined).
/// Unlike a lock, a drain that does not finish within [`DRAIN_TIMEOUT`]
/// gives up and lets the waiting calls through.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    inside: usize,
    draining: bool,
}

/// A call inside a [`Gate`]; leaves on drop.
struct Inside<'a>(&'a Gate);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        let mut st = lock(&self.0.state);
        st.inside = st.inside.saturating_sub(1);
        // Only a drain waits for calls to leave.
        let draining = st.draining;
        drop(st);
        if draining {
            self.0.changed.notify_all();
        }
    }
}

/// A drained [`Gate`]: no call is inside until this is dropped.
struct Drained<'a>(&'a Gate);

impl Drop for Drained<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).draining = false;
        self.0.changed.notify_all();
    }
}

impl Gate {
    /// Enters, waiting while a drain is under way (at most about
    /// [`DRAIN_TIMEOUT`] plus the re-initialisation itself).
    fn enter(&self) -> Inside<'_> {
        let mut st = lock(&self.state);
        while st.draining {
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
        st.inside += 1;
        Inside(self)
    }

    /// Stops new calls and waits for those inside to leave; `None` (and
    /// the calls let through again) when they have not within `timeout`,
    /// or when another drain is under way.
    fn drain(&self, timeout: Duration) -> Option<Drained<'_>> {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.state);
        if st.draining {
            return None;
        }
        st.draining = true;
        while st.inside > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.draining = false;
                drop(st);
                self.changed.notify_all();
                return None;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Some(Drained(self))
    }
}

/// The modules of this process: each one's gate, its tokens, and when it
/// may be re-initialised next.
#[derive(Default)]
struct Modules {
    gates: HashMap<PathBuf, Arc<Gate>>,
    tokens: Vec<(PathBuf, Weak<Mutex<State>>)>,
    next_reinit: HashMap<PathBuf, Instant>,
}

static MODULES: LazyLock<Mutex<Modules>> = LazyLock::new(Mutex::default);

/// What a failed attempt asks of the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recovery {
    /// Nothing helps now: answer the error.
    Stop,
    /// The session or handles were dropped: retry (when the operation may
    /// be retried).
    Retry,
    /// The module's view of its tokens may be stale: re-initialise the
    /// module, then retry.
    Reinitialise,
}

/// One token: lazily connected, reconnected after it went away.
pub struct Pkcs11Token {
    config: Pkcs11ClusterConfig,
    state: Arc<Mutex<State>>,
    /// The gate of the token's module (shared with the other tokens on it).
    gate: Arc<Gate>,
    freed: Condvar,
    handles: RwLock<HashMap<(String, Purpose), (u64, ObjectHandle)>>,
}

impl fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state is a cache of connections: a panic while holding it leaves
    // at worst a session to reopen, never wrong key material.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A checked-out session; goes back to the pool (or is closed) on drop.
pub(crate) struct Lease<'a> {
    token: &'a Pkcs11Token,
    pooled: Option<Pooled>,
    keep: bool,
}

impl Lease<'_> {
    pub(crate) fn session(&self) -> Option<&Session> {
        self.pooled.as_ref().map(|p| &p.session)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.pooled.as_ref().map_or(0, |p| p.generation)
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut st = lock(&self.token.state);
        st.in_use = st.in_use.saturating_sub(1);
        let mut closing = self.pooled.take();
        if let Some(p) = closing.take_if(|p| self.keep && p.generation == st.generation) {
            st.idle.push(p);
        }
        drop(st);
        self.token.freed.notify_one();
        // A broken or stale session is closed (C_CloseSession) unlocked.
        drop(closing);
    }
}

impl Pkcs11Token {
    /// A token that is not touched until first used.
    #[must_use]
    pub fn new(mut config: Pkcs11ClusterConfig) -> Self {
        config.max_sessions = config.max_sessions.max(1);
        let state = Arc::new(Mutex::new(State {
            connection: None,
            idle: Vec::new(),
            generation: 0,
            in_use: 0,
            login_refused: None,
        }));
        let mut modules = lock(&MODULES);
        modules.tokens.retain(|(_, t)| t.strong_count() > 0);
        modules
            .tokens
            .push((config.module.clone(), Arc::downgrade(&state)));
        let gate = Arc::clone(modules.gates.entry(config.module.clone()).or_default());
        drop(modules);
        Self {
            config,
            state,
            gate,
            freed: Condvar::new(),
            handles: RwLock::new(HashMap::new()),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Pkcs11ClusterConfig {
        &self.config
    }

    /// Connects and logs in now (for a start-up check and log line).
    ///
    /// # Errors
    /// [`RootKeyError::Unavailable`] naming why (module, token, login).
    pub fn check(&self) -> Result<(), RootKeyError> {
        self.run("check token", true, |_, _| Ok(()))
    }

    /// Makes the module read its tokens again: `C_Finalize` then
    /// `C_Initialize`, with no call of this process inside the module.
    /// Every pooled session of every token of this module is closed first
    /// and their connections forgotten (their handles die with the
    /// module's state). At most once per [`REINIT_INTERVAL`] per module
    /// (after a drain that gave up, not for [`DRAIN_BACKOFF`]); `false`
    /// when skipped.
    fn reinitialise(&self) -> bool {
        let module = &self.config.module;
        let due = |m: &Modules| {
            m.next_reinit
                .get(module)
                .is_none_or(|t| Instant::now() >= *t)
        };
        if !due(&lock(&MODULES)) {
            return false;
        }
        let Some(_drained) = self.gate.drain(DRAIN_TIMEOUT) else {
            lock(&MODULES)
                .next_reinit
                .insert(module.clone(), Instant::now() + DRAIN_BACKOFF);
            return false;
        };
        let mut modules = lock(&MODULES);
        if !due(&modules) {
            return false;
        }
        modules
            .next_reinit
            .insert(module.clone(), Instant::now() + REINIT_INTERVAL);
        let Ok(ctx) = Pkcs11::new(module) else {
            return false;
        };
        for (_, state) in modules.tokens.iter().filter(|(m, _)| m == module) {
            let Some(state) = state.upgrade() else {
                continue;
            };
            let mut st = lock(&state);
            // No lease is out (the gate is drained): every open session is
            // idle and closed here, before the module forgets them, so no
            // stale handle is ever closed later.
            st.idle.clear();
            st.connection = None;
            st.generation = st.generation.wrapping_add(1);
        }
        drop(modules);
        // A module that was not initialised answers C_Finalize with an
        // error; one that fails C_Initialize now fails it again, with its
        // reason, on the next connection.
        let _ = ctx.clone().finalize();
        let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
        true
    }

    /// The module and the token's slot. A token not found is
    /// [`Recovery::Reinitialise`]: the module may hold a stale view.
    fn connect(&self, generation: u64) -> Result<Connection, (RootKeyError, Recovery)> {
        let stop = |e| (e, Recovery::Stop);
        let ctx = Pkcs11::new(&self.config.module)
            .map_err(|e| stop(unavailable("load PKCS#11 module", e)))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(stop(unavailable("C_Initialize", e))),
        }
        let slots = ctx
            .get_slots_with_token()
            .map_err(|e| stop(unavailable("list slots", e)))?;
        for slot in slots {
            let Ok(info) = ctx.get_token_info(slot) else {
                continue;
            };
            if info.token_initialized() && info.label().trim_end() == self.config.token_label {
                return Ok(Connection {
                    ctx,
                    slot,
                    generation,
                });
            }
        }
        Err((
            unavailable_because(format!("token {:?} not present", self.config.token_label)),
            Recovery::Reinitialise,
        ))
    }

    /// Forgets the connection and every pooled session of `generation`.
    fn reset(&self, generation: u64) {
        let mut st = lock(&self.state);
        if st.generation == generation {
            st.generation = generation.wrapping_add(1);
            st.connection = None;
            st.idle.clear();
        }
        drop(st);
        if let Ok(mut h) = self.handles.write() {
            h.retain(|_, (g, _)| *g != generation);
        }
    }

    /// Checks out a logged-in session, opening one if none is idle.
    fn lease(&self) -> Result<Lease<'_>, (RootKeyError, Recovery)> {
        let deadline = Instant::now() + self.config.acquire_timeout;
        let mut st = lock(&self.state);
        while st.in_use >= self.config.max_sessions {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err((counted(&TIMEOUTS, RootKeyError::Timeout), Recovery::Stop));
            }
            st = self
                .freed
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if st
            .login_refused
            .is_some_and(|t| t.elapsed() < LOGIN_BACKOFF)
        {
            return Err((
                unavailable_because(format!(
                    "the token refused the PIN less than {LOGIN_BACKOFF:?} ago; not retrying yet"
                )),
                Recovery::Stop,
            ));
        }
        st.in_use += 1;
        // From here the lease gives the permit back on every path.
        let mut lease = Lease {
            token: self,
            pooled: None,
            keep: true,
        };
        let generation = st.generation;
        if let Some(p) = st.idle.pop() {
            lease.pooled = Some(p);
            return Ok(lease);
        }
        let conn = match &st.connection {
            Some(c) => Ok(Arc::clone(c)),
            None => self.connect(generation).map(|c| {
                let c = Arc::new(c);
                st.connection = Some(Arc::clone(&c));
                c
            }),
        };
        // Unlocked before the lease can be dropped (its drop locks).
        drop(st);
        let conn = conn?;
        let session = match conn.ctx.open_rw_session(conn.slot) {
            Ok(s) => s,
            Err(e) => {
                let recovery = if damage(&e) == Damage::None {
                    Recovery::Stop
                } else {
                    self.reset(conn.generation);
                    Recovery::Retry
                };
                return Err((unavailable("open session", e), recovery));
            }
        };
        match session.login(UserType::User, Some(&self.config.pin.auth_pin())) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => {
                if matches!(
                    e,
                    CkError::Pkcs11(
                        RvError::PinIncorrect
                            | RvError::PinInvalid
                            | RvError::PinLenRange
                            | RvError::PinExpired
                            | RvError::PinLocked,
                        _
                    )
                ) {
                    lock(&self.state).login_refused = Some(Instant::now());
                }
                self.reset(conn.generation);
                return Err((unavailable("log in to the token", e), Recovery::Stop));
            }
        }
        lease.pooled = Some(Pooled {
            session,
            generation: conn.generation,
        });
        Ok(lease)
    }

    /// Runs `op` on a pooled session. A failure that breaks the session or
    /// the token is [`RootKeyError::Unavailable`] and makes the next
    /// attempt reopen (and, for the token, rescan and log in again); a
    /// token not found, or a key of it that must be there not found, makes
    /// the module read its tokens again ([`REINIT_INTERVAL`]). One more
    /// attempt follows such a failure when `retry` is set (an operation
    /// that may run twice) or when `op` did not run yet.
    pub(crate) fn run<T>(
        &self,
        context: &'static str,
        retry: bool,
        op: impl Fn(&Self, &Lease<'_>) -> Result<T, OpError>,
    ) -> Result<T, RootKeyError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (error, recovery, ran) = match self.attempt(context, &op) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let again = attempts < 2 && (retry || !ran);
            match recovery {
                Recovery::Stop => return Err(error),
                Recovery::Retry if again => {}
                Recovery::Reinitialise if self.reinitialise() && again => {}
                Recovery::Retry | Recovery::Reinitialise => return Err(error),
            }
        }
    }

    /// One attempt of [`Self::run`]: the error, what may help, and whether
    /// `op` ran.
    fn attempt<T>(
        &self,
        context: &'static str,
        op: &impl Fn(&Self, &Lease<'_>) -> Result<T, OpError>,
    ) -> Result<T, (RootKeyError, Recovery, bool)> {
        let _inside = self.gate.enter();
        let mut lease = self.lease().map_err(|(e, r)| (e, r, false))?;
        if lease.session().is_none() {
            return Err((unavailable_because(context), Recovery::Stop, false));
        }
        match op(self, &lease) {
            Ok(v) => Ok(v),
            Err(OpError::Root(e)) => Err((e, Recovery::Stop, true)),
            Err(OpError::KeyMissing(e)) => {
                lease.keep = false;
                self.reset(lease.generation());
                Err((e, Recovery::Reinitialise, true))
            }
            Err(OpError::Ck(what, e)) => {
                let recovery = match damage(&e) {
                    Damage::None => Recovery::Stop,
                    Damage::Session => {
                        lease.keep = false;
                        Recovery::Retry
                    }
                    Damage::Handles => {
                        if let Ok(mut h) = self.handles.write() {
                            h.clear();
                        }
                        Recovery::Retry
                    }
                    Damage::Token => {
                        lease.keep = false;
                        self.reset(lease.generation());
                        Recovery::Retry
                    }
                };
                Err((unavailable(what, e), recovery, true))
            }
        }
    }

    /// The cached handle of a keystore's key, valid for `generation`.
    pub(crate) fn cached_handle(
        &self,
        keystore_id: &str,
        purpose: Purpose,
        generation: u64,
    ) -> Option<ObjectHandle> {
        let h = self.handles.read().ok()?;
        h.get(&(keystore_id.to_owned(), purpose))
            .filter(|(g, _)| *g == generation)
            .map(|(_, h)| *h)
    }

    pub(crate) fn cache_handle(
        &self,
        keystore_id: &str,
        purpose: Purpose,
        generation: u64,
        handle: ObjectHandle,
    ) {
        if let Ok(mut h) = self.handles.write() {
            h.insert((keystore_id.to_owned(), purpose), (generation, handle));
        }
    }

    pub(crate) fn forget_handles(&self, keystore_id: &str) {
        if let Ok(mut h) = self.handles.write() {
            h.retain(|(ks, _), _| ks != keystore_id);
        }
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::mpsc;

    use super::*;
    use crate::softhsm::{self, USER_PIN};

    #[test]
    fn a_busy_pool_times_out_instead_of_hanging() {
        let name = "token::tests::a_busy_pool_times_out_instead_of_hanging";
        if !softhsm::in_child(name, &["kms-pool"]).unwrap() {
            return;
        }
        let mut c = Pkcs11ClusterConfig::new(
            "c",
            softhsm::module().unwrap(),
            "kms-pool",
            HsmPin::new(USER_PIN),
        );
        c.max_sessions = 1;
        c.acquire_timeout = Duration::from_millis(200);
        let t = Arc::new(Pkcs11Token::new(c));
        let (held, is_held) = mpsc::channel();
        let (release, go) = mpsc::channel::<()>();
        let holder = {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                t.run("hold the only session", false, |_, _| {
                    held.send(())
                        .map_err(|_| OpError::Root(RootKeyError::Timeout))?;
                    go.recv()
                        .map_err(|_| OpError::Root(RootKeyError::Timeout))?;
                    Ok(())
                })
            })
        };
        is_held.recv().unwrap();
        let t0 = Instant::now();
        assert_eq!(t.check(), Err(RootKeyError::Timeout));
        let waited = t0.elapsed();
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        release.send(()).unwrap();
        holder.join().unwrap().unwrap();
        // The session went back to the pool and serves the next caller.
        t.check().unwrap();
        assert_eq!(lock(&t.state).idle.len(), 1);
    }
}

#[cfg(test)]
mod gate_tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_drain_waits_for_calls_inside_and_holds_new_ones() {
        let gate = Arc::new(Gate::default());
        let inside = gate.enter();
        let (drained_tx, drained_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let drainer = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let drained = gate.drain(Duration::from_secs(60));
                drained_tx.send(drained.is_some()).unwrap();
                release_rx.recv().unwrap();
                drop(drained);
            })
        };
        // The call inside is not cut short: no drain while it is there.
        assert!(drained_rx.recv_timeout(Duration::from_millis(100)).is_err());
        drop(inside);
        assert!(drained_rx.recv().unwrap());
        // While drained, a new call waits...
        let (entered_tx, entered_rx) = mpsc::channel();
        let waiter = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let _inside = gate.enter();
                entered_tx.send(()).unwrap();
            })
        };
        assert!(
            entered_rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "a call entered a drained gate"
        );
        // ... and enters once the drain is over.
        release_tx.send(()).unwrap();
        entered_rx.recv().unwrap();
        waiter.join().unwrap();
        drainer.join().unwrap();
    }

    #[test]
    fn a_drain_gives_up_on_a_call_that_stays_inside() {
        let gate = Gate::default();
        let _stuck = gate.enter();
        assert!(gate.drain(Duration::from_millis(50)).is_none());
        // Given up: calls enter again at once.
        let _next = gate.enter();
        assert_eq!(lock(&gate.state).inside, 2);
        assert!(!lock(&gate.state).draining);
    }
}
