//! "Pay for your service": the job's invoices with their lines, fees, tax and
//! balance; Pay Now through the business's checkout (the host owns the payment
//! provider; this section only asks for a checkout and sends the client on);
//! the invoice PDF, receipts and the payment history.
//!
//! On the client's account hub: every invoice of their jobs, ticked and paid
//! in one checkout, or reported as paid another way; a correction asked for
//! in a conversation with the office; and their transactions with receipts.

mod hub;

use portico_plugin_sdk::billing::{status_chip, Invoice, LineKind, Payment};
use portico_plugin_sdk::prelude::*;
use serde::Deserialize;

struct Payments;

const CARD: &str = "pay";
/// Action ids are `pay-{invoice id}` (ids are letters, digits, `-` and `_`).
const PAY_PREFIX: &str = "pay-";

#[derive(Deserialize)]
#[serde(default)]
pub(crate) struct Settings {
    payer_roles: Vec<String>,
    other_ways: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { payer_roles: vec!["client".into(), "co-client".into()], other_ways: String::new() }
    }
}

impl Settings {
    pub(crate) fn may_pay(&self, role: Role) -> bool {
        self.payer_roles.iter().any(|r| r == role.key())
    }
}

/// A payment method as people read it.
fn method_label(method: &str) -> &str {
    match method {
        "card" => "Card",
        other => checkout::OTHER_WAYS.iter().find(|(key, _)| *key == other).map(|(_, label)| *label).unwrap_or(other),
    }
}

fn payment_label(payment: &Payment) -> String {
    let method = method_label(&payment.method);
    let status = match payment.status.as_str() {
        "succeeded" if payment.refunded > 0 => "received, partly refunded",
        "succeeded" => "received",
        "pending" => "recorded, awaiting approval",
        "processing" => "processing",
        "failed" => "failed",
        "rejected" => "not accepted",
        "refunded" => "refunded",
        other => other,
    };
    format!("{method} payment, {status}")
}

fn invoice_blocks(mut card: Card, invoice: &Invoice) -> Card {
    card = card.heading(format!("Invoice {}", invoice.number));
    for line in &invoice.lines {
        let kind = match line.kind {
            LineKind::Fee => " (fee)",
            LineKind::AddOn => " (add-on)",
            LineKind::Discount => " (discount)",
            LineKind::Service => "",
        };
        let quantity = if line.quantity == 1 { String::new() } else { format!(" × {}", line.quantity) };
        card = card.money(format!("{}{kind}{quantity}", line.description), line.amount);
    }
    card = card.money("Subtotal", invoice.subtotal);
    if invoice.fees != 0 {
        card = card.money("Fees", invoice.fees);
    }
    if invoice.tax != 0 {
        card = card.money("Tax", invoice.tax);
    }
    card = card.money("Total", invoice.total);
    let paid = invoice.total - invoice.balance;
    if paid != 0 {
        card = card.money("Paid", paid);
    }
    card = card.money("Balance due", invoice.balance.max(0));
    if let (Some(due), true) = (invoice.due_at, invoice.balance > 0) {
        card = card.moment("Due by", due);
    }
    for payment in &invoice.payments {
        card = card.money(payment_label(payment), payment.amount).moment("On", payment.at);
        if let Some(receipt) = &payment.receipt_url {
            card = card.link(format!("Receipt for this {} payment", payment.method.replace('-', " ")), receipt.clone());
        }
    }
    if invoice.payments.iter().any(|p| p.status == "pending") {
        card = card.notice(Tone::Info, "A payment was recorded and is waiting for the business to confirm it.");
    }
    card.link(format!("Download invoice {} (PDF)", invoice.number), invoice.pdf_url.clone())
}

/// The card fee on paying these invoices (`what`: "this invoice",
/// "everything due"), shown before the viewer pays; the checkout shows it
/// again for what they chose. Nothing when the business charges none, or
/// the host cannot say.
fn card_fee_note(card: Card, invoice_ids: &[String], what: &str) -> Card {
    match checkout::quote(invoice_ids) {
        Ok(quote) if quote.card_fee > 0 => card
            .money(format!("Card fee on {what}, if you pay by card"), quote.card_fee)
            .money(format!("Paying {what} by card charges"), quote.total),
        _ => card,
    }
}

impl Section for Payments {
    fn describe() -> Descriptor {
        Descriptor::new("payments", "Payments", env!("CARGO_PKG_VERSION"))
            .description("Shows the client their invoice and lets them pay it online, with receipts and a payment history.")
            .card(CardSpec::dashboard(CARD, "Pay for your service").roles(&[Role::Client, Role::CoClient, Role::Staff]))
            .card(CardSpec::hub_tab(hub::BATCHES, "Batch invoices", "Invoices").roles(&[Role::Client, Role::CoClient]))
            .card(CardSpec::hub_tab(hub::INVOICES, "Your invoices", "Invoices").roles(&[Role::Client, Role::CoClient]))
            .card(CardSpec::hub_tab(hub::TRANSACTIONS, "Payments and receipts", "Transactions").roles(&[Role::Client, Role::CoClient]))
            .permission(Permission::BillingRead, "Shows the invoice, what was paid and what is due.")
            .permission(Permission::Checkout, "Sends the client to your checkout when they choose Pay Now, and tells you when they paid another way.")
            .permission(Permission::AccountRead, "Shows the client every invoice, batch invoice and payment of their jobs on their account page.")
            .permission(Permission::Conversations, "Opens a conversation with your office when a client asks for a correction to an invoice.")
            .setting("payer_roles", "Who can pay online", SettingKind::Roles, json!(["client", "co-client"]))
            .setting("other_ways", "Other ways to pay", SettingKind::LongText, json!(""))
            .setting_help("Shown under the invoice, such as \"Checks payable to Keystone Home Inspections\".")
    }

    fn render(ctx: &Context) -> Result<Vec<Card>, String> {
        let settings: Settings = ctx.settings()?;
        if ctx.surface == Surface::AccountHub {
            return hub::render(ctx, &settings);
        }
        let invoices = match billing::list_invoices() {
            Ok(invoices) => invoices,
            Err(HostError::Denied(_)) => {
                return Ok(vec![Card::new(CARD)
                    .task(TaskState::Info)
                    .notice(Tone::Warning, "Invoices cannot be shown here yet. Contact the business for your invoice.")]);
            }
            Err(error) => return Err(format!("listing invoices failed: {error}")),
        };
        let card = Card::new(CARD);
        if invoices.is_empty() {
            return Ok(vec![card.task(TaskState::NotNeeded).status("Nothing due", Tone::Neutral).text("There is no invoice for this job yet.")]);
        }
        let owing = invoices.iter().filter(|i| i.balance > 0 && matches!(i.status.as_str(), "due" | "failed")).count();
        let in_flight = invoices.iter().any(|i| i.status == "processing");
        let refunded = invoices.iter().any(|i| i.status == "refunded");
        let (chip, tone, task) = match (owing, in_flight) {
            (0, false) if refunded => ("Refunded", Tone::Neutral, TaskState::Info),
            // Nothing collected and nothing due: the business waived it.
            (0, false) if invoices.iter().all(|i| matches!(i.status.as_str(), "waived" | "void")) => ("Waived", Tone::Neutral, TaskState::Done),
            (0, false) => ("Paid", Tone::Success, TaskState::Done),
            (0, true) => ("Processing", Tone::Info, TaskState::Info),
            _ if invoices.iter().any(|i| i.status == "failed") => ("Payment failed", Tone::Danger, TaskState::ToDo),
            _ => ("Due", Tone::Warning, TaskState::ToDo),
        };
        let may_pay = settings.may_pay(ctx.viewer.role);
        let mut card = card.status(chip, tone).task(if may_pay { task } else { TaskState::Info });
        for invoice in &invoices {
            card = invoice_blocks(card, invoice);
            // With one invoice the card's own chip says it all.
            if invoices.len() > 1 {
                let (label, tone) = status_chip(&invoice.status);
                card = card.block(Block::Chip(StatusChip { label: label.into(), tone }));
            }
            if invoice.status == "failed" {
                card = card.notice(Tone::Danger, "The last payment did not go through. Nothing was charged; you can try again.");
            }
            if invoice.pay_blocked.is_none() && may_pay {
                card = card_fee_note(card, &[invoice.id.clone()], "this invoice");
            }
        }
        if !settings.other_ways.trim().is_empty() {
            card = card.text(settings.other_ways.clone());
        }
        // One Pay button per invoice that has a balance; the host says why
        // one cannot be paid now, and the button shows that reason.
        for invoice in invoices.iter().filter(|i| i.balance > 0 || i.pay_blocked.is_none()).take(6) {
            let label = if invoices.len() == 1 { "Pay Now".to_string() } else { format!("Pay invoice {}", invoice.number) };
            let mut action = Action::primary(&format!("{PAY_PREFIX}{}", invoice.id), &label);
            if !may_pay {
                action = action.disabled("Only the client pays this invoice.");
            } else if let Some(reason) = &invoice.pay_blocked {
                action = action.disabled(reason.clone());
            }
            card = card.action(action);
        }
        Ok(vec![card])
    }

    fn handle_action(ctx: &Context, _card: &str, action: &str, input: &Input) -> ActionResult {
        if ctx.surface == Surface::AccountHub {
            let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
            return hub::act(ctx, &settings, action, input);
        }
        let Some(invoice_id) = action.strip_prefix(PAY_PREFIX) else {
            return Err(ActionError::Refused(format!("Unknown action \"{action}\".")));
        };
        let settings: Settings = ctx.settings().map_err(ActionError::Failed)?;
        if !settings.may_pay(ctx.viewer.role) {
            return Err(ActionError::Refused("Only the client pays this invoice.".into()));
        }
        match checkout::start(invoice_id) {
            Ok(path) => Ok(Outcome::redirect(path)),
            // The host's reason is written for the client ("This invoice is paid.").
            Err(HostError::Invalid(reason)) => Err(ActionError::Refused(reason)),
            Err(HostError::NotFound) => Err(ActionError::Refused("That invoice is no longer on this job.".into())),
            Err(HostError::Denied(_)) => Err(ActionError::Refused("Online payment is not switched on for this portal.".into())),
            Err(other) => Err(ActionError::Failed(other.to_string())),
        }
    }
}

export_section!(Payments);
