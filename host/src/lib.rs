//! Portico's host: a web server that composes each job's client portal from
//! sandboxed WebAssembly section plugins.
//!
//! The modules, from the outside in: `cli` and `app` assemble and run the
//! server; `portal`, `signin`, `staff`, `api` and `ops` are the HTTP surface;
//! `sessions`, `links`, `tokens`, `csrf` and `rate_limit` are identity and
//! access; `mail` queues and delivers e-mail; `plugins` is the sandbox and the contract; `view` renders
//! HTML; `db` and `files` keep data, every query scoped to a tenant.

pub mod agreements;
/// Amounts as people type them; the same file the plugin SDK offers sections.
#[path = "../../plugin-sdk/src/money.rs"]
pub mod amounts;
pub mod api;
pub mod app;
pub mod cli;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod dev;
pub mod documents;
pub mod error;
pub mod files;
pub mod links;
pub mod mail;
pub mod model;
pub mod ops;
pub mod passwords;
pub mod payments;
pub mod pdf;
pub mod plugins;
pub mod portal;
pub mod rate_limit;
pub mod serve;
pub mod sessions;
pub mod signin;
pub mod staff;
pub mod telemetry;
pub mod tokens;
pub mod view;
pub mod webhooks;
pub mod worker;
