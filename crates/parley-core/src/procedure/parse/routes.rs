//! Routes, outcomes, referrals onward and redirections to other procedures: the `[[route]]`,
//! `[outcomes]`, `[[referral]]` and `[[redirection]]` tables of a procedure file, checked.

// The parent's raw types, helpers and imports: these methods are `Checker`'s, split by
// area from `parse.rs`.
use super::*;

impl Checker {
    pub(super) fn routes(&mut self, raw: Vec<S<RawRoute>>, stages: &BTreeSet<i64>) -> Vec<Route> {
        let mut routes: Vec<Route> = Vec::new();
        let mut last_span = None;
        let mut refused = false;
        for r in raw {
            let span = r.span();
            last_span = Some(span.clone());
            let r = r.into_inner();
            let kind: Option<RouteKind> = self.name(&r.kind);
            let entry = self.stage_ref(&r.entry_stage, stages, "route entry_stage");
            let description = self.optional_text(r.description, "route description");
            let raised_by = self.raised_by(r.raised_by);
            let (Some(kind), Some(entry_stage), Some(raised_by)) = (kind, entry, raised_by) else {
                refused = true;
                continue;
            };
            if routes.iter().any(|x| x.kind == kind) {
                self.error(
                    r.kind.span(),
                    format!("route \"{kind}\" is defined twice"),
                    None,
                );
                continue;
            }
            if kind == RouteKind::Individual && entry_stage != StageNumber::FIRST {
                self.error(
                    r.entry_stage.span(),
                    "the individual route must enter at stage 1",
                    None,
                );
                continue;
            }
            routes.push(Route {
                kind,
                entry_stage,
                description,
                raised_by,
            });
        }
        if !refused && !routes.iter().any(|r| r.kind == RouteKind::Individual) {
            self.diagnostics.push(Diagnostic {
                span: last_span,
                message: "the procedure has no individual route".to_owned(),
                help: Some("add [[route]] kind = \"individual\", entry_stage = 1".to_owned()),
            });
        }
        routes
    }

    pub(super) fn outcomes(&mut self, raw: S<RawOutcomes>) -> Option<Outcomes> {
        let o = raw.into_inner();
        let span = o.allowed.span();
        let mut allowed = Vec::new();
        for a in o.allowed.into_inner() {
            if let Some(r) = self.name::<Resolution>(&a) {
                if allowed.contains(&r) {
                    self.error(a.span(), format!("outcome \"{r}\" is listed twice"), None);
                } else {
                    allowed.push(r);
                }
            }
        }
        if allowed.is_empty() {
            self.error(
                span,
                "outcomes.allowed lists no outcome",
                Some(format!(
                    "known outcomes: {}",
                    Resolution::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return None;
        }
        Some(Outcomes {
            allowed,
            see_through_when_resolved_by_events: o.see_through_when_resolved_by_events,
        })
    }

    pub(super) fn referrals(
        &mut self,
        raw: Vec<S<RawReferral>>,
        stages: &BTreeSet<i64>,
    ) -> Vec<Referral> {
        let last = stages
            .iter()
            .next_back()
            .copied()
            .and_then(StageNumber::new);
        let mut out: Vec<Referral> = Vec::new();
        // Each referral's `then`, checked once every id is known.
        let mut follows: Vec<(usize, Vec<S<String>>)> = Vec::new();
        for r in raw {
            let r = r.into_inner();
            let id_span = r.id.span();
            let id = r.id.into_inner();
            if !is_slug(&id) {
                self.error(
                    id_span,
                    format!("referral id \"{id}\" is not a valid id"),
                    None,
                );
                continue;
            }
            if out.iter().any(|x| x.id == id) {
                self.error(id_span, format!("referral id \"{id}\" is used twice"), None);
                continue;
            }
            let label = self.text(r.label, "referral label");
            let from_stage = match &r.from_stage {
                Some(s) => self.stage_ref(s, stages, "referral from_stage"),
                None => last,
            };
            let text = self.text(r.text, "referral text");
            let lead = match &r.lead {
                Some(l) => self.name::<ReferralLead>(l).map(Some),
                None => Some(None),
            };
            let timescale = match &r.timescale {
                Some(t) => self
                    .working_days(&t.get_ref().working_days, "referral timescale")
                    .map(Some),
                None => Some(None),
            };
            if let (Some(label), Some(from_stage), Some(text), Some(lead), Some(timescale)) =
                (label, from_stage, text, lead, timescale)
            {
                follows.push((out.len(), r.then));
                out.push(Referral {
                    id,
                    label,
                    from_stage,
                    text,
                    lead,
                    timescale,
                    then: Vec::new(),
                });
            }
        }
        for (i, then) in follows {
            let mut ids: Vec<String> = Vec::new();
            for t in then {
                let given = t.get_ref();
                if !out.iter().any(|r| &r.id == given) {
                    self.error(
                        t.span(),
                        format!("referral then names \"{given}\", which is not a referral"),
                        Some(format!(
                            "referrals: {}",
                            out.iter()
                                .map(|r| r.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                } else if *given == out[i].id {
                    self.error(t.span(), "a referral cannot follow itself", None);
                } else if ids.contains(given) {
                    self.error(
                        t.span(),
                        format!("referral then names \"{given}\" twice"),
                        None,
                    );
                } else {
                    ids.push(given.clone());
                }
            }
            out[i].then = ids;
        }
        out
    }

    pub(super) fn redirections(&mut self, raw: Vec<S<RawRedirection>>) -> Vec<Redirection> {
        let mut out: Vec<Redirection> = Vec::new();
        for r in raw {
            let r = r.into_inner();
            let Some(kind) = self.name::<RedirectionKind>(&r.kind) else {
                continue;
            };
            if kind == RedirectionKind::ImmediateRisk {
                self.error(
                    r.kind.span(),
                    "immediate risk is not a redirection here",
                    Some("write its text in [screening] immediate_risk".to_owned()),
                );
                continue;
            }
            if out.iter().any(|x| x.kind == kind) {
                self.error(
                    r.kind.span(),
                    format!("redirection \"{kind}\" is defined twice"),
                    None,
                );
                continue;
            }
            if let Some(text) = self.text(r.text, "redirection text") {
                out.push(Redirection { kind, text });
            }
        }
        out
    }
}
