//! Accounts, passwords, sessions and logging in.

pub mod password;
pub mod repo;
pub mod service;
pub mod session_store;

/// Keys of the values kept in a browser session.
pub mod keys {
    pub const ACCOUNT_ID: &str = "account_id";
    /// The membership the person works under now: `[school_id, membership_id]`.
    pub const MEMBERSHIP: &str = "membership";
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
    /// When the session was last prolonged (Unix minutes): see `web::school_scope`.
    pub const SEEN: &str = "seen";
    /// The person as read with the session (`repo::CurrentRow`, or null for an account that no
    /// longer signs in): put in by the session store's `load` for this request only, never stored.
    pub const PERSON: &str = "person";
}

/// A signed-in session is written back (its idle expiry moved on) at most this often while it is
/// used; a page view that changes nothing in it writes nothing.
pub const SESSION_TOUCH_MINUTES: i64 = 10;
