//! Random bytes for nonces from the OS CSPRNG, buffered so that an encryption does not cost a
//! `getrandom` system call, and safe across `fork()`.
//!
//! Each thread keeps its own buffer. A forked child starts as a copy of its parent, buffer
//! included, and two processes handing out the same bytes would encrypt with the same nonce; so a
//! `pthread_atfork` handler counts forks in the child, and a buffer filled before the last fork is
//! thrown away instead of used. Where that handler cannot be installed, nothing is buffered.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Once;

use crypto_secretbox::aead::rand_core::RngCore;
use crypto_secretbox::aead::OsRng;

/// Bytes fetched from the OS at once: 170 nonces.
const BUFFER_LEN: usize = 4096;

/// Forks seen in this process (bumped in the child, after each fork).
static FORKS: AtomicU64 = AtomicU64::new(0);
/// Whether forks are counted, which buffering depends on.
static FORKS_COUNTED: AtomicBool = AtomicBool::new(false);
static COUNT_FORKS: Once = Once::new();

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one atomic add.
    FORKS.fetch_add(1, Ordering::SeqCst);
}

fn count_forks() {
    COUNT_FORKS.call_once(|| {
        #[cfg(unix)]
        {
            // SAFETY: registers a handler that only touches an atomic; the library that holds it
            // is never unloaded (Python does not unload extension modules).
            let status = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
            FORKS_COUNTED.store(status == 0, Ordering::SeqCst);
        }
        // Without fork() there is nothing to guard against.
        #[cfg(not(unix))]
        FORKS_COUNTED.store(true, Ordering::SeqCst);
    });
}

struct Pool {
    bytes: Box<[u8; BUFFER_LEN]>,
    used: usize,
    forks: u64,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool {
        bytes: Box::new([0; BUFFER_LEN]),
        // Empty: the first request fills it.
        used: BUFFER_LEN,
        forks: 0,
    });
}

/// Fills `out` with random bytes from the OS CSPRNG, through this thread's buffer.
pub fn fill(out: &mut [u8]) {
    count_forks();
    if out.len() > BUFFER_LEN || !FORKS_COUNTED.load(Ordering::SeqCst) {
        OsRng.fill_bytes(out);
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let forks = FORKS.load(Ordering::SeqCst);
        if pool.forks != forks || BUFFER_LEN - pool.used < out.len() {
            OsRng.fill_bytes(&mut pool.bytes[..]);
            pool.used = 0;
            pool.forks = forks;
        }
        let start = pool.used;
        let taken = &mut pool.bytes[start..start + out.len()];
        out.copy_from_slice(taken);
        // Handed out once: nothing else may ever read these bytes.
        taken.fill(0);
        pool.used += out.len();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_draw_is_new() {
        let mut seen = std::collections::HashSet::new();
        // Several buffers' worth, so refills are crossed too.
        for _ in 0..(3 * BUFFER_LEN / 24) {
            let mut nonce = [0u8; 24];
            fill(&mut nonce);
            assert!(seen.insert(nonce), "a nonce came out twice");
        }
    }

    #[test]
    fn a_fork_discards_the_buffer() {
        let mut before = [0u8; 24];
        fill(&mut before);
        let used = POOL.with(|pool| pool.borrow().used);
        after_fork_in_child();
        let mut after = [0u8; 24];
        fill(&mut after);
        // The buffer was refilled from the OS instead of continuing where it was.
        assert_eq!(POOL.with(|pool| pool.borrow().used), 24);
        assert!(used >= 24);
        assert_ne!(before, after);
    }

    #[test]
    fn large_requests_bypass_the_buffer() {
        let mut big = vec![0u8; BUFFER_LEN + 1];
        fill(&mut big);
        assert!(big.iter().any(|byte| *byte != 0));
    }
}
