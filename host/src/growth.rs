//! The growth data set, shared by `portico seed-growth` and the load
//! benchmark's growth run: the seeding itself is the data layer's
//! (`Db::seed_growth`); this adds its progress line and the links a
//! benchmark signs in with.

use anyhow::Context as _;
use portico_core::ids::TenantId;
use portico_core::model::Role;
use portico_core::tokens::{hash_token, new_token};
use portico_data::{growth_slug, Db, GrowthPlan, Grown};

/// Seed `plan`, telling the terminal how far it got.
pub async fn seed(db: &Db, template: &TenantId, plan: GrowthPlan) -> anyhow::Result<Grown> {
    let grown = db
        .seed_growth(template, plan, |done| eprint!("\r  seeded {done} of {} businesses", plan.businesses))
        .await
        .context("seeding the growth data set")?;
    eprintln!();
    Ok(grown)
}

/// New personal links (path `/p/…`) for the client and the buyer's agent of
/// seeded business `n`'s newest job. The seeded links are placeholders, so
/// these replace them.
pub async fn newest_job_links(db: &Db, n: u32) -> anyhow::Result<(String, String)> {
    let slug = growth_slug(n);
    let tenant = db.tenant_by_slug(&slug).await?.with_context(|| format!("no seeded business {slug}"))?;
    let business = db.tenant(&tenant.id);
    let job = business.jobs(1).await?.into_iter().next().with_context(|| format!("{slug} has no jobs"))?;
    let people = business.job_contacts(&job.id).await?;
    let mut links = Vec::new();
    for role in [Role::Client, Role::BuyerAgent] {
        let person = people.iter().find(|p| p.role.0 == role).with_context(|| format!("{slug}'s newest job has no {}", role.as_str()))?;
        let token = new_token();
        business.rotate_link_token(&person.id, &hash_token(&token), None).await?;
        links.push(format!("/p/{token}"));
    }
    let agent = links.pop().unwrap_or_default();
    let client = links.pop().unwrap_or_default();
    Ok((client, agent))
}
