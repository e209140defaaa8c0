//! Portico's web layer: the shared state, extractors, views and templates, and
//! every HTTP surface: the client portal, sign-in, the staff console, the REST
//! API and operations.
//!
//! `app` assembles the state and the router and runs a server; `serve` is the
//! HTTP/1 loop with its timeouts; `sessions` and `csrf` are who is asking;
//! `view` renders templates; `error` is this layer's one error type.

pub mod agreements;
pub mod api;
pub mod app;
pub mod client;
pub mod csrf;
pub mod dev;
pub mod download;
pub mod error;
pub mod messages;
pub mod ops;
pub mod payments;
pub mod portal;
pub(crate) mod section_cards;
pub mod serve;
pub mod sessions;
pub mod signin;
pub mod staff;
pub mod uploads;
pub mod view;
