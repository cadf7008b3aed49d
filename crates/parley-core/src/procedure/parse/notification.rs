//! The `[[notification]]` tables: who is told, on what, from which stage, for which children
//! and categories; for a reminder (`on = "deadline-approaching"`), how many working days
//! before a deadline (`before`, issue 15).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{Checker, S};
use crate::calendar::WorkingDays;
use crate::names::{ChildStatus, Recipient, Trigger};
use crate::procedure::{NotificationRule, StageNumber};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotification {
    to: S<String>,
    on: S<String>,
    /// Working days before a deadline, for a reminder.
    before: Option<S<i64>>,
    from_stage: Option<S<i64>>,
    #[serde(default)]
    child_status: Vec<S<String>>,
    #[serde(default)]
    categories: Vec<S<String>>,
    child_details: S<bool>,
    address: Option<S<String>>,
    text: Option<S<String>>,
}

impl Checker {
    pub(super) fn notification(
        &mut self,
        raw: S<RawNotification>,
        stages: &BTreeSet<i64>,
        categories: &BTreeSet<String>,
    ) -> Option<NotificationRule> {
        let n = raw.into_inner();
        let to: Option<Recipient> = self.name(&n.to);
        let on: Option<Trigger> = self.name(&n.on);
        let before = self.before(on, &n.on, n.before.as_ref());
        let from_stage = match &n.from_stage {
            Some(s) => self.stage_ref(s, stages, "notification from_stage"),
            None => Some(StageNumber::FIRST),
        };
        let mut child_status = Vec::new();
        for s in &n.child_status {
            if let Some(status) = self.name::<ChildStatus>(s) {
                child_status.push(status);
            }
        }
        let mut cats = Vec::new();
        for c in n.categories {
            if categories.contains(c.get_ref()) {
                cats.push(c.into_inner());
            } else {
                self.error(
                    c.span(),
                    format!(
                        "notification names category \"{}\", which is not defined",
                        c.get_ref()
                    ),
                    Some(format!(
                        "defined categories: {}",
                        categories.iter().cloned().collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
        let child_details = *n.child_details.get_ref();
        if child_details && to == Some(Recipient::PartnershipBusinessTeam) {
            self.error(
                n.child_details.span(),
                "notifications to the partnership business team never carry a child's details",
                Some("set child_details = false (Croydon Appendix A: no details of any child or family)".to_owned()),
            );
        }
        let address = self.optional_text(n.address, "notification address");
        let text = self.optional_text(n.text, "notification text");
        Some(NotificationRule {
            to: to?,
            on: on?,
            before: before?,
            from_stage: from_stage?,
            child_status,
            categories: cats,
            child_details,
            address,
            text,
        })
    }

    /// `before`: required with `on = "deadline-approaching"` (how far ahead the reminder
    /// goes), refused with any other trigger (it would say nothing). `Some(None)` for a rule
    /// that is not a reminder; `None` when there is a mistake (reported).
    fn before(
        &mut self,
        on: Option<Trigger>,
        on_raw: &S<String>,
        before: Option<&S<i64>>,
    ) -> Option<Option<WorkingDays>> {
        match (on, before) {
            (Some(Trigger::DeadlineApproaching), Some(b)) => {
                self.working_days(b, "notification before").map(Some)
            }
            (Some(Trigger::DeadlineApproaching), None) => {
                self.error(
                    on_raw.span(),
                    "a deadline-approaching notification needs `before`: how many working days before the deadline it is sent",
                    Some("add before = 1 for a reminder one working day before".to_owned()),
                );
                None
            }
            (Some(other), Some(b)) => {
                self.error(
                    b.span(),
                    format!(
                        "`before` is only for on = \"deadline-approaching\"; this notification is sent {}",
                        other.label()
                    ),
                    Some("remove `before`, or set on = \"deadline-approaching\" for a reminder".to_owned()),
                );
                None
            }
            // An unknown trigger is already reported; a rule without `before` is no reminder.
            (None, _) => None,
            (Some(_), None) => Some(None),
        }
    }
}
