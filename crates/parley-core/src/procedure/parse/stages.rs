//! Stages, their timescales and record fields, and the overall cap: the `[[stage]]` tables
//! and `[overall]` of a procedure file, checked.

// The parent's raw types, helpers and imports: these methods are `Checker`'s, split by
// area from `parse.rs`.
use super::*;

impl Checker {
    pub(super) fn stages(
        &mut self,
        raw: Vec<S<RawStage>>,
        record_fields: &[S<RawField>],
        appointed: &[Appointment],
    ) -> Option<Vec<Stage>> {
        let field_ids: Vec<&str> = record_fields
            .iter()
            .map(|f| f.get_ref().id.get_ref().as_str())
            .collect();
        if raw.is_empty() {
            self.diagnostics.push(Diagnostic {
                span: None,
                message: "the procedure has no stages".to_owned(),
                help: Some("add at least one [[stage]] table".to_owned()),
            });
            return None;
        }
        let mut stages = Vec::new();
        let mut ok = true;
        let mut last_cumulative: Option<(u32, i64)> = None;
        for (i, s) in raw.into_iter().enumerate() {
            let s = s.into_inner();
            let expected = i as i64 + 1;
            let number = *s.number.get_ref();
            if number != expected {
                let message = if number > expected {
                    format!(
                        "stage {number} follows stage {}: stage {expected} is missing",
                        expected - 1
                    )
                } else {
                    format!("stage {number} is out of order: stage {expected} was expected here")
                };
                self.error(
                    s.number.span(),
                    if expected == 1 && number != 1 {
                        format!("the first stage is numbered {number}; stages are numbered from 1")
                    } else {
                        message
                    },
                    Some("number stages 1, 2, 3 ... in order, without gaps".to_owned()),
                );
                ok = false;
            }
            let title = self.text(s.title, "stage title");
            let guidance = self.text(s.guidance, "stage guidance");
            let lead_title = self.optional_text(s.lead_title, "stage lead_title");
            let timescale_text = self.optional_text(s.timescale_text, "stage timescale_text");
            let leads_span = s.leads.span();
            let mut leads = Vec::new();
            for lead in s.leads.into_inner() {
                if let Some(role) = self.name::<super::Role>(&lead) {
                    leads.push(role);
                }
            }
            if leads.is_empty() {
                self.error(
                    leads_span,
                    format!("stage {number} has no lead"),
                    Some(format!(
                        "name at least one role; known roles: {}",
                        Role::ALL
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
            }
            let timescale = self.timescale(s.timescale, number, &mut last_cumulative);
            let agreed_with = self.agreed_with(s.agreed_with, timescale, number);
            let meeting = match s.meeting {
                None => Some(None),
                Some(m) => {
                    let m = m.into_inner();
                    let title = self.text(m.title, "stage meeting title");
                    let within = match &m.within_working_days {
                        Some(n) => self
                            .working_days(n, "stage meeting within_working_days")
                            .map(Some),
                        None => Some(None),
                    };
                    match (title, within) {
                        (Some(title), Some(within)) => Some(Some(MeetingSpec { title, within })),
                        _ => None,
                    }
                }
            };
            let provides_meeting = s.professionals_meeting || matches!(meeting, Some(Some(_)));
            let may = self.may(s.may, number, appointed, provides_meeting);
            let mut record = Vec::new();
            for field in s.record {
                if field_ids.contains(&field.get_ref().as_str()) {
                    record.push(field.into_inner());
                } else {
                    self.error(
                        field.span(),
                        format!(
                            "stage {number} keeps record field \"{}\", which is not defined",
                            field.get_ref()
                        ),
                        Some(if field_ids.is_empty() {
                            "define it in a [[record_field]] table".to_owned()
                        } else {
                            format!("defined record fields: {}", field_ids.join(", "))
                        }),
                    );
                }
            }
            match (
                title,
                guidance,
                timescale,
                StageNumber::new(number),
                meeting,
                agreed_with,
            ) {
                (
                    Some(title),
                    Some(guidance),
                    Some(timescale),
                    Some(number),
                    Some(meeting),
                    Some(agreed_with),
                ) => {
                    stages.push(Stage {
                        number,
                        title,
                        leads,
                        lead_title,
                        guidance,
                        timescale,
                        timescale_text,
                        agreed_with,
                        record,
                        professionals_meeting: s.professionals_meeting,
                        meeting,
                        may: may.unwrap_or_else(May::defaults),
                    });
                }
                _ => ok = false,
            }
        }
        ok.then_some(stages)
    }

    pub(super) fn timescale(
        &mut self,
        raw: S<RawTimescale>,
        stage: i64,
        last_cumulative: &mut Option<(u32, i64)>,
    ) -> Option<Timescale> {
        let span = raw.span();
        let t = raw.into_inner();
        let help = "write { working_days = N, from = \"stage-start\" }, { working_days = N, from = \"day-one\" } \
                    or { agreed = true, max_working_days = N }"
            .to_owned();
        match (t.working_days, t.from, t.agreed, t.max_working_days) {
            (Some(n), Some(from), None, None) => {
                let anchor: Option<Anchor> = self.name(&from);
                let n_span = n.span();
                let days = self.working_days(&n, &format!("stage {stage} timescale"));
                let (anchor, days) = (anchor?, days?);
                if anchor == Anchor::DayOne {
                    if let Some((previous, previous_stage)) = *last_cumulative
                        && days.get() <= previous
                    {
                        self.error(
                            n_span,
                            format!(
                                "stage {stage} is due by day {days} from Day One, \
                                     not after stage {previous_stage} (day {previous})"
                            ),
                            Some(
                                "cumulative timescales must increase from stage to stage"
                                    .to_owned(),
                            ),
                        );
                    }
                    *last_cumulative = Some((days.get(), stage));
                }
                Some(Timescale::Fixed {
                    working_days: days,
                    from: anchor,
                })
            }
            (None, None, Some(agreed), Some(max)) => {
                if !*agreed.get_ref() {
                    self.error(
                        agreed.span(),
                        "agreed = false does not describe a timescale",
                        Some(help),
                    );
                    return None;
                }
                let days = self.working_days(&max, &format!("stage {stage} maximum timescale"))?;
                Some(Timescale::Agreed { max: days })
            }
            (Some(n), None, None, None) => {
                self.error(
                    n.span(),
                    format!("stage {stage} timescale does not say what it counts from"),
                    Some(format!(
                        "add from = \"stage-start\" or from = \"day-one\"; known anchors: {}",
                        Anchor::ALL
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                None
            }
            _ => {
                self.error(
                    span,
                    format!("stage {stage} timescale is not one of the allowed forms"),
                    Some(help),
                );
                None
            }
        }
    }

    pub(super) fn fields(&mut self, raw: Vec<S<RawField>>, what: &str) -> Vec<Field> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for f in raw {
            let f = f.into_inner();
            let id_span = f.id.span();
            let id = f.id.into_inner();
            if !is_slug(&id) {
                self.error(
                    id_span.clone(),
                    format!("{what} id \"{id}\" is not a valid id"),
                    Some(
                        "use lowercase letters, digits and hyphens, starting with a letter"
                            .to_owned(),
                    ),
                );
                continue;
            }
            if !seen.insert(id.clone()) {
                self.error(id_span, format!("{what} id \"{id}\" is used twice"), None);
                continue;
            }
            let label = self.text(f.label, &format!("{what} label"));
            let hint = self.optional_text(f.hint, &format!("{what} hint"));
            // Only a stage record keeps learning (issue 14, item 8).
            let learning = match f.learning {
                Some(l) if what != "record field" => {
                    self.error(
                        l.span(),
                        format!("a {what} cannot be marked as learning"),
                        Some("`learning = true` belongs on a [[record_field]]".to_owned()),
                    );
                    false
                }
                Some(l) => *l.get_ref(),
                None => false,
            };
            if let Some(label) = label {
                out.push(Field {
                    id,
                    label,
                    hint,
                    learning,
                });
            }
        }
        out
    }

    pub(super) fn overall(&mut self, raw: S<RawOverall>) -> Option<OverallCap> {
        let span = raw.span();
        let o = raw.into_inner();
        let text = self.optional_text(o.text, "overall.text");
        let limit = match (o.working_days, o.months) {
            (Some(n), None) => match WorkingDays::new(*n.get_ref()) {
                Ok(w) => CapLimit::WorkingDays(w),
                Err(e) => {
                    self.error(n.span(), format!("overall.working_days: {e}"), None);
                    return None;
                }
            },
            (None, Some(m)) => {
                let v = *m.get_ref();
                if !(1..=24).contains(&v) {
                    self.error(
                        m.span(),
                        format!("overall.months must be from 1 to 24, not {v}"),
                        None,
                    );
                    return None;
                }
                CapLimit::Months(v as u8)
            }
            _ => {
                self.error(
                    span,
                    "[overall] needs exactly one of working_days or months",
                    Some("e.g. working_days = 15, or months = 1".to_owned()),
                );
                return None;
            }
        };
        Some(OverallCap { limit, text })
    }
}
