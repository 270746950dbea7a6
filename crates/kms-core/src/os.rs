//! The operating system's clock and random source, for hosts that embed
//! the core (feature `os`, off by default: without it kms-core does no
//! I/O at all, as rustls gates its default time provider).
//!
//! [`PortsBuilder`](crate::PortsBuilder) takes these as its
//! defaults when the feature is on.

use std::time::{SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zeroize::Zeroizing;

use crate::ports::{Clock, Entropy, EntropyError, Timestamp};

/// The system's wall clock, in milliseconds since the Unix epoch (a clock
/// before 1970 reads 0).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }
}

/// A ChaCha20 CSPRNG per thread, each seeded from the operating system
/// (`getrandom`) on first use and reseeded from it after every 1 MiB it
/// hands out: no lock shared between threads (one generator behind a mutex
/// was a global lock on the DEK path) and no system call per draw. The
/// generator state lives in the thread and is dropped with it.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsEntropy;

/// Bytes a thread's generator hands out before it is reseeded.
const RESEED_AFTER: usize = 1 << 20;

struct ThreadRng {
    rng: ChaCha20Rng,
    served: usize,
}

thread_local! {
    static THREAD_RNG: std::cell::RefCell<Option<ThreadRng>> =
        const { std::cell::RefCell::new(None) };
}

fn os_seeded() -> Result<ChaCha20Rng, EntropyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|_| EntropyError)?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

impl OsEntropy {
    /// Draws once, so a host fails at start, not on its first request,
    /// when the operating system's source is unusable.
    ///
    /// # Errors
    /// The source failed.
    pub fn probe(self) -> Result<Self, EntropyError> {
        let mut probe = Zeroizing::new([0u8; 16]);
        self.fill(&mut probe[..])?;
        Ok(self)
    }
}

impl Entropy for OsEntropy {
    fn fill(&self, dst: &mut [u8]) -> Result<(), EntropyError> {
        THREAD_RNG.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot
                .as_ref()
                .is_none_or(|t| t.served.saturating_add(dst.len()) > RESEED_AFTER);
            if stale {
                *slot = Some(ThreadRng {
                    rng: os_seeded()?,
                    served: 0,
                });
            }
            let t = slot.as_mut().ok_or(EntropyError)?;
            t.rng.fill_bytes(dst);
            t.served += dst.len();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn thread_entropy_draws_fresh_bytes_and_reseeds() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        OsEntropy.probe().unwrap();
        OsEntropy.fill(&mut a).unwrap();
        OsEntropy.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        // Past the reseed threshold the thread's generator is replaced.
        let mut big = vec![0u8; RESEED_AFTER / 2 + 1];
        OsEntropy.fill(&mut big).unwrap();
        OsEntropy.fill(&mut big).unwrap();
        THREAD_RNG.with(|c| assert!(c.borrow().as_ref().unwrap().served <= RESEED_AFTER));
        // Another thread has its own generator: not the same stream.
        let other = std::thread::spawn(|| {
            let mut x = [0u8; 32];
            OsEntropy.fill(&mut x).unwrap();
            x
        })
        .join()
        .unwrap();
        let mut mine = [0u8; 32];
        OsEntropy.fill(&mut mine).unwrap();
        assert_ne!(other, mine);
    }

    #[test]
    fn the_clock_reads_after_2020() {
        assert!(SystemClock.now().0 > 1_577_836_800_000);
    }
}
