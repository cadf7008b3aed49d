//! The `[partnership_form]` table: the form an escalation sends to the partnership (Croydon
//! Appendix A, Sunderland Appendix 1), from which stage, and which field asks for a meeting
//! the partnership leads.

use std::collections::BTreeSet;

use super::{Checker, RawForm};
use crate::procedure::{Form, StageNumber};

impl Checker {
    pub(super) fn partnership_form(&mut self, f: RawForm, stages: &BTreeSet<i64>) -> Form {
        let title = self
            .text(f.title, "partnership_form.title")
            .unwrap_or_default();
        let guidance = self.optional_text(f.guidance, "partnership_form.guidance");
        let fields = self.fields(f.fields, "partnership form field");
        let from_stage = f
            .from_stage
            .as_ref()
            .and_then(|s| self.stage_ref(s, stages, "partnership_form.from_stage"))
            .unwrap_or(StageNumber::FIRST);
        let meeting_request = f.meeting_request.and_then(|m| {
            let span = m.span();
            let id = m.into_inner();
            if fields.iter().any(|x| x.id == id) {
                Some(id)
            } else {
                let known: Vec<&str> = fields.iter().map(|x| x.id.as_str()).collect();
                self.error(
                    span,
                    format!("partnership_form.meeting_request names \"{id}\", which is not one of the form's fields"),
                    Some(format!("the form's fields: {}", known.join(", "))),
                );
                None
            }
        });
        Form {
            title,
            guidance,
            fields,
            from_stage,
            meeting_request,
        }
    }
}
