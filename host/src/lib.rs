//! Portico's host: a web server that composes each job's client portal from
//! sandboxed WebAssembly section plugins.
//!
//! The modules, from the outside in: `cli` and `app` assemble and run the
//! server; `portal` and `ops` are the HTTP surface; `sessions` and `tokens`
//! are identity; `plugins` is the sandbox and the contract; `view` renders
//! HTML; `db` and `files` keep data, every query scoped to a tenant.

pub mod app;
pub mod cli;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod files;
pub mod mail;
pub mod model;
pub mod ops;
pub mod passwords;
pub mod pdf;
pub mod plugins;
pub mod portal;
pub mod sessions;
pub mod staff;
pub mod telemetry;
pub mod tokens;
pub mod view;
