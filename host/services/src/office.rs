//! The office: the members of staff the host tells when a client or a
//! section needs the business (owners and office staff; employees in the
//! field are not told). The host's choice, never a section's.

use portico_core::ids::TenantId;
use portico_core::model::StaffRole;
use portico_data::{Db, DbError, StaffUser};

/// The business's owners and office staff.
pub async fn members(db: &Db, tenant: &TenantId) -> Result<Vec<StaffUser>, DbError> {
    Ok(db.tenant(tenant).staff_users().await?.into_iter().filter(|user| matches!(user.role, StaffRole::Owner | StaffRole::Office)).collect())
}

/// Mail each member of the office `template` with `facts` (their own
/// `name` is added). Returns how many were told.
pub async fn mail(db: &Db, tenant: &TenantId, template: &str, facts: &serde_json::Value) -> Result<usize, DbError> {
    let members = members(db, tenant).await?;
    for member in &members {
        let mut data = facts.clone();
        data["name"] = member.display_name.clone().into();
        db.tenant(tenant).enqueue_mail(&member.email, template, &data.to_string()).await?;
    }
    Ok(members.len())
}
