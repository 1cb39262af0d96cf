//! The store contract: every behaviour of `tessera_core::Store` that Tessera relies on,
//! written once over `S: Store` and run against every backend.
//!
//! Each area module holds `pub async fn name<S: Store>(store: S)` tests. [`contract!`] turns
//! the list of them into `#[tokio::test]`s for one backend, given a function that makes a
//! fresh store (and a guard that keeps its resources alive), or `None` to skip.

#![allow(missing_docs, unreachable_pub, clippy::unwrap_used)]

mod accounts;
mod backends;
mod clients;
mod fixtures;
mod keys;
mod lockouts;
mod pgpurge;
mod pgschema;
mod postgres;
mod relay;
mod revocations;
mod rotation;
mod sessions;
mod sqlite;

/// Instantiates every contract test for one backend as module `$backend`.
macro_rules! contract {
    ($backend:ident, $fresh:path) => {
        contract!(@each $backend, $fresh,
            accounts::create_then_find_case_insensitively,
            accounts::duplicate_username_conflicts,
            accounts::list_users_by_username,
            accounts::set_password_ends_other_sessions,
            accounts::set_password_without_keep_ends_all,
            accounts::rehash_password_keeps_sessions,
            accounts::set_disabled_ends_all_sessions,
            accounts::delete_user_removes_everything_of_theirs,
            accounts::unknown_user_is_not_found,
            accounts::nul_in_lookups_finds_nothing,
            clients::create_then_find_client,
            clients::duplicate_client_conflicts,
            clients::list_clients_returns_all,
            clients::delete_client_ends_its_sessions,
            sessions::create_session_stores_first_token,
            sessions::create_session_is_atomic,
            sessions::session_needs_known_user_and_client,
            sessions::sessions_of_lists_only_live_ones,
            sessions::revoke_session_reports_liveness,
            rotation::rotation_marks_used_and_stores_successor,
            rotation::unknown_expired_or_ended_is_invalid,
            rotation::retry_within_grace_returns_same_successor,
            rotation::reuse_after_grace_revokes_family,
            rotation::zero_grace_makes_any_reuse_a_replay,
            rotation::concurrent_rotation_has_one_winner,
            rotation::concurrent_retries_share_one_successor,
            revocations::revoke_jti_is_idempotent_with_rising_cursors,
            revocations::revocations_since_pages_and_skips_expired,
            revocations::purge_expired_deletes_what_is_over,
            lockouts::failures_count_up_and_start_over_after_expiry,
            lockouts::locks_only_lengthen_and_clear_forgets,
            lockouts::purge_forgets_expired_counters,
            lockouts::nul_in_account_is_counted_apart,
            keys::keys_list_oldest_first,
            keys::set_key_state_stamps_retirement,
            keys::insert_key_after_compares_the_newest,
            keys::ping_answers,
        );
    };
    (@each $backend:ident, $fresh:path, $($area:ident :: $test:ident),+ $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((store, _guard)) = $fresh().await else {
                        return;
                    };
                    crate::$area::$test(store).await;
                }
            )+
        }
    };
}

contract!(sqlite_memory, crate::backends::sqlite_memory);
contract!(sqlite_file, crate::backends::sqlite_file);
contract!(any_sqlite, crate::backends::any_sqlite);
// Each test in a schema of its own; skipped (passing) unless TESSERA_TEST_DATABASE_URL is
// set, which `postgres::server_is_configured` checks under `--include-ignored`.
contract!(pg, crate::backends::postgres);
