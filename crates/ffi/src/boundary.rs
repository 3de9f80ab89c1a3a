//! The panic boundary. A panic must never unwind into C (that is undefined
//! behaviour), so every exported function runs its body inside [`guard`],
//! which turns a panic into the function's fail-closed answer.
//!
//! Unit tests need a way to make the real exported functions panic; the
//! `panic_point` each of them calls does nothing in a normal build and, in
//! `cfg(test)` builds only, panics once when a test has armed it on its
//! thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body`; if it panics, returns `on_panic()` instead.
///
/// `AssertUnwindSafe` is sound here in the sense that matters for C: the
/// only state a body can leave half-changed is a policy being configured,
/// and `photoguard_policy_apply` marks such a policy poisoned in its
/// `on_panic`, after which every call on it fails closed.
pub fn guard<R>(on_panic: impl FnOnce() -> R, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_payload) => on_panic(),
    }
}

/// A place where a test may inject a panic into an exported function.
#[cfg(not(test))]
#[inline(always)]
pub(crate) fn panic_point() {}

#[cfg(test)]
pub(crate) use injected::panic_point;

#[cfg(test)]
pub(crate) mod injected {
    use std::cell::Cell;

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
    }

    /// Makes the next [`panic_point`] reached on this thread panic.
    pub fn arm() {
        ARMED.with(|armed| armed.set(true));
    }

    pub fn panic_point() {
        if ARMED.with(|armed| armed.replace(false)) {
            panic!("photoguard test: injected panic");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_body_returns_its_value() {
        assert_eq!(guard(|| -1, || 7), 7);
    }

    #[test]
    fn a_panicking_body_returns_the_fallback() {
        assert_eq!(guard(|| -1, || panic!("boom")), -1);
    }

    #[test]
    fn an_armed_panic_point_panics_once() {
        injected::arm();
        assert_eq!(
            guard(
                || "caught",
                || {
                    panic_point();
                    "ran"
                }
            ),
            "caught"
        );
        assert_eq!(
            guard(
                || "caught",
                || {
                    panic_point();
                    "ran"
                }
            ),
            "ran"
        );
    }
}
