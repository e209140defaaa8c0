//! Permissions: what each one guards, and the install-time check that a
//! component imports nothing it did not declare.

use super::bindings::types::Permission as WitPermission;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A capability the tenant grants to a plugin; one per host interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    JobRead,
    DocumentsRead,
    BillingRead,
    Checkout,
    Storage,
    Notify,
    Audit,
    Agreements,
    AddOns,
    AccountRead,
    Files,
    NotifyOffice,
    Conversations,
}

/// The contract's package, whose interfaces plugins import.
pub const CONTRACT_PACKAGE: &str = "portico:plugin";

/// A version of the contract this host runs sections of. The current one is
/// the host's own; each older one is adapted (`since_v0_3`), so a business's
/// uploaded sections keep working through an upgrade of the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ContractVersion {
    #[default]
    V0_4,
    V0_3,
}

impl ContractVersion {
    pub const CURRENT: ContractVersion = ContractVersion::V0_4;
    /// Newest first.
    pub const SUPPORTED: [ContractVersion; 2] = [ContractVersion::V0_4, ContractVersion::V0_3];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_4 => "0.4.0",
            ContractVersion::V0_3 => super::since_v0_3::VERSION,
        }
    }

    fn parse(version: &str) -> Option<ContractVersion> {
        Self::SUPPORTED.into_iter().find(|supported| supported.as_str() == version)
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "0.4.0 and 0.3.0", for messages.
fn supported_versions() -> String {
    ContractVersion::SUPPORTED.map(ContractVersion::as_str).join(" and ")
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::JobRead,
        Permission::DocumentsRead,
        Permission::BillingRead,
        Permission::Checkout,
        Permission::Storage,
        Permission::Notify,
        Permission::Audit,
        Permission::Agreements,
        Permission::AddOns,
        Permission::AccountRead,
        Permission::Files,
        Permission::NotifyOffice,
        Permission::Conversations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::JobRead => "job-read",
            Permission::DocumentsRead => "documents-read",
            Permission::BillingRead => "billing-read",
            Permission::Checkout => "checkout",
            Permission::Storage => "storage",
            Permission::Notify => "notify",
            Permission::Audit => "audit",
            Permission::Agreements => "agreements",
            Permission::AddOns => "add-ons",
            Permission::AccountRead => "account-read",
            Permission::Files => "files",
            Permission::NotifyOffice => "notify-office",
            Permission::Conversations => "conversations",
        }
    }

    /// The contract interfaces this permission guards: one each, but
    /// `agreements` also guards `estimates` (new in 0.4.0), since accepting an
    /// estimate is signing it, and `conversations` guards `requests`, since a
    /// service request is a conversation with the office: a new permission
    /// would have changed the `permission` enum that sections built for 0.4.0
    /// already return.
    pub fn interfaces(self) -> &'static [&'static str] {
        match self {
            Permission::JobRead => &["job-data"],
            Permission::DocumentsRead => &["documents"],
            Permission::BillingRead => &["billing"],
            Permission::Checkout => &["checkout"],
            Permission::Storage => &["storage"],
            Permission::Notify => &["notify"],
            Permission::Audit => &["audit"],
            Permission::Agreements => &["agreements", "estimates"],
            Permission::AddOns => &["add-ons"],
            Permission::AccountRead => &["account"],
            Permission::Files => &["files"],
            Permission::NotifyOffice => &["office"],
            Permission::Conversations => &["conversations", "requests"],
        }
    }

    /// What granting it allows, in a tenant's words.
    pub fn summary(self) -> &'static str {
        match self {
            Permission::JobRead => "Read the job, its property, appointments, services and contacts",
            Permission::DocumentsRead => "Read the job's documents",
            Permission::BillingRead => "Read the job's invoices and payments",
            Permission::Checkout => "Send clients to your checkout to pay an invoice",
            Permission::Storage => "Keep its own data",
            Permission::Notify => "E-mail the people on the job",
            Permission::Audit => "Write to your audit log",
            Permission::Agreements => "Show the job's agreements and estimates, and let people on the job sign them and clients accept or decline estimates",
            Permission::AddOns => "Show your add-on services and let clients request them",
            Permission::AccountRead => "Show clients their own jobs, homes, invoices and payments with you on their account page",
            Permission::Files => "Take photos and PDFs in its forms and show them to the people who may see them",
            Permission::NotifyOffice => "E-mail your owners and office staff when something needs them (you choose nothing about who)",
            Permission::Conversations => "Hold conversations between your office and a client about what it keeps, and take clients' service requests (the messages stay with you; the client is e-mailed as they chose)",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<WitPermission> for Permission {
    fn from(permission: WitPermission) -> Self {
        match permission {
            WitPermission::JobRead => Permission::JobRead,
            WitPermission::DocumentsRead => Permission::DocumentsRead,
            WitPermission::BillingRead => Permission::BillingRead,
            WitPermission::Checkout => Permission::Checkout,
            WitPermission::Storage => Permission::Storage,
            WitPermission::Notify => Permission::Notify,
            WitPermission::Audit => Permission::Audit,
            WitPermission::Agreements => Permission::Agreements,
            WitPermission::AddOns => Permission::AddOns,
            WitPermission::AccountRead => Permission::AccountRead,
            WitPermission::Files => Permission::Files,
            WitPermission::NotifyOffice => Permission::NotifyOffice,
            WitPermission::Conversations => Permission::Conversations,
        }
    }
}

impl From<Permission> for WitPermission {
    fn from(permission: Permission) -> Self {
        match permission {
            Permission::JobRead => WitPermission::JobRead,
            Permission::DocumentsRead => WitPermission::DocumentsRead,
            Permission::BillingRead => WitPermission::BillingRead,
            Permission::Checkout => WitPermission::Checkout,
            Permission::Storage => WitPermission::Storage,
            Permission::Notify => WitPermission::Notify,
            Permission::Audit => WitPermission::Audit,
            Permission::Agreements => WitPermission::Agreements,
            Permission::AddOns => WitPermission::AddOns,
            Permission::AccountRead => WitPermission::AccountRead,
            Permission::Files => WitPermission::Files,
            Permission::NotifyOffice => WitPermission::NotifyOffice,
            Permission::Conversations => WitPermission::Conversations,
        }
    }
}

/// What a component's imports say it will use.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportedCapabilities {
    /// Permissions whose interfaces are imported.
    pub permissions: BTreeSet<Permission>,
    /// The contract version of its `portico:plugin` imports, if it has any.
    pub contract: Option<ContractVersion>,
}

/// Why a component's imports are unacceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("it imports `{0}`, which is not part of the Portico contract or of WASI")]
    Unknown(String),
    #[error("it was built for contract version {found}, but this host runs sections of {CONTRACT_PACKAGE} {}", supported_versions())]
    UnsupportedVersion { found: String },
    #[error("it mixes contract versions {0} and {1}: build it against one version of the WIT files")]
    MixedVersions(ContractVersion, ContractVersion),
    #[error("it does not export `{CONTRACT_PACKAGE}/section`, so it is not a Portico section (build it for the `section-plugin` world)")]
    NotASection,
    #[error("it imports `{0}`: sections get no network, sockets or outbound HTTP (build it without networking code, and ask the host for what you need through the contract)")]
    Network(String),
    #[error("it imports `{0}`, a WASI interface sections have no use for (they may use clocks, random numbers, I/O streams and the command-line basics only)")]
    UnusedWasi(String),
}

/// The WASI 0.2 interfaces a section may import. Rust's standard library
/// (and other languages' runtimes) import the command-line, clock, random,
/// stream and filesystem interfaces whether or not the code uses them; the
/// sandbox gives them an empty environment and no preopened directory, so
/// they reach nothing. Everything else, sockets above all, is refused when
/// the component is installed.
const ALLOWED_WASI: [&str; 5] = ["wasi:cli/", "wasi:clocks/", "wasi:io/", "wasi:random/", "wasi:filesystem/"];

/// Check one WASI import against what sections may use.
fn check_wasi(name: &str) -> Result<(), ImportError> {
    if name.starts_with("wasi:sockets/") || name.starts_with("wasi:http/") {
        return Err(ImportError::Network(name.to_string()));
    }
    if !name.contains("@0.2.") {
        return Err(ImportError::Unknown(name.to_string()));
    }
    if ALLOWED_WASI.iter().any(|prefix| name.starts_with(prefix)) {
        Ok(())
    } else {
        Err(ImportError::UnusedWasi(name.to_string()))
    }
}

/// Classify the names a component imports. Contract interfaces map to
/// permissions; the free ones (`types`, `cards`, `log`) and WASI 0.2 are
/// allowed; anything else is refused.
pub fn classify_imports<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ImportedCapabilities, ImportError> {
    let mut imported = ImportedCapabilities::default();
    for name in names {
        if name.starts_with("wasi:") {
            check_wasi(name)?;
            continue;
        }
        let Some(rest) = name.strip_prefix(CONTRACT_PACKAGE).and_then(|rest| rest.strip_prefix('/')) else {
            return Err(ImportError::Unknown(name.to_string()));
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        let version = ContractVersion::parse(version).ok_or_else(|| ImportError::UnsupportedVersion { found: version.to_string() })?;
        match imported.contract {
            Some(seen) if seen != version => return Err(ImportError::MixedVersions(seen, version)),
            _ => imported.contract = Some(version),
        }
        match Permission::ALL.into_iter().find(|permission| permission.interfaces().contains(&interface)) {
            Some(permission) => {
                imported.permissions.insert(permission);
            }
            None if matches!(interface, "types" | "cards" | "log") => {}
            None => return Err(ImportError::Unknown(name.to_string())),
        }
    }
    Ok(imported)
}

/// The contract version a component was built for, read from the
/// `section` interface it exports; its imports must be of the same version.
pub fn contract_of<'a>(exports: impl IntoIterator<Item = &'a str>, imported: &ImportedCapabilities) -> Result<ContractVersion, ImportError> {
    let section = format!("{CONTRACT_PACKAGE}/section@");
    let found = exports.into_iter().find_map(|name| name.strip_prefix(section.as_str())).ok_or(ImportError::NotASection)?;
    let version = ContractVersion::parse(found).ok_or_else(|| ImportError::UnsupportedVersion { found: found.to_string() })?;
    match imported.contract {
        Some(imports) if imports != version => Err(ImportError::MixedVersions(version, imports)),
        _ => Ok(version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_interfaces_map_to_permissions() {
        let imported = classify_imports([
            "wasi:cli/environment@0.2.6",
            "portico:plugin/types@0.4.0",
            "portico:plugin/storage@0.4.0",
            "portico:plugin/log@0.4.0",
        ])
        .unwrap();
        assert_eq!(imported.contract, Some(ContractVersion::V0_4));
        assert_eq!(imported.permissions.into_iter().collect::<Vec<_>>(), vec![Permission::Storage]);
    }

    #[test]
    fn a_section_is_of_one_supported_version() {
        let old = classify_imports(["portico:plugin/types@0.3.0", "portico:plugin/job-data@0.3.0"]).unwrap();
        assert_eq!(contract_of(["portico:plugin/section@0.3.0"], &old), Ok(ContractVersion::V0_3));
        assert_eq!(
            contract_of(["portico:plugin/section@0.4.0"], &old),
            Err(ImportError::MixedVersions(ContractVersion::V0_4, ContractVersion::V0_3))
        );
        assert_eq!(
            classify_imports(["portico:plugin/types@0.3.0", "portico:plugin/log@0.4.0"]),
            Err(ImportError::MixedVersions(ContractVersion::V0_3, ContractVersion::V0_4))
        );
        let none = ImportedCapabilities::default();
        assert_eq!(contract_of(["portico:plugin/section@0.4.0"], &none), Ok(ContractVersion::V0_4));
        assert_eq!(contract_of(["wasi:cli/run@0.2.6"], &none), Err(ImportError::NotASection));
        let refused = contract_of(["portico:plugin/section@0.2.0"], &none).unwrap_err();
        assert_eq!(refused.to_string(), "it was built for contract version 0.2.0, but this host runs sections of portico:plugin 0.4.0 and 0.3.0");
    }

    #[test]
    fn foreign_and_future_imports_are_refused() {
        assert_eq!(
            classify_imports(["wasi:cli/environment@0.3.0"]),
            Err(ImportError::Unknown("wasi:cli/environment@0.3.0".into()))
        );
        assert!(matches!(
            classify_imports(["portico:plugin/storage@0.2.0"]),
            Err(ImportError::UnsupportedVersion { .. })
        ));
        assert!(classify_imports(["evil:net/raw@1.0.0"]).is_err());
    }

    #[test]
    fn sections_get_no_network_and_no_wasi_beyond_the_basics() {
        for network in ["wasi:sockets/tcp@0.2.6", "wasi:sockets/udp-create-socket@0.2.0", "wasi:sockets/ip-name-lookup@0.2.3", "wasi:http/outgoing-handler@0.2.0"] {
            let refused = classify_imports(["wasi:cli/environment@0.2.6", network]).unwrap_err();
            assert_eq!(refused, ImportError::Network(network.into()));
            assert!(refused.to_string().contains(network) && refused.to_string().contains("no network"), "{refused}");
        }
        let refused = classify_imports(["wasi:keyvalue/store@0.2.0"]).unwrap_err();
        assert!(refused.to_string().contains("wasi:keyvalue/store@0.2.0"), "{refused}");
        assert!(classify_imports([
            "wasi:cli/stderr@0.2.6",
            "wasi:io/streams@0.2.6",
            "wasi:clocks/wall-clock@0.2.6",
            "wasi:random/random@0.2.6",
            "wasi:filesystem/preopens@0.2.6",
        ])
        .is_ok());
    }
}
