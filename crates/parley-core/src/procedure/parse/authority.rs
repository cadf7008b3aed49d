//! Who may do what: a route's `raised_by`, each stage's `[stage.may]` table, and the
//! `[[appointment]]` tables naming who the business team appoints to an escalation.

// The parent's raw types, helpers and imports: these methods are `Checker`'s, split by
// area from `parse.rs`.
use super::*;

impl Checker {
    /// A list of names from a closed vocabulary: each known, none twice, at least one.
    pub(super) fn name_list<T: FromStr<Err = UnknownName> + PartialEq + fmt::Display>(
        &mut self,
        raw: S<Vec<S<String>>>,
        what: &str,
        known: &[&str],
    ) -> Option<Vec<(T, Range<usize>)>> {
        let span = raw.span();
        let mut out: Vec<(T, Range<usize>)> = Vec::new();
        let mut ok = true;
        for v in raw.into_inner() {
            match self.name::<T>(&v) {
                Some(x) if out.iter().any(|(y, _)| *y == x) => {
                    self.error(v.span(), format!("{what} lists \"{x}\" twice"), None);
                    ok = false;
                }
                Some(x) => out.push((x, v.span())),
                None => ok = false,
            }
        }
        if ok && out.is_empty() {
            self.error(
                span,
                format!("{what} names nobody"),
                Some(format!("name at least one of: {}", known.join(", "))),
            );
            return None;
        }
        ok.then_some(out)
    }

    /// A route's `raised_by`; Parley default: every raising role.
    pub(super) fn raised_by(&mut self, raw: Option<S<Vec<S<String>>>>) -> Option<Vec<RaiserRole>> {
        let Some(raw) = raw else {
            return Some(RaiserRole::ALL.to_vec());
        };
        let known: Vec<&str> = RaiserRole::ALL.iter().map(|r| r.as_str()).collect();
        let list = self.name_list::<RaiserRole>(raw, "route raised_by", &known)?;
        Some(list.into_iter().map(|(r, _)| r).collect())
    }

    /// A stage's `[stage.may]` table: the actions it names, each with who may take it; the
    /// actions it leaves out take Parley's default ([`May::default_for`]).
    pub(super) fn may(
        &mut self,
        raw: Option<S<RawMay>>,
        stage: i64,
        appointments: &[Appointment],
        provides_meeting: bool,
    ) -> Option<May> {
        let Some(raw) = raw else {
            return Some(May::defaults());
        };
        let mut may = May::defaults();
        let mut ok = true;
        let known: Vec<&str> = Actor::ALL.iter().map(|a| a.as_str()).collect();
        for (action, list) in raw.into_inner() {
            let action_span = action.span();
            let Some(action) = self.name::<StageAction>(&action) else {
                ok = false;
                continue;
            };
            // A list for a meeting the stage does not hold would offer nobody anything.
            if action == StageAction::ConveneMeeting && !provides_meeting {
                self.error(
                    action_span,
                    format!("stage {stage} says who may convene-meeting, but holds no meeting"),
                    Some(
                        "give the stage `professionals_meeting = true` or a `meeting`, or leave convene-meeting out"
                            .to_owned(),
                    ),
                );
                ok = false;
            }
            let what = format!("stage {stage} may.{action}");
            let Some(actors) = self.name_list::<Actor>(list, &what, &known) else {
                ok = false;
                continue;
            };
            for (actor, span) in &actors {
                if action.raising_side_only()
                    && matches!(actor, Actor::Receiver | Actor::PartnershipBusinessTeam)
                {
                    self.error(
                        span.clone(),
                        format!("stage {stage}: {action} is the raising side's; \"{actor}\" cannot take it"),
                        Some("name raiser, stage-leads, managers or an appointed role".to_owned()),
                    );
                    ok = false;
                }
                if actor.is_appointed() {
                    let appointed_by_now = appointments
                        .iter()
                        .any(|a| a.role == *actor && i64::from(a.stage.get()) <= stage);
                    if !appointed_by_now {
                        self.error(
                            span.clone(),
                            format!(
                                "stage {stage} names \"{actor}\", but no [[appointment]] appoints one by stage {stage}"
                            ),
                            Some(format!(
                                "add [[appointment]] role = \"{actor}\" with a stage of {stage} or earlier"
                            )),
                        );
                        ok = false;
                    }
                }
            }
            may.0
                .insert(action, actors.into_iter().map(|(a, _)| a).collect());
        }
        ok.then_some(may)
    }

    pub(super) fn appointments(
        &mut self,
        raw: Vec<S<RawAppointment>>,
        stages: &BTreeSet<i64>,
    ) -> Vec<Appointment> {
        let mut out: Vec<Appointment> = Vec::new();
        let known: Vec<&str> = Actor::ALL.iter().map(|a| a.as_str()).collect();
        for a in raw {
            let a = a.into_inner();
            let role_span = a.role.span();
            let role = match self.name::<Actor>(&a.role) {
                Some(r) if !r.is_appointed() => {
                    self.error(
                        role_span.clone(),
                        format!("\"{r}\" is not a role people are appointed to an escalation in"),
                        Some(format!(
                            "appointed roles: {}",
                            Actor::appointed()
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    None
                }
                r => r,
            };
            let stage = self.stage_ref(&a.stage, stages, "appointment stage");
            let by_span = a.by.span();
            let by = self.name_list::<Actor>(a.by, "appointment by", &known);
            if let (Some(role), Some(by)) = (role, &by)
                && by.iter().any(|(x, _)| *x == role)
            {
                self.error(
                    by_span,
                    format!("\"{role}\" cannot appoint themselves"),
                    Some("name who appoints them, e.g. partnership-business-team".to_owned()),
                );
                continue;
            }
            let text = self.optional_text(a.text, "appointment text");
            let (Some(role), Some(stage), Some(by)) = (role, stage, by) else {
                continue;
            };
            if out.iter().any(|x| x.role == role) {
                self.error(
                    role_span,
                    format!("the appointment of \"{role}\" is defined twice"),
                    None,
                );
                continue;
            }
            out.push(Appointment {
                role,
                stage,
                by: by.into_iter().map(|(x, _)| x).collect(),
                child_details: *a.child_details.get_ref(),
                text,
            });
        }
        out
    }
}
