//! The store contract: every behaviour of the `tessera_core::store` traits that Tessera
//! relies on, written once over `S: Store` and run against every backend, the in-memory
//! store included, so that it cannot drift from the databases.
//!
//! Each area module holds `pub async fn name<S: Store>(store: S)` tests. [`contract!`] turns
//! the list of them into `#[tokio::test]`s for one backend, given a function that makes a
//! fresh store (and a guard that keeps its resources alive), or `None` to skip.

#![allow(missing_docs, unreachable_pub, clippy::unwrap_used)]

mod accounts;
mod audit;
mod backends;
mod browser;
mod clients;
mod devices;
mod factors;
mod fixtures;
mod import;
mod keys;
mod lockouts;
mod pgpurge;
mod pgschema;
mod postgres;
mod relay;
mod replay;
mod revocations;
mod rotation;
mod sessions;
mod sqlite;
mod webhooks;

/// Instantiates every contract test for one backend as module `$backend`.
macro_rules! contract {
    ($backend:ident, $fresh:path) => {
        contract!(@each $backend, $fresh,
            accounts::create_then_find_case_insensitively,
            accounts::duplicate_username_conflicts,
            accounts::list_users_by_username,
            accounts::search_users_by_prefix_and_pages,
            accounts::set_password_ends_other_sessions,
            accounts::set_password_without_keep_ends_all,
            accounts::rehash_password_keeps_sessions,
            accounts::set_disabled_ends_all_sessions,
            accounts::set_roles_replaces_roles_and_keeps_sessions,
            accounts::someone_else_has_role_reads_exact_enabled_holders,
            accounts::delete_user_removes_everything_of_theirs,
            accounts::unknown_user_is_not_found,
            accounts::nul_in_lookups_finds_nothing,
            accounts::delete_user_ends_sessions_already_read,
            clients::create_then_find_client,
            clients::duplicate_client_conflicts,
            clients::list_clients_returns_all,
            clients::delete_client_ends_its_sessions,
            clients::update_client_replaces_settings_not_identity,
            sessions::create_session_stores_first_token,
            sessions::create_session_is_atomic,
            sessions::session_needs_known_user_and_client,
            sessions::sessions_of_lists_only_live_ones,
            sessions::revoke_session_reports_liveness,
            sessions::refresh_record_answers_the_record,
            rotation::rotation_marks_used_and_stores_successor,
            rotation::unknown_expired_or_ended_is_invalid,
            rotation::retry_within_grace_returns_same_successor,
            rotation::reuse_after_grace_revokes_family,
            rotation::zero_grace_makes_any_reuse_a_replay,
            rotation::concurrent_rotation_has_one_winner,
            rotation::concurrent_retries_share_one_successor,
            rotation::a_taken_successor_digest_changes_nothing,
            revocations::revoke_jti_is_idempotent_with_rising_cursors,
            revocations::revocations_since_pages_and_skips_expired,
            revocations::purge_expired_deletes_what_is_over,
            revocations::revoking_again_later_lengthens_the_entry,
            lockouts::failures_count_up_and_start_over_after_expiry,
            lockouts::locks_only_lengthen_and_clear_forgets,
            lockouts::purge_forgets_expired_counters,
            lockouts::nul_in_account_is_counted_apart,
            keys::keys_list_oldest_first,
            keys::set_key_state_stamps_retirement,
            keys::insert_key_after_compares_the_newest,
            keys::insert_key_after_goes_by_creation,
            keys::insert_key_after_has_one_winner,
            keys::a_key_that_signs_again_loses_its_retirement,
            keys::ping_answers,
            import::import_writes_every_record_and_retires_in_one_go,
            import::a_clash_on_the_last_record_leaves_the_store_unchanged,
            import::a_clashing_username_names_the_user,
            import::an_unknown_key_to_retire_undoes_the_import,
            import::an_empty_import_changes_nothing,
            browser::login_session_round_trips,
            browser::touch_moves_idle_expiry_but_never_past_the_end,
            browser::reauthenticate_replaces_the_secret,
            browser::login_sessions_of_lists_live_ones_oldest_first,
            browser::noted_clients_are_listed_once,
            browser::ending_revokes_families_and_queues_notices_once,
            browser::a_code_is_exchanged_once_then_replayed,
            browser::unknown_or_expired_codes_are_invalid,
            browser::a_failed_exchange_leaves_the_code_unspent,
            browser::concurrent_exchanges_have_one_winner,
            browser::consent_is_saved_and_replaced,
            browser::claims_lease_count_and_release,
            browser::claims_respect_the_limit_and_expired_leases,
            browser::concurrent_claims_are_disjoint,
            browser::deleting_user_or_client_takes_their_records,
            browser::purge_takes_what_browser_sign_in_no_longer_needs,
            browser::clients_keep_their_browser_settings,
            replay::a_proof_is_recorded_once_until_it_expires,
            replay::purge_removes_proofs_past_their_window,
            replay::concurrent_records_of_one_proof_have_one_winner,
            replay::a_bound_family_keeps_its_key,
            audit::events_round_trip_oldest_first,
            audit::every_filter_narrows_and_pages_follow_the_cursor,
            audit::concurrent_appends_lose_nothing,
            audit::purge_keeps_the_retention_and_the_cap,
            webhooks::webhooks_round_trip_and_delete,
            webhooks::a_claim_leases_due_receivers_until_they_are_updated,
            webhooks::concurrent_webhook_claims_are_disjoint,
            webhooks::the_latest_event_id_follows_the_trail,
            factors::enrollment_restarts_until_confirmed_then_holds,
            factors::an_enrollment_is_stored_unconfirmed,
            factors::unknown_users_have_no_factors,
            factors::each_step_is_accepted_once_and_in_order,
            factors::a_step_past_the_column_range_is_refused,
            factors::recovery_codes_are_spent_once_and_replaced,
            factors::a_failed_confirmation_writes_nothing,
            factors::remove_factors_takes_both_once,
            factors::deleting_the_user_removes_their_factors,
            factors::concurrent_uses_of_one_step_have_one_winner,
            factors::concurrent_spends_of_one_code_have_one_winner,
            factors::concurrent_confirmations_have_one_winner,
            devices::a_request_is_found_by_its_user_code_while_pending,
            devices::a_request_is_stored_pending_whatever_it_says,
            devices::a_live_user_code_conflicts,
            devices::a_user_code_is_free_again_once_expired,
            devices::an_approval_is_decided_once,
            devices::a_denial_is_decided_once,
            devices::an_expired_request_cannot_be_decided,
            devices::approval_fields_round_trip,
            devices::an_unknown_client_or_user_is_not_found,
            devices::a_poll_answers_the_request_as_it_was_before,
            devices::concurrent_polls_each_see_the_one_before,
            devices::slow_downs_add_up,
            devices::a_request_is_redeemed_once_after_approval,
            devices::concurrent_redeems_have_one_winner,
            devices::concurrent_creators_of_one_user_code_have_one_winner,
            devices::purge_keeps_a_request_an_hour_past_its_expiry,
            devices::deleting_the_client_removes_its_requests,
            devices::deleting_the_user_removes_the_requests_they_approved,
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

contract!(memory, crate::backends::memory);
contract!(sqlite_memory, crate::backends::sqlite_memory);
contract!(sqlite_file, crate::backends::sqlite_file);
contract!(any_sqlite, crate::backends::any_sqlite);
// Each test in a schema of its own; skipped (passing) unless TESSERA_TEST_DATABASE_URL is
// set, which `postgres::server_is_configured` checks under `--include-ignored`.
contract!(pg, crate::backends::postgres);
