//! Machine reports that reach a bounce mailbox without being about a failed delivery: read
//! receipts, TLS reports, DMARC aggregate reports. Claimed first, as not a bounce, so that no
//! later family reads them as one.

use bounce_model::BounceFacts;

use super::{Family, MessageKind};
use crate::extract::parts::MessageView;

pub(crate) struct MachineReport;

impl Family for MachineReport {
    fn name(&self) -> &'static str {
        "machine-report"
    }

    fn claims(&self, view: &MessageView) -> Option<MessageKind> {
        is_machine_report(view).then_some(MessageKind::Other)
    }

    fn records(&self, _view: &MessageView) -> Vec<BounceFacts> {
        Vec::new()
    }
}

/// Machine reports that reach a bounce mailbox without being about a failed delivery: read
/// receipts (RFC 8098 disposition notifications), TLS reports (RFC 8460) and DMARC aggregate
/// reports (RFC 7489 section 7.2: subject `Report Domain: ... Submitter: ...`).
fn is_machine_report(view: &MessageView) -> bool {
    if view.report_type.as_deref() == Some("disposition-notification") && !view.mdn_rejects() {
        return true;
    }
    if view.report_type.as_deref() == Some("tlsrpt") {
        return true;
    }
    let subject = view.subject.to_ascii_lowercase();
    subject.contains("report domain:") && subject.contains("submitter:")
}
