//! How clients pay online (owners): no online payment, Portico's practice
//! checkout, or Stripe (the operator's keys, optionally on the business's own
//! connected account).

use super::roles::Ability;
use portico_core::money::{CardFee, PaymentProvider};
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
    /// The card fee's rate in percent ("2.9") and fixed amount ("0.30");
    /// empty is none.
    card_fee_percent: String,
    card_fee_fixed: String,
    /// The business's sales tax, a percent ("8.25"); empty for none.
    tax_rate: String,
}

/// The card fee the form sets, or why it cannot: a percent with at most two
/// decimals up to 10 %, a fixed amount up to 100.00.
fn card_fee_of(form: &PaymentForm) -> Result<CardFee, String> {
    let read = |text: &str, what: &str| -> Result<i64, String> {
        let text = text.trim().trim_end_matches('%').trim();
        if text.is_empty() {
            return Ok(0);
        }
        portico_core::amounts::parse_amount(text).ok_or_else(|| format!("The card fee's {what} \"{text}\" is not a number; write it like 2.9 or 0.30."))
    };
    let fee = CardFee { basis_points: read(&form.card_fee_percent, "rate")?, fixed_minor: read(&form.card_fee_fixed, "fixed amount")? };
    if fee.basis_points > CardFee::MAX_BASIS_POINTS {
        return Err("A card fee is at most 10 % of the payment.".into());
    }
    if fee.fixed_minor > CardFee::MAX_FIXED_MINOR {
        return Err("A card fee's fixed amount is at most 100.00.".into());
    }
    Ok(fee)
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
        card_fee_percent: portico_core::estimates::rate_input(tenant.card_fee_basis_points),
        card_fee_fixed: if tenant.card_fee_fixed_minor == 0 { String::new() } else { portico_core::amounts::amount(tenant.card_fee_fixed_minor) },
        tax_rate: portico_core::estimates::rate_input(tenant.tax_rate_bp),
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
    let tax_rate = portico_core::estimates::parse_tax_rate(&form.tax_rate)
        .ok_or_else(|| format!("The sales tax “{}” is not a rate; write a percent from 0 to 30, like 8.25, or leave it empty for none.", form.tax_rate.trim()));
    let checked = check(&form, state.payments.stripe_configured(), tenant.stripe_account.as_deref(), open)
        .and_then(|choice| Ok((choice, card_fee_of(&form)?)))
        .and_then(|chosen| Ok((chosen, tax_rate?)));
    let (((provider, account), card_fee), tax_rate) = match checked {
        Ok(choice) => choice,
        Err(error) => return render(&state, jar, session, Some(form), Some(error)).await,
    };
    state.payments.switch_provider(&tenant, provider, account).await?;
    state.db.tenant(&tenant.id).set_card_fee(card_fee).await?;
    state.db.tenant(&tenant.id).set_tax_rate(tax_rate).await?;
    let mut summary = match account {
        Some(account) => format!("Clients pay through {provider} (account {account})"),
        None => format!("Clients pay through {provider}"),
    };
    if card_fee.charged() {
        let formats = portico_core::formats::TenantFormats::new(&tenant);
        summary.push_str(&format!("; card fee {} % + {}", portico_core::estimates::rate_input(card_fee.basis_points), portico_core::formats::Formats::money(&formats, card_fee.fixed_minor)));
    }
    if tax_rate > 0 {
        summary.push_str(&format!("; sales tax {}", portico_core::estimates::tax_rate_label(tax_rate)));
    }
    let audit = portico_data::AuditEntry::new(&tenant.id, "settings.payments", &summary).by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Saved. Invoices on the portal use it from now on.").await?;
    Ok(Redirect::to("/staff/payments").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(provider: &str, account: &str) -> PaymentForm {
        PaymentForm { provider: provider.into(), stripe_account: account.into(), ..Default::default() }
    }

    fn fee(percent: &str, fixed: &str) -> Result<CardFee, String> {
        card_fee_of(&PaymentForm { card_fee_percent: percent.into(), card_fee_fixed: fixed.into(), ..Default::default() })
    }

    #[test]
    fn a_card_fee_is_read_as_people_write_it() {
        assert_eq!(fee("2.9", "0.30"), Ok(CardFee { basis_points: 290, fixed_minor: 30 }));
        assert_eq!(fee("3 %", ""), Ok(CardFee { basis_points: 300, fixed_minor: 0 }));
        assert_eq!(fee("", ""), Ok(CardFee::default()), "none");
        assert!(fee("ten", "").unwrap_err().contains("not a number"));
        assert!(fee("12", "").unwrap_err().contains("at most 10 %"));
        assert!(fee("1", "150").unwrap_err().contains("at most 100.00"));
        assert!(fee("-1", "").is_err(), "no negative fee");
        assert_eq!(portico_core::estimates::rate_input(290), "2.9");
        assert_eq!(portico_core::estimates::rate_input(300), "3");
        assert_eq!(portico_core::estimates::rate_input(25), "0.25");
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
