//! This build's first-party sections (`plugins/`) compiled for the host,
//! for the native backend (`portico_sections::Sections::run_natively`):
//! the load benchmark's baseline, and the stories checking that a section
//! renders the same natively as in its sandbox.

use portico_plugin_sdk::native::NativeSection;

/// Every first-party section, natively.
pub fn all() -> Vec<NativeSection> {
    vec![
        portico_section_add_ons::portico_native_section(),
        portico_section_agreements::portico_native_section(),
        portico_section_checklists::portico_native_section(),
        portico_section_contractors::portico_native_section(),
        portico_section_dashboard::portico_native_section(),
        portico_section_estimates::portico_native_section(),
        portico_section_job_details::portico_native_section(),
        portico_section_jobs::portico_native_section(),
        portico_section_moving_offers::portico_native_section(),
        portico_section_payments::portico_native_section(),
        portico_section_properties::portico_native_section(),
        portico_section_repair_list::portico_native_section(),
        portico_section_reports::portico_native_section(),
        portico_section_requests::portico_native_section(),
    ]
}
