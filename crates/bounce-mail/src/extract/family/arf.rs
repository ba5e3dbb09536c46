//! Complaints in the Abuse Reporting Format (RFC 5965): a `message/feedback-report` part, or
//! a `multipart/report` of that report type. The records builder also reads the complaints
//! the prose complaint family claims.

use std::collections::BTreeMap;

use bounce_model::{BounceFacts, Kind};

use super::{Family, MessageKind};
use crate::extract::dsn::{self, Group};
use crate::extract::original;
use crate::extract::parts::MessageView;
use crate::extract::prose;

pub(crate) struct Arf;

impl Family for Arf {
    fn name(&self) -> &'static str {
        "arf"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        (!view.feedback_texts.is_empty() || view.report_type.as_deref() == Some("feedback-report"))
            .then_some(MessageKind::Complaint)
    }

    fn records(&self, view: &MessageView) -> Vec<BounceFacts> {
        records(view)
    }
}

/// The complainants of a feedback report (`Original-Rcpt-To`, `Removal-Recipient`), else the
/// returned original's To, else the first address of the text; one record each.
pub(super) fn records(view: &MessageView) -> Vec<BounceFacts> {
    let groups: Vec<Group> =
        view.feedback_texts.iter().flat_map(|t| view.parse_groups(t)).collect();
    let field = |name: &str| groups.iter().find_map(|g| g.get(name)).map(str::to_string);
    if groups.is_empty() && super::unsubscribe::is_request(view) {
        return super::unsubscribe::records(view);
    }
    let feedback_type = field("Feedback-Type").map(|t| t.to_ascii_lowercase());
    let mut recipients: Vec<String> = groups
        .iter()
        .flat_map(|g| g.fields.iter())
        .filter(|f| {
            f.name.eq_ignore_ascii_case("Original-Rcpt-To")
                || f.name.eq_ignore_ascii_case("Removal-Recipient")
        })
        .filter_map(|f| original::extract_addr_spec(&f.value))
        .collect();
    if recipients.is_empty() {
        if let Some(to) = view.original_to.clone() {
            recipients.push(to);
        } else if let Some((head, _)) = &view.original_headers {
            let headers = view.original_header_block(head);
            if let Some(to) = headers.iter().find(|h| h.name.eq_ignore_ascii_case("To")) {
                recipients.extend(original::extract_addr_spec(&to.value));
            }
        }
    }
    if recipients.is_empty() {
        recipients.extend(prose::complaint_recipients(view));
    }
    original::dedup_addresses(&mut recipients);
    if recipients.is_empty() {
        // A complaint whose recipient was redacted is still a complaint against the sender:
        // one record with an empty recipient keeps it counted.
        recipients.push(String::new());
    }
    let arrival = field("Arrival-Date").or_else(|| field("Received-Date"));
    let reporting = field("Reporting-MTA").map(|v| dsn::split_type(&v).1);
    // The report's own verdict, for rules (`vendor_field "feedback-type"`): an auth-failure or
    // not-spam report is not a recipient's complaint.
    let vendor: BTreeMap<String, String> =
        feedback_type.iter().map(|t| ("feedback-type".to_string(), t.clone())).collect();
    recipients
        .into_iter()
        .map(|recipient| BounceFacts {
            recipient,
            kind: Some(Kind::Complaint),
            feedback_type: feedback_type.clone(),
            vendor_fields: vendor.clone(),
            diagnostic: Some(prose::first_paragraph(&view.prose)),
            arrival_date: arrival.clone(),
            reporting_mta: reporting.clone(),
            format: "arf".to_string(),
            ..BounceFacts::default()
        })
        .collect()
}
