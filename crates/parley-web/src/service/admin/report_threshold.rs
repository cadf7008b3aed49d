//! The partnership's threshold for published reports (issue 17, item 3: "counts between 1 and
//! the partnership's threshold (default 5)" are shown as "fewer than 5" in the PDF and CSV
//! for publication). An administrator sets it, a whole number from 2 to 20; it is recorded as
//! an event on the partnership's stream, like its other settings.

use parley_report::suppress::Threshold;
use serde::{Deserialize, Serialize};

use super::*;

/// The threshold in force, and what it may be.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportThreshold {
    /// Counts from 1 to one less than this are "fewer than" it in published reports.
    pub threshold: u32,
    /// The threshold of a partnership that has not set one.
    pub default: u32,
    pub min: u32,
    pub max: u32,
}

/// A new threshold. A whole number: anything else is refused naming the field.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportThresholdFields {
    /// From 2 to 20.
    pub threshold: i64,
}

fn view(t: Threshold) -> ReportThreshold {
    ReportThreshold {
        threshold: t.get(),
        default: Threshold::DEFAULT.get(),
        min: Threshold::MIN,
        max: Threshold::MAX,
    }
}

/// The message for a threshold out of range, or not a whole number.
pub fn threshold_message() -> String {
    format!(
        "Enter a whole number from {} to {}, like {}",
        Threshold::MIN,
        Threshold::MAX,
        Threshold::DEFAULT.get()
    )
}

/// A threshold from a form's text: a whole number from 2 to 20 (the message says what is
/// wrong otherwise).
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "Enter the threshold, {}",
            threshold_message().to_lowercase()
        ));
    }
    text.parse::<i64>()
        .map_err(|_| threshold_message())
        .and_then(check)
}

fn check(n: i64) -> Result<Threshold, String> {
    u32::try_from(n)
        .ok()
        .and_then(|n| Threshold::new(n).ok())
        .ok_or_else(threshold_message)
}

pub async fn report_threshold(
    state: &AppState,
    user: &CurrentUser,
) -> Result<ReportThreshold, AppError> {
    admin(user)?;
    Ok(view(
        state
            .records
            .report_threshold(user.partnership_id())
            .await?,
    ))
}

/// Sets the threshold (a new event only when it changes); a refused one is the field
/// `threshold`'s problem.
pub async fn set_report_threshold(
    state: &AppState,
    user: &CurrentUser,
    threshold: Result<Threshold, String>,
) -> Result<ReportThreshold, AppError> {
    admin(user)?;
    let threshold = threshold.or_else(|m| invalid("threshold", m))?;
    let pid = user.partnership_id();
    if state.records.report_threshold(pid).await? != threshold {
        state
            .records
            .set_report_threshold(state.now(), &actor(user), pid, threshold)
            .await?;
        tracing::info!(partnership = %pid, threshold = threshold.get(), by = %user.id(), "report threshold set");
    }
    Ok(view(threshold))
}

/// The API's body, checked.
pub fn threshold_of(f: &ReportThresholdFields) -> Result<Threshold, String> {
    check(f.threshold)
}

#[cfg(test)]
mod tests {
    use super::parse_threshold;

    #[test]
    fn a_whole_number_from_2_to_20() {
        for good in ["2", " 5 ", "20"] {
            assert!(parse_threshold(good).is_ok(), "{good}");
        }
        for bad in ["", "1", "21", "-3", "5.5", "five", "99999999999999999999"] {
            let message = parse_threshold(bad).unwrap_err();
            assert!(message.contains("from 2 to 20"), "{bad}: {message}");
        }
    }
}
