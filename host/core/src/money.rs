//! The rules of money, without I/O: how a payment's status may move, what an
//! invoice's status and balance are given its payments, and when a checkout
//! may be started.
//!
//! Provider news arrives late, twice and out of order. Instead of trusting the
//! order, every status has a rank and a payment only ever moves up: a refund
//! that arrives before the "checkout completed" event stays a refund, and an
//! "expired" event that arrives after the payment succeeded changes nothing.
//! Amounts merge the same way (captured: first known value; refunded: the
//! largest cumulative value seen), so applying the same news in any order gives
//! the same result.


crate::named_enum! {
    /// Where an invoice stands. `Due`, `Failed` and `Draft` are still to pay
    /// (and may change); the others are settled one way or another.
    pub enum InvoiceStatus("invoice status") {
        Draft => "draft",
        Due => "due",
        Processing => "processing",
        Paid => "paid",
        Refunded => "refunded",
        Failed => "failed",
        Waived => "waived",
        Void => "void",
    }
}

impl InvoiceStatus {
    /// Still to pay: a client may pay it, staff may change its lines, an
    /// add-on may go on it.
    pub fn to_pay(self) -> bool {
        matches!(self, InvoiceStatus::Due | InvoiceStatus::Failed | InvoiceStatus::Draft)
    }
}

crate::named_enum! {
    /// Who takes a business's card payments online: nobody (clients pay the
    /// business directly), the labelled practice checkout, or Stripe.
    pub enum PaymentProvider("payment provider") {
        None => "none",
        Test => "test",
        Stripe => "stripe",
    }
}

crate::named_enum! {
    /// Where one payment stands.
    pub enum PaymentStatus("payment status") {
        /// A card checkout was prepared; the client has not finished it.
        Open => "open",
        /// A manual payment recorded by staff, awaiting approval.
        Pending => "pending",
        /// The client finished the checkout; the money has not settled yet.
        Processing => "processing",
        /// The checkout was abandoned or replaced; nothing was charged.
        Expired => "expired",
        /// The payment was declined or failed to settle.
        Failed => "failed",
        /// Staff rejected a recorded manual payment.
        Rejected => "rejected",
        /// The money arrived.
        Succeeded => "succeeded",
        /// The whole payment was refunded.
        Refunded => "refunded",
    }
}

impl PaymentStatus {
    pub fn parse(text: &str) -> Option<PaymentStatus> {
        text.parse().ok()
    }

    /// A status replaces another only when its rank is higher. Money that
    /// moved outranks a checkout that was given up (a payment that succeeds
    /// after its checkout was replaced is still recorded), and a refund
    /// outranks everything.
    pub fn rank(self) -> i64 {
        match self {
            PaymentStatus::Open | PaymentStatus::Pending => 0,
            PaymentStatus::Processing => 1,
            PaymentStatus::Expired | PaymentStatus::Failed | PaymentStatus::Rejected => 2,
            PaymentStatus::Succeeded => 3,
            PaymentStatus::Refunded => 4,
        }
    }

    /// Money was received (and perhaps partly or wholly given back).
    pub fn received(self) -> bool {
        matches!(self, PaymentStatus::Succeeded | PaymentStatus::Refunded)
    }

    /// Shown to clients in the payment history; open checkouts are not.
    pub fn listed(self) -> bool {
        !matches!(self, PaymentStatus::Open | PaymentStatus::Expired)
    }
}

crate::named_enum! {
    /// How money reached the business.
    pub enum PaymentMethod("payment method") {
        Card => "card",
        Ach => "ach",
        Cash => "cash",
        Check => "check",
        BankTransfer => "bank-transfer",
        Zelle => "zelle",
    }
}

impl PaymentMethod {
    /// As people read it ("Bank transfer").
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Card => "Card",
            PaymentMethod::Ach => "ACH bank transfer",
            PaymentMethod::Cash => "Cash",
            PaymentMethod::Check => "Check",
            PaymentMethod::BankTransfer => "Bank transfer",
            PaymentMethod::Zelle => "Zelle",
        }
    }

    /// The ways a client may say they paid outside the portal (and staff
    /// may record): everything but a card, which goes through checkout.
    pub const OUTSIDE: [PaymentMethod; 5] =
        [PaymentMethod::Ach, PaymentMethod::Cash, PaymentMethod::Check, PaymentMethod::BankTransfer, PaymentMethod::Zelle];
}

/// A business's card fee: basis points of the amount (290 is 2.9 %) plus a
/// fixed amount, both in the business's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardFee {
    pub basis_points: i64,
    pub fixed_minor: i64,
}

impl CardFee {
    /// At most 10 % and 100.00 fixed: a fee beyond is a typo, not a policy.
    pub const MAX_BASIS_POINTS: i64 = 1_000;
    pub const MAX_FIXED_MINOR: i64 = 10_000;

    /// Whether the business charges one at all.
    pub fn charged(self) -> bool {
        self.basis_points > 0 || self.fixed_minor > 0
    }

    /// The fee on paying `amount` by card, rounded half up to the minor
    /// unit; nothing on nothing.
    pub fn on(self, amount: i64) -> i64 {
        if amount <= 0 || !self.charged() {
            return 0;
        }
        let percent = (i128::from(amount) * i128::from(self.basis_points) + 5_000) / 10_000;
        i64::try_from(percent).unwrap_or(i64::MAX).saturating_add(self.fixed_minor)
    }
}

/// The part of a payment's `total` (what it captured, or what was refunded)
/// that falls to one invoice it pays: money fills the invoices in their
/// order, `before` being what the earlier ones take, up to the invoice's
/// own `part`. Captured money pays the invoices first and the card fee
/// last; a refund gives the fee back first (see `refund_share`).
pub fn share_of(total: i64, before: i64, part: i64) -> i64 {
    total.saturating_sub(before).clamp(0, part.max(0))
}

/// The part of a payment's refund that falls to one invoice it pays: the
/// card fee is given back first, so refunding only the fee never reopens
/// an invoice (and never asks for it, and a new fee, again); then the
/// invoices in their order.
pub fn refund_share(refunded: i64, fee: i64, before: i64, part: i64) -> i64 {
    share_of(refunded.saturating_sub(fee.max(0)), before, part)
}

/// What an invoice's status and paid amount are worked out from.
#[derive(Debug, Clone, Copy)]
pub struct PaymentFacts {
    pub status: PaymentStatus,
    pub captured: i64,
    pub refunded: i64,
    /// When it last changed, to find the latest attempt.
    pub updated_at: i64,
}

/// An invoice's status and what has been paid on it, net of refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceState {
    pub status: InvoiceStatus,
    pub paid: i64,
}

/// The status of a live invoice (not a draft or void one) whose lines and tax
/// add up to `total`, given all its payments.
pub fn invoice_state(total: i64, payments: &[PaymentFacts]) -> InvoiceState {
    let paid: i64 = payments
        .iter()
        .filter(|p| p.status.received())
        .map(|p| (p.captured - p.refunded).max(0))
        .sum();
    let ever_refunded = payments.iter().any(|p| p.status.received() && p.refunded > 0);
    let in_flight = payments.iter().any(|p| matches!(p.status, PaymentStatus::Processing | PaymentStatus::Pending));
    // The latest attempt that came to an end decides between "failed" and "due".
    let latest_attempt = payments
        .iter()
        .filter(|p| matches!(p.status, PaymentStatus::Failed | PaymentStatus::Succeeded | PaymentStatus::Refunded))
        .max_by_key(|p| p.updated_at);
    let status = if total > 0 && paid >= total {
        InvoiceStatus::Paid
    } else if in_flight {
        InvoiceStatus::Processing
    } else if ever_refunded && paid == 0 {
        InvoiceStatus::Refunded
    } else if latest_attempt.is_some_and(|p| p.status == PaymentStatus::Failed) {
        InvoiceStatus::Failed
    } else if total <= 0 {
        // Discounted to nothing with nothing collected: waived (by an owner,
        // see `invoices::add_invoice_line`), never "paid".
        InvoiceStatus::Waived
    } else {
        InvoiceStatus::Due
    };
    InvoiceState { status, paid }
}

/// Why a checkout cannot be started for an invoice now, in the client's words;
/// `None` when it can. `provider_ready` is false when the business takes no
/// card payments online.
pub fn checkout_blocked(status: InvoiceStatus, balance: i64, provider_ready: bool) -> Option<String> {
    let reason = match status {
        InvoiceStatus::Paid => "This invoice is paid.",
        InvoiceStatus::Waived => "Nothing is due on this invoice: it was waived.",
        InvoiceStatus::Void => "This invoice was cancelled.",
        InvoiceStatus::Refunded => "This invoice was refunded.",
        InvoiceStatus::Draft => "This invoice is not ready yet.",
        InvoiceStatus::Processing => "A payment is being processed. This page will update when it clears.",
        _ if balance <= 0 => "Nothing is due on this invoice.",
        _ if !provider_ready => "Online payment is not available for this business. See the invoice for other ways to pay.",
        _ => return None,
    };
    Some(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(status: PaymentStatus, captured: i64, refunded: i64, updated_at: i64) -> PaymentFacts {
        PaymentFacts { status, captured, refunded, updated_at }
    }

    #[test]
    fn statuses_only_move_up() {
        use PaymentStatus::*;
        assert!(Succeeded.rank() > Expired.rank(), "money that moved beats a given-up checkout");
        assert!(Refunded.rank() > Succeeded.rank());
        assert!(Processing.rank() > Open.rank());
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn invoice_follows_its_payments() {
        use PaymentStatus::*;
        assert_eq!(invoice_state(500, &[]), InvoiceState { status: InvoiceStatus::Due, paid: 0 });
        assert_eq!(invoice_state(500, &[fact(Open, 0, 0, 1)]).status, InvoiceStatus::Due);
        assert_eq!(invoice_state(500, &[fact(Processing, 0, 0, 1)]).status, InvoiceStatus::Processing);
        assert_eq!(invoice_state(500, &[fact(Pending, 0, 0, 1)]).status, InvoiceStatus::Processing);
        assert_eq!(invoice_state(500, &[fact(Succeeded, 500, 0, 1)]), InvoiceState { status: InvoiceStatus::Paid, paid: 500 });
        assert_eq!(invoice_state(500, &[fact(Succeeded, 200, 0, 1)]), InvoiceState { status: InvoiceStatus::Due, paid: 200 });
        assert_eq!(invoice_state(500, &[fact(Refunded, 500, 500, 2)]), InvoiceState { status: InvoiceStatus::Refunded, paid: 0 });
        assert_eq!(invoice_state(500, &[fact(Succeeded, 500, 100, 2)]), InvoiceState { status: InvoiceStatus::Due, paid: 400 });
        assert_eq!(invoice_state(500, &[fact(Failed, 0, 0, 1)]).status, InvoiceStatus::Failed);
        assert_eq!(invoice_state(500, &[fact(Failed, 0, 0, 1), fact(Open, 0, 0, 2)]).status, InvoiceStatus::Failed);
        assert_eq!(invoice_state(500, &[fact(Failed, 0, 0, 1), fact(Succeeded, 500, 0, 2)]).status, InvoiceStatus::Paid);
        assert_eq!(invoice_state(500, &[fact(Rejected, 0, 0, 1)]).status, InvoiceStatus::Due);
    }

    #[test]
    fn card_fee_is_a_rate_and_a_fixed_amount_rounded_half_up() {
        let fee = CardFee { basis_points: 290, fixed_minor: 30 };
        assert_eq!(fee.on(10_000), 320, "2.9 % of 100.00 and 0.30");
        assert_eq!(fee.on(1_750), 81, "50.75 rounds to 51, plus 30");
        assert_eq!(fee.on(0), 0, "nothing on nothing");
        assert_eq!(CardFee::default().on(10_000), 0);
        assert_eq!(CardFee { basis_points: 0, fixed_minor: 99 }.on(1), 99);
        assert_eq!(CardFee { basis_points: 1_000, fixed_minor: 0 }.on(i64::MAX), 922_337_203_685_477_581, "worked out wide: no overflow");
    }

    #[test]
    fn a_payment_fills_its_invoices_in_order_and_refunds_the_fee_last() {
        // 100 + 50 + 25 and a fee of 10: 185 captured.
        let parts = [(0, 100), (100, 50), (150, 25)];
        let captured: Vec<i64> = parts.iter().map(|&(before, part)| share_of(185, before, part)).collect();
        assert_eq!(captured, [100, 50, 25]);
        let refunded: Vec<i64> = parts.iter().map(|&(before, part)| refund_share(130, 10, before, part)).collect();
        assert_eq!(refunded, [100, 20, 0], "a partial refund gives the fee back, then the invoices in order");
        let fee_only: Vec<i64> = parts.iter().map(|&(before, part)| refund_share(10, 10, before, part)).collect();
        assert_eq!(fee_only, [0, 0, 0], "refunding the card fee reopens no invoice");
        let all: Vec<i64> = parts.iter().map(|&(before, part)| share_of(185, before, part)).collect();
        assert_eq!(all.iter().sum::<i64>(), 175, "the fee is nobody's invoice");
        assert_eq!(share_of(0, 0, 100), 0);
    }

    #[test]
    fn checkout_is_refused_with_a_reason() {
        assert_eq!(checkout_blocked(InvoiceStatus::Due, 500, true), None);
        assert_eq!(checkout_blocked(InvoiceStatus::Failed, 500, true), None, "a declined card may be tried again");
        assert!(checkout_blocked(InvoiceStatus::Paid, 0, true).unwrap().contains("paid"));
        assert!(checkout_blocked(InvoiceStatus::Processing, 500, true).unwrap().contains("being processed"));
        assert!(checkout_blocked(InvoiceStatus::Due, 500, false).unwrap().contains("not available"));
        assert!(checkout_blocked(InvoiceStatus::Due, 0, true).unwrap().contains("Nothing is due"));
    }
}
