//! What each persona should get from a route, worked out from the demo data, and the verdict
//! on what it got.

use super::*;

/// What a persona should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Want {
    /// Through: 2xx or 3xx for a GET; for anything else also 400, 409 or 422 (what was sent
    /// may be refused, but only after access was granted).
    Allowed,
    /// Not signed in: a page redirects to /sign-in, the API answers 401.
    SignIn,
    Forbidden,
    /// A 403 whose API problem code is `not-permitted`: the person takes part, but the
    /// procedure gives the action to others at this stage.
    NotPermitted,
    NotFound,
}

/// Whose a path's thing is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A partnership's (a person, an agency, an escalation).
    Partnership(String),
    /// One person's (a notification delivered to them).
    Person(String),
    /// Whoever asks has one (a procedure version, a static file, a fixed value).
    Everyone,
    /// It does not exist.
    Nobody,
}

/// The value put in a path's parameter.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// How the failure messages name it.
    pub(crate) label: String,
    /// The value (empty for a route without a parameter).
    pub(crate) value: String,
    pub(crate) owner: Owner,
}

impl Target {
    pub(crate) fn none() -> Target {
        Target {
            label: "-".to_owned(),
            value: String::new(),
            owner: Owner::Everyone,
        }
    }

    pub(crate) fn new(label: impl Into<String>, value: impl Into<String>, owner: Owner) -> Target {
        Target {
            label: label.into(),
            value: value.into(),
            owner,
        }
    }
}

/// Fills a route's path parameter (a route has at most one, besides a form's name).
pub(crate) fn fill(path: &str, target: &Target) -> String {
    // A form's file (issue 17, item 4): the stage record, which every procedure the matrix
    // runs (Solihull, Dorset) and the other casts (Croydon) have, beside `{id}`.
    let mut out = path
        .replace("{*path}", "parley.css")
        .replace("{file}", "stage-record.pdf")
        .replace("{form}", "stage-record");
    if let (Some(start), Some(end)) = (out.find('{'), out.find('}')) {
        out.replace_range(start..=end, &target.value);
    }
    assert!(
        !out.contains('{'),
        "no substitution for a parameter of {path}: teach matrix::fill about it"
    );
    out.push_str(query(path));
    out
}

/// The query a route needs to answer at all (issue 17: a report's period and table), so that
/// the matrix, the leak sweep and the header checks reach the report itself.
pub(crate) fn query(path: &str) -> &'static str {
    match path {
        "/api/reports" | "/api/reports/pdf" => "?from=2026-11-01&to=2026-11-30",
        "/api/reports/csv" => "?from=2026-11-01&to=2026-11-30&table=open-at-end",
        _ => "",
    }
}

/// Everything the expectations are worked out from: the worlds of the partnerships
/// involved, read afresh from the store.
pub(crate) struct Live {
    worlds: HashMap<String, World>,
}

impl Live {
    pub(crate) async fn read(h: &Harness, partnerships: &[&str]) -> Live {
        let mut worlds = HashMap::new();
        for p in partnerships {
            worlds.insert((*p).to_owned(), h.world(p).await);
        }
        Live { worlds }
    }

    pub(crate) fn escalation(&self, id: &str) -> Option<(&World, &EscalationRow)> {
        self.worlds
            .values()
            .find_map(|w| w.escalations.iter().find(|e| e.id == id).map(|e| (w, e)))
    }

    /// The person as they are now (roles and activity can change).
    pub(crate) fn person(&self, id: &str) -> Option<&PersonRow> {
        self.worlds
            .values()
            .find_map(|w| w.people.iter().find(|p| p.id == id))
    }
}

/// What `person` (`None`: nobody signed in) should get from a route with a target.
pub(crate) fn want(who: Who, person: Option<&PersonRow>, target: &Target, live: &Live) -> Want {
    let Some(person) = person else {
        return match who {
            Anyone => Want::Allowed,
            _ => Want::SignIn,
        };
    };
    let has = |roles: &[&str]| person.roles.iter().any(|r| roles.contains(&r.as_str()));
    match who {
        Anyone | SignedIn => Want::Allowed,
        OwnNotification => match &target.owner {
            Owner::Person(p) if *p == person.id => Want::Allowed,
            _ => Want::NotFound,
        },
        ComplimentsInvited => {
            let invited = live
                .worlds
                .get(&person.partnership_id)
                .is_some_and(|w| w.procedure.compliments.is_some());
            if invited {
                Want::Allowed
            } else {
                Want::NotFound
            }
        }
        Roles(roles) => {
            if has(roles) {
                Want::Allowed
            } else {
                Want::Forbidden
            }
        }
        Scoped(roles) => {
            if !has(roles) {
                Want::Forbidden
            } else {
                match &target.owner {
                    Owner::Everyone => Want::Allowed,
                    Owner::Partnership(p) if *p == person.partnership_id => Want::Allowed,
                    _ => Want::NotFound,
                }
            }
        }
        Escalation(need) => {
            let Some((world, e)) = live.escalation(&target.value) else {
                return Want::NotFound;
            };
            let Some(seen) = world.sees(person, e) else {
                return Want::NotFound;
            };
            match need {
                See => Want::Allowed,
                Child => {
                    if seen.child_details && e.subject == "child" {
                        Want::Allowed
                    } else {
                        Want::NotFound
                    }
                }
                Appoint => {
                    let (all, _) = world.capacities(person, e);
                    let appoints = e.status == "open"
                        && world.procedure.appointments.iter().any(|a| {
                            i64::from(a.stage.get()) <= e.current_stage
                                && a.by.iter().any(|b| all.contains(b))
                        });
                    if appoints {
                        Want::Allowed
                    } else {
                        Want::Forbidden
                    }
                }
                // Issue 14, item 2: proposals and their answers, and a timescale agreed with a
                // person, proposed by others.
                Answer | WithdrawProposal => crate::agreement::want(need, world, person, e),
                Action(StageAction::AgreeTimescale)
                    if crate::agreement::agreed_with(world, e).is_some() =>
                {
                    crate::agreement::want(need, world, person, e)
                }
                // Issue 14, item 5: the lead of the referral step it is at records what came
                // of it and refers it on, whatever the stage's lists say.
                Action(StageAction::ReferOn) if world.referral_lead(person, e).1 => Want::Allowed,
                // Only where the procedure has a form for the partnership (Croydon Appendix A,
                // Sunderland Appendix 1).
                Action(StageAction::SendPartnershipForm)
                    if world.procedure.partnership_form.is_none() =>
                {
                    Want::NotFound
                }
                Action(action) => {
                    let (all, raising) = world.capacities(person, e);
                    let takes_part = !all.is_empty();
                    let mine = if action.raising_side_only() {
                        raising
                    } else {
                        all
                    };
                    let open = e.status == "open" || action == StageAction::Record;
                    let stage = parley_core::procedure::StageNumber::new(e.current_stage).unwrap();
                    let listed = world.procedure.may(stage, action);
                    // Someone who takes part in any capacity is told who may (a raising-side
                    // action included); anyone else who sees it is forbidden.
                    if !takes_part || !open {
                        Want::Forbidden
                    } else if mine.iter().any(|a| listed.contains(a)) {
                        Want::Allowed
                    } else {
                        Want::NotPermitted
                    }
                }
            }
        }
    }
}

/// `None` if the response is what `want` calls for; otherwise what was wrong.
pub(crate) fn verdict(
    want: Want,
    method: &Method,
    path: &str,
    signed_in: bool,
    r: &Resp,
) -> Option<String> {
    let api = path.starts_with("/api/");
    let s = r.status;
    let ok = match want {
        Want::Allowed => {
            let through = s.is_success()
                || s.is_redirection()
                || (*method != Method::GET && matches!(s.as_u16(), 400 | 409 | 422));
            let sent_to_sign_in = signed_in
                && s.is_redirection()
                && r.location()
                    .is_some_and(|l| l.starts_with("/sign-in") && !l.contains("signed-out"));
            through && !sent_to_sign_in
        }
        Want::SignIn => {
            if api {
                s == StatusCode::UNAUTHORIZED
                    && problem_code(r).as_deref() == Some("unauthenticated")
            } else {
                s == StatusCode::SEE_OTHER
                    && r.location().is_some_and(|l| l.starts_with("/sign-in"))
            }
        }
        Want::Forbidden => {
            s == StatusCode::FORBIDDEN && (!api || problem_code(r).as_deref() == Some("forbidden"))
        }
        Want::NotPermitted => {
            s == StatusCode::FORBIDDEN
                && (!api || problem_code(r).as_deref() == Some("not-permitted"))
        }
        Want::NotFound => {
            s == StatusCode::NOT_FOUND && (!api || problem_code(r).as_deref() == Some("not-found"))
        }
    };
    if ok {
        return None;
    }
    let mut got = s.as_u16().to_string();
    if let Some(l) = r.location() {
        let _ = write!(got, " -> {l}");
    }
    if api && !s.is_success() {
        let _ = write!(got, " (code {:?})", problem_code(r));
    }
    let wanted = match want {
        Want::Allowed if *method == Method::GET => "allowed (2xx/3xx)",
        Want::Allowed => "allowed (2xx/3xx, or 400/409/422 for what was sent)",
        Want::SignIn if api => "401 unauthenticated",
        Want::SignIn => "303 to /sign-in",
        Want::Forbidden => "403",
        Want::NotPermitted => "403 not-permitted",
        Want::NotFound => "404",
    };
    Some(format!("expected {wanted}, got {got}"))
}

/// The `code` of an API problem body.
pub(crate) fn problem_code(r: &Resp) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
    v.get("code")?.as_str().map(str::to_owned)
}
