//! Router-level tests: the whole axum app over an in-memory SQLite store, driven with
//! `tower::ServiceExt::oneshot`, for every endpoint and every error path.

mod helpers;

mod account;
mod admin;
mod admin_console;
mod bearer;
mod breaker;
mod browser;
mod connections;
mod console_pages;
mod cors;
mod device;
mod discovery;
mod dpop;
mod encrypted_id_token;
mod errors;
mod events;
mod feed;
mod input;
mod methods;
mod metrics_access;
mod oauth;
mod openapi_contract;
mod ops;
mod second_factor;
mod throttle;
mod token;
