//! Tessera's HTTP server: configuration, startup of a deployment (data dir, master key,
//! database, first signing key), the axum routes of DESIGN.md's HTTP table, telemetry, TLS
//! and rate limits.

#![forbid(unsafe_code)]

pub mod backchannel;
pub mod breaker;
pub mod config;
pub mod connections;
pub mod deployment;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod proxy;
pub mod serve;
pub mod telemetry;
pub mod throttle;
pub mod ui;
pub mod webhooks;
