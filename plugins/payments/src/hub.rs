//! The account hub's cards: every invoice of the client's jobs, paid in one
//! checkout or reported as paid another way, a correction asked for in a
//! conversation with the office; and the client's transactions.

use super::{card_fee_note, method_label, Settings};
use portico_plugin_sdk::billing::status_chip;
use portico_plugin_sdk::account::{AccountBatch, AccountInvoice, AccountPayment};
use portico_plugin_sdk::money::amount;
use portico_plugin_sdk::prelude::*;

pub const BATCHES: &str = "batches";
pub const INVOICES: &str = "invoices";
pub const TRANSACTIONS: &str = "transactions";

const PAY_SELECTED: &str = "pay-selected";
const PAID_ELSEWHERE: &str = "paid-elsewhere";
const CORRECTION: &str = "ask-correction";
/// Action ids are `pay-batch-{batch id}`.
const PAY_BATCH: &str = "pay-batch-";

/// The tick box of one invoice.
fn tick(invoice_id: &str) -> String {
    format!("invoice-{invoice_id}")
}

/// The conversation subject of a correction to an invoice.
fn correction_subject(invoice_id: &str) -> String {
    format!("invoice-{invoice_id}")
}

/// An invoice the client may pay now, here.
fn payable(invoice: &AccountInvoice) -> bool {
    invoice.invoice.pay_blocked.is_none() && invoice.invoice.balance > 0
}

/// An invoice still to pay, by card or otherwise (a business without online
/// payments still takes word of a check).
fn owing(invoice: &AccountInvoice) -> bool {
    invoice.invoice.balance > 0 && matches!(invoice.invoice.status.as_str(), "due" | "failed")
}

pub fn render(_ctx: &Context, settings: &Settings) -> Result<Vec<Card>, String> {
    let invoices = match account::list_invoices() {
        Ok(invoices) => invoices,
        Err(HostError::Denied(_)) => {
            return Ok(vec![Card::new(INVOICES)
                .task(TaskState::Info)
                .notice(Tone::Warning, "Your invoices cannot be shown here yet. Each job's page has its own.")]);
        }
        Err(error) => return Err(format!("listing invoices failed: {error}")),
    };
    let payments = account::list_payments().map_err(|error| format!("listing payments failed: {error}"))?;
    let batches = account::list_batches().map_err(|error| format!("listing batches failed: {error}"))?;
    let mut cards = Vec::new();
    if !batches.is_empty() {
        cards.push(batches_card(&batches, &invoices));
    }
    // Which invoices the business wrote off, to say so beside them.
    let written_off = account::summary().map(|summary| summary.bad_debt_invoices).unwrap_or_default();
    cards.push(invoices_card(&invoices, &written_off, settings));
    cards.push(transactions_card(&payments));
    Ok(cards)
}

/// The batch invoices the office made for the client: each with its
/// invoices, what it comes to, its PDF, and one Pay button for all of it.
fn batches_card(batches: &[AccountBatch], invoices: &[AccountInvoice]) -> Card {
    let owing = batches.iter().any(|b| !b.to_pay.is_empty());
    let mut card = Card::new(BATCHES).task(if owing { TaskState::ToDo } else { TaskState::Done });
    card = if owing { card.status("Due", Tone::Warning) } else { card.status("All paid", Tone::Success) };
    for batch in batches {
        let numbers: Vec<String> = batch
            .invoice_ids
            .iter()
            .filter_map(|id| invoices.iter().find(|i| &i.invoice.id == id))
            .map(|i| format!("{} (job {})", i.invoice.number, i.job_reference))
            .collect();
        card = card
            .heading(format!("Batch {}: {}", batch.number, batch.title))
            .fields([("Invoices", numbers.join(", "))])
            .moment("Issued", batch.created_at)
            .money("Total", batch.total)
            .money("Payments applied", batch.paid)
            .money("Balance due", batch.balance)
            .link(format!("Batch {} (PDF)", batch.number), batch.pdf_url.clone());
        if batch.to_pay.is_empty() {
            continue;
        }
        // The host says why a member cannot be paid now (a payment in flight).
        let blocked = batch
            .to_pay
            .iter()
            .filter_map(|id| invoices.iter().find(|i| &i.invoice.id == id))
            .find_map(|i| i.invoice.pay_blocked.clone().map(|reason| format!("Invoice {}: {reason}", i.invoice.number)));
        let mut pay = Action::primary(&format!("{PAY_BATCH}{}", batch.id), &format!("Pay batch {} by card", batch.number));
        match blocked {
            Some(reason) => pay = pay.disabled(reason),
            None => card = card_fee_note(card, &batch.to_pay, &format!("batch {}", batch.number)),
        }
        card = card.action(pay);
    }
    card
}

fn invoices_card(invoices: &[AccountInvoice], written_off: &[String], settings: &Settings) -> Card {
    let card = Card::new(INVOICES);
    if invoices.is_empty() {
        return card.task(TaskState::NotNeeded).status("Nothing due", Tone::Neutral).text("You have no invoices with us yet.");
    }
    let still_owed: Vec<&AccountInvoice> = invoices.iter().filter(|i| owing(i)).collect();
    let due: i64 = still_owed.iter().map(|i| i.invoice.balance).sum();
    let (chip, tone, task) = if still_owed.is_empty() { ("All paid", Tone::Success, TaskState::Done) } else { ("Due", Tone::Warning, TaskState::ToDo) };
    let rows = invoices
        .iter()
        .map(|i| {
            vec![
                i.invoice.number.clone(),
                i.job_reference.clone(),
                amount(i.invoice.subtotal + i.invoice.fees),
                amount(i.invoice.tax),
                amount(i.invoice.total),
                amount(i.invoice.balance.max(0)),
                if written_off.contains(&i.invoice.id) { "Written off".to_string() } else { status_chip(&i.invoice.status).0.to_string() },
            ]
        })
        .collect();
    let mut card = card
        .status(chip, tone)
        .task(task)
        .table(["Invoice", "Job", "Subtotal", "Tax", "Total", "Balance", "Status"], rows)
        .money("Due across your jobs", due);
    for invoice in invoices {
        card = card.link(format!("Invoice {} (PDF)", invoice.invoice.number), invoice.invoice.pdf_url.clone());
    }
    if still_owed.is_empty() {
        return correction_inputs(card, invoices);
    }
    for invoice in &still_owed {
        let label = format!("Invoice {} for job {}: {} due", invoice.invoice.number, invoice.job_reference, amount(invoice.invoice.balance));
        card = card.input(FormField::new(&tick(&invoice.invoice.id), &label, InputKind::Checkbox).value("on"));
    }
    let payable_ids: Vec<String> = still_owed.iter().filter(|i| payable(i)).map(|i| i.invoice.id.clone()).collect();
    let mut pay = Action::primary(PAY_SELECTED, "Pay the ticked invoices by card");
    if payable_ids.is_empty() {
        let reason = still_owed.iter().find_map(|i| i.invoice.pay_blocked.clone()).unwrap_or_else(|| "Nothing here can be paid online now.".into());
        pay = pay.disabled(reason);
    } else {
        card = card.text("Tick the invoices to pay; they are paid together, in one payment.");
        card = card_fee_note(card, &payable_ids, "everything due");
    }
    if !settings.other_ways.trim().is_empty() {
        card = card.text(settings.other_ways.clone());
    }
    // No way is chosen for the client: a forgotten choice is asked again.
    let ways = std::iter::once(Choice { value: String::new(), label: "Choose…".into() })
        .chain(checkout::OTHER_WAYS.iter().map(|(value, label)| Choice { value: value.to_string(), label: label.to_string() }))
        .collect();
    card = card
        .action(pay)
        .heading("Paid another way?")
        .text("Tell us how, and the office confirms it once the money arrives. Until then it shows as awaiting approval.")
        .input(FormField::new("method", "How you paid", InputKind::Select(ways)))
        .input(FormField::new("reference", "Check number or transfer reference (optional)", InputKind::Text))
        .action(Action::secondary(PAID_ELSEWHERE, "Tell the office I paid the ticked invoices"));
    correction_inputs(card, invoices)
}

/// "Request a correction": which invoice, and what is wrong with it.
fn correction_inputs(card: Card, invoices: &[AccountInvoice]) -> Card {
    let choices = invoices
        .iter()
        .map(|i| Choice { value: i.invoice.id.clone(), label: format!("Invoice {} (job {})", i.invoice.number, i.job_reference) })
        .collect();
    card.heading("Something wrong with an invoice?")
        .input(FormField::new("correct_invoice", "Which invoice", InputKind::Select(choices)))
        .input(FormField::new("correction", "What needs correcting", InputKind::LongText))
        .action(Action::secondary(CORRECTION, "Ask the office for a correction"))
}

/// A transaction's status as clients read it.
fn transaction_status(payment: &AccountPayment) -> &'static str {
    match payment.status.as_str() {
        "succeeded" if payment.refunded > 0 => "Completed, partly refunded",
        "succeeded" => "Completed",
        "processing" => "Pending",
        "pending" => "Awaiting approval",
        "failed" => "Failed",
        "rejected" => "Not accepted",
        "refunded" => "Refunded",
        _ => "Pending",
    }
}

/// "invoice 2031", "invoices 2031 and 2032".
fn numbers(payment: &AccountPayment) -> String {
    let numbers: Vec<&str> = payment.invoices.iter().map(|i| i.number.as_str()).collect();
    match numbers.as_slice() {
        [one] => format!("invoice {one}"),
        [rest @ .., last] => format!("invoices {} and {last}", rest.join(", ")),
        [] => "an invoice".into(),
    }
}

fn transactions_card(payments: &[AccountPayment]) -> Card {
    let card = Card::new(TRANSACTIONS).task(TaskState::Info);
    if payments.is_empty() {
        return card.text("No payments yet.");
    }
    let awaiting = payments.iter().filter(|p| p.status == "pending").count();
    let mut card = if awaiting > 0 { card.status("Awaiting approval", Tone::Info) } else { card };
    for payment in payments {
        let mut label = format!("{} payment for {}: {}", method_label(&payment.method), numbers(payment), transaction_status(payment));
        if let Some(reference) = &payment.reference {
            label.push_str(&format!(" (reference {reference})"));
        }
        card = card.money(label, payment.amount).moment("On", payment.at);
        if payment.card_fee > 0 {
            card = card.money("Card fee included", payment.card_fee);
        }
        if payment.refunded > 0 {
            card = card.money("Refunded", payment.refunded);
        }
        if let Some(receipt) = &payment.receipt_url {
            card = card.link(format!("Receipt for the payment of {}", numbers(payment)), receipt.clone());
        }
    }
    card
}

pub fn act(_ctx: &Context, _settings: &Settings, action: &str, input: &Input) -> ActionResult {
    if let Some(batch_id) = action.strip_prefix(PAY_BATCH) {
        let batches = account::list_batches().map_err(|error| ActionError::Failed(error.to_string()))?;
        let Some(batch) = batches.iter().find(|b| b.id == batch_id) else {
            return Err(ActionError::Refused("That batch is no longer yours to pay here.".into()));
        };
        if batch.to_pay.is_empty() {
            return Err(ActionError::Refused(format!("Batch {} is paid.", batch.number)));
        }
        return checkout::start_many(&batch.to_pay).map(Outcome::redirect).map_err(refused);
    }
    let invoices = account::list_invoices().map_err(|error| ActionError::Failed(error.to_string()))?;
    match action {
        PAY_SELECTED => {
            let ticked = ticked(&invoices, input)?;
            checkout::start_many(&ticked).map(Outcome::redirect).map_err(refused)
        }
        PAID_ELSEWHERE => {
            let ticked = ticked(&invoices, input)?;
            let method = input.text("method").filter(|m| checkout::OTHER_WAYS.iter().any(|(value, _)| value == m));
            let Some(method) = method else {
                return Err(ActionError::invalid_field("method", "Choose how you paid."));
            };
            let reference = input.text("reference").unwrap_or_default();
            if reference.chars().count() > 120 {
                return Err(ActionError::invalid_field("reference", "Keep the reference to 120 characters."));
            }
            checkout::report_paid(&ticked, method, reference).map_err(refused)?;
            Ok(Outcome::success("Thank you. The office confirms your payment once it arrives; until then it shows as awaiting approval."))
        }
        CORRECTION => {
            let chosen = input.text("correct_invoice").and_then(|id| invoices.iter().find(|i| i.invoice.id == id));
            let Some(invoice) = chosen else {
                return Err(ActionError::invalid_field("correct_invoice", "Choose the invoice to correct."));
            };
            let Some(what) = input.text("correction") else {
                return Err(ActionError::invalid_field("correction", "Say what needs correcting."));
            };
            let title = format!("Correction to invoice {}", invoice.invoice.number);
            let thread = conversations::write(&correction_subject(&invoice.invoice.id), &title, what, &[], None).map_err(|error| match error {
                HostError::Invalid(reason) => ActionError::invalid_field("correction", reason),
                other => refused(other),
            })?;
            Ok(Outcome::redirect(thread.url))
        }
        other => Err(ActionError::Refused(format!("Unknown action \"{other}\"."))),
    }
}

/// The invoices the client ticked, of those listed to them.
fn ticked(invoices: &[AccountInvoice], input: &Input) -> Result<Vec<String>, ActionError> {
    let mut ticked: Vec<&AccountInvoice> = invoices.iter().filter(|i| input.checked(&tick(&i.invoice.id))).collect();
    // Paid, and named on the receipt, in the order of their numbers.
    ticked.sort_by(|a, b| (a.invoice.number.len(), &a.invoice.number).cmp(&(b.invoice.number.len(), &b.invoice.number)));
    let ticked: Vec<String> = ticked.into_iter().map(|i| i.invoice.id.clone()).collect();
    if ticked.is_empty() {
        return Err(ActionError::invalid("Tick at least one invoice."));
    }
    Ok(ticked)
}

/// The host's refusal, in the client's words. Shown as a problem with the
/// form, so the ticks and what was typed stay.
fn refused(error: HostError) -> ActionError {
    match error {
        HostError::Invalid(reason) => ActionError::invalid(reason),
        HostError::NotFound => ActionError::Refused("That invoice is no longer yours to pay here.".into()),
        HostError::Denied(_) => ActionError::Refused("This is not switched on for your portal.".into()),
        other => ActionError::Failed(other.to_string()),
    }
}
