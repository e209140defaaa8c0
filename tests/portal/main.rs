//! Portico's user stories, told through HTTP against an in-process server.

mod browser;
mod hostile_plugins;
mod job_portal;
mod staff_console;
