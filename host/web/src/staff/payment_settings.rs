//! How clients pay online (owners): no online payment, Portico's practice
//! checkout, or Stripe (the operator's keys, optionally on the business's own
//! connected account).

use super::roles::Ability;
use portico_core::money::PaymentProvider;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/payments", get(page).post(save))
}

/// The providers a business may choose, as the form offers them.
const PROVIDERS: [(PaymentProvider, &str); 3] = [
    (PaymentProvider::None, "No online payments: clients see the invoice and pay you directly (you record those payments on the job)"),
    (PaymentProvider::Test, "Practice checkout: clients go through a labelled test payment and no money moves (for trying Portico out)"),
    (PaymentProvider::Stripe, "Card and bank payments through Stripe"),
];

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PaymentForm {
    #[serde(skip_serializing)]
    csrf: String,
    provider: String,
    stripe_account: String,
}

/// A Stripe connected account id: `acct_` and letters and digits.
fn is_stripe_account(value: &str) -> bool {
    value.strip_prefix("acct_").is_some_and(|rest| (6..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The choice the form makes (a provider, and for Stripe the connected
/// account, if any), or why it cannot be saved. `open_checkouts` counts the
/// card checkouts still open on Stripe.
fn check<'f>(form: &'f PaymentForm, stripe_configured: bool, current_account: Option<&str>, open_checkouts: i64) -> Result<(PaymentProvider, Option<&'f str>), String> {
    let account = form.stripe_account.trim();
    let Ok(provider) = form.provider.parse::<PaymentProvider>() else {
        return Err("Choose how clients pay.".into());
    };
    let stripe = provider == PaymentProvider::Stripe;
    if stripe && !stripe_configured {
        return Err("This server has no Stripe keys yet: ask whoever runs your Portico to configure Stripe before you choose it.".into());
    }
    if stripe && !account.is_empty() && !is_stripe_account(account) {
        return Err(format!("“{account}” is not a Stripe account id; they look like acct_1AbCdEfGhIjKlMnO (Stripe dashboard → Settings → Account details)."));
    }
    let new_account = Some(account).filter(|a| stripe && !a.is_empty());
    if open_checkouts > 0 && new_account != current_account {
        return Err(format!(
            "{open_checkouts} card checkout(s) are still open on the current Stripe account; change accounts once they are finished or have expired."
        ));
    }
    Ok((provider, new_account))
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, form: Option<PaymentForm>, error: Option<String>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let form = form.unwrap_or_else(|| PaymentForm {
        csrf: String::new(),
        provider: tenant.payment_provider.as_str().to_string(),
        stripe_account: tenant.stripe_account.clone().unwrap_or_default(),
    });
    let stripe_configured = state.payments.stripe_configured();
    let providers: Vec<serde_json::Value> = PROVIDERS
        .iter()
        .map(|(value, label)| json!({ "value": value.as_str(), "label": label, "checked": value.as_str() == form.provider, "unavailable": *value == PaymentProvider::Stripe && !stripe_configured }))
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let data = json!({ "form": form, "providers": providers, "error": error, "stripe_configured": stripe_configured });
    let mut response = super::console_page(state, jar, session, "staff_payment_settings", "Payments", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    render(&state, jar, session, None, None).await
}

async fn save(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<PaymentForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let open = state.db.tenant(&tenant.id).open_checkout_count("stripe").await?;
    let (provider, account) = match check(&form, state.payments.stripe_configured(), tenant.stripe_account.as_deref(), open) {
        Ok(choice) => choice,
        Err(error) => return render(&state, jar, session, Some(form), Some(error)).await,
    };
    state.payments.switch_provider(&tenant, provider, account).await?;
    let summary = match account {
        Some(account) => format!("Clients pay through {provider} (account {account})"),
        None => format!("Clients pay through {provider}"),
    };
    let audit = portico_data::AuditEntry::new(&tenant.id, "settings.payments", &summary).by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Saved. Invoices on the portal use it from now on.").await?;
    Ok(Redirect::to("/staff/payments").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(provider: &str, account: &str) -> PaymentForm {
        PaymentForm { csrf: String::new(), provider: provider.into(), stripe_account: account.into() }
    }

    #[test]
    fn stripe_needs_the_servers_keys_and_a_real_account_id() {
        assert_eq!(check(&form("none", ""), false, None, 0), Ok((PaymentProvider::None, None)));
        assert_eq!(check(&form("stripe", "acct_1AbCdEfGhIj"), true, None, 0), Ok((PaymentProvider::Stripe, Some("acct_1AbCdEfGhIj"))));
        assert_eq!(check(&form("test", "acct_1AbCdEfGhIj"), true, None, 0), Ok((PaymentProvider::Test, None)), "an account only goes with Stripe");
        assert!(check(&form("paypal", ""), true, None, 0).unwrap_err().contains("Choose"));
        assert!(check(&form("stripe", ""), false, None, 0).unwrap_err().contains("no Stripe keys"));
        assert!(check(&form("stripe", "acct_<script>"), true, None, 0).unwrap_err().contains("not a Stripe account id"));
        assert!(check(&form("stripe", "acct_1NewAccount"), true, Some("acct_1OldAccount"), 2).unwrap_err().contains("2 card checkout(s)"));
        assert_eq!(check(&form("stripe", "acct_1OldAccount"), true, Some("acct_1OldAccount"), 2), Ok((PaymentProvider::Stripe, Some("acct_1OldAccount"))), "keeping the account is fine");
    }
}
