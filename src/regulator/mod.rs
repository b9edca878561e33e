//! Regulator mode: spot checks with no network at all. Every scan is verified on the device and
//! kept in IndexedDB (`queue`) before anything else happens; the queue reports checks to the
//! registry whenever it can be reached, and a day's checks export as CSV. Nothing here is lost
//! by a reload, a failed sync or a closed tab.

pub mod panel;
pub mod queue;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use tracecode_core::{
    verdict_of, verify_text, RegionCode, Rejection, TrustList, Verdict, VerifiedCode,
};

use crate::distributor::unit_label;

/// Where a check stands with the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", try_from = "SyncFields")]
pub enum SyncState {
    /// Not yet reported; retried until it is.
    Pending,
    /// Recorded by the registry: its count and flags at the time.
    Sent { count: u64, flags: Vec<String> },
    /// Refused on its merits (a code that is not genuine): never retried.
    Refused { reason: String },
}

/// [`SyncState`] as stored: its tag and every variant's fields, read without serde's
/// buffering of tagged enums (see `tracecode_core::tagged`).
#[derive(Deserialize)]
struct SyncFields {
    state: SyncKind,
    count: Option<u64>,
    flags: Option<Vec<String>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SyncKind {
    Pending,
    Sent,
    Refused,
}

impl TryFrom<SyncFields> for SyncState {
    type Error = String;

    fn try_from(fields: SyncFields) -> Result<Self, String> {
        use tracecode_core::tagged::required;
        Ok(match fields.state {
            SyncKind::Pending => Self::Pending,
            SyncKind::Sent => Self::Sent {
                count: required(fields.count, "count")?,
                flags: required(fields.flags, "flags")?,
            },
            SyncKind::Refused => Self::Refused {
                reason: required(fields.reason, "reason")?,
            },
        })
    }
}

/// One spot check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheck {
    /// IndexedDB's key, once stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The code's text as read.
    pub code: String,
    pub verdict: Verdict,
    /// `GTIN · serial` of a readable code, else the start of the text.
    pub unit: String,
    pub lot: Option<String>,
    /// The sales region the code carries (genuine codes only).
    pub signed_region: Option<RegionCode>,
    /// Where the check happened (the inspector's region), if set.
    pub region: Option<RegionCode>,
    /// The unit's best-before date, when the device knew the product (its kept master data).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "tracecode_wire::master::iso_date"
    )]
    pub best_before: Option<Date>,
    pub sync: SyncState,
}

impl SpotCheck {
    /// Verifies a scanned text. Only genuine codes are worth reporting to the registry, which
    /// refuses the rest; those are settled at once.
    pub fn new(
        text: &str,
        trust: &TrustList,
        region: Option<RegionCode>,
        now: OffsetDateTime,
    ) -> Self {
        let text = text.trim();
        Self::of(text, &verify_text(text, trust, now), region, now)
    }

    /// A check of `text` (trimmed) whose verification gave `outcome`: for callers that need
    /// the outcome themselves, so that it is verified once.
    pub fn of(
        text: &str,
        outcome: &Result<VerifiedCode, Rejection>,
        region: Option<RegionCode>,
        now: OffsetDateTime,
    ) -> Self {
        let verdict = verdict_of(outcome);
        let unit = unit_label(outcome, text);
        let (lot, signed_region) = match outcome {
            Ok(verified) => {
                let data = &verified.code().data;
                (
                    data.lot.as_ref().map(ToString::to_string),
                    Some(data.region),
                )
            }
            Err(_) => (None, None),
        };
        let sync = match verdict {
            Verdict::Genuine => SyncState::Pending,
            other => SyncState::Refused {
                reason: format!("{}: not reported", other.as_str()),
            },
        };
        Self {
            id: None,
            at: now,
            code: text.to_owned(),
            verdict,
            unit,
            lot,
            signed_region,
            region,
            best_before: None,
            sync,
        }
    }

    /// The same check with the unit's best-before date, as the device knows it.
    pub fn with_best_before(self, best_before: Option<Date>) -> Self {
        Self {
            best_before,
            ..self
        }
    }

    /// Whether the unit was past its best-before date on the (local) day of the check.
    pub fn expired(&self, offset: time::UtcOffset) -> Option<bool> {
        Some(self.at.to_offset(offset).date() > self.best_before?)
    }

    /// Whether the signed region differs from where the check happened.
    pub fn region_mismatch(&self) -> Option<bool> {
        Some(self.signed_region?.is_disjoint(self.region?))
    }
}

/// The day's checks as CSV (UTF-8 with a byte-order mark, which spreadsheet programs need to
/// read Chinese text), oldest first. `offset` is the device's time zone: a day is a local day.
pub fn day_csv(checks: &[SpotCheck], day: Date, offset: time::UtcOffset) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "time",
        "verdict",
        "unit",
        "lot",
        "signed_region",
        "check_region",
        "region_mismatch",
        "sync",
        "registry_count",
        "flags",
        "code",
        "best_before",
        "expired",
    ];
    // Writing to memory cannot fail.
    let _ = writer.write_record(header);
    let mut day_checks: Vec<&SpotCheck> = checks
        .iter()
        .filter(|c| c.at.to_offset(offset).date() == day)
        .collect();
    day_checks.sort_by_key(|c| c.at);
    for check in day_checks {
        let (sync, count, flags) = match &check.sync {
            SyncState::Pending => ("pending", String::new(), String::new()),
            SyncState::Sent { count, flags } => ("sent", count.to_string(), flags.join(" ")),
            SyncState::Refused { reason } => ("refused", String::new(), reason.clone()),
        };
        let time = check
            .at
            .to_offset(offset)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let region = |r: Option<RegionCode>| r.map(|r| r.to_string()).unwrap_or_default();
        let mismatch = match check.region_mismatch() {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let _ = writer.write_record([
            time.as_str(),
            check.verdict.as_str(),
            &check.unit,
            check.lot.as_deref().unwrap_or(""),
            &region(check.signed_region),
            &region(check.region),
            mismatch,
            sync,
            &count,
            &flags,
            &check.code,
            &check
                .best_before
                .map(tracecode_wire::master::iso_date::format)
                .unwrap_or_default(),
            match check.expired(offset) {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        ]);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};
    use tracecode_core::vectors;

    #[test]
    fn genuine_checks_wait_for_the_registry_and_others_are_settled() {
        let (trust, text, now) = vectors::genuine_example();
        let check = SpotCheck::new(&text, &trust, Some("440300".parse().unwrap()), now);
        assert_eq!(check.verdict, Verdict::Genuine);
        assert_eq!(check.sync, SyncState::Pending);
        assert_eq!(check.region_mismatch(), Some(true));
        let other = SpotCheck::new("not a code", &trust, None, now);
        assert_eq!(other.verdict, Verdict::NotOurCode);
        assert!(matches!(other.sync, SyncState::Refused { .. }));
        assert_eq!(other.region_mismatch(), None);
    }

    #[test]
    fn checks_survive_storage_as_json() {
        let (trust, text, now) = vectors::genuine_example();
        let mut check = SpotCheck::new(&text, &trust, None, now);
        check.id = Some(7);
        check.sync = SyncState::Sent {
            count: 3,
            flags: vec!["SuspectedClone".into()],
        };
        let json = serde_json::to_string(&check).unwrap();
        assert_eq!(serde_json::from_str::<SpotCheck>(&json).unwrap(), check);
    }

    #[test]
    fn sync_states_keep_their_stored_form() {
        let states = [
            (SyncState::Pending, r#"{"state":"pending"}"#),
            (
                SyncState::Sent {
                    count: 3,
                    flags: vec!["SuspectedClone".into()],
                },
                r#"{"state":"sent","count":3,"flags":["SuspectedClone"]}"#,
            ),
            (
                SyncState::Refused {
                    reason: "not genuine".into(),
                },
                r#"{"state":"refused","reason":"not genuine"}"#,
            ),
        ];
        for (state, json) in states {
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
            assert_eq!(serde_json::from_str::<SyncState>(json).unwrap(), state);
        }
        let error = serde_json::from_str::<SyncState>(r#"{"state":"sent","count":3}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing field `flags`"), "{error}");
    }

    #[test]
    fn a_day_exports_in_local_time_with_quoting() {
        let (trust, text, _) = vectors::genuine_example();
        let early = SpotCheck::new(&text, &trust, None, datetime!(2026-11-21 17:00 UTC))
            .with_best_before(Some(date!(2026 - 11 - 21)));
        let late = SpotCheck::new(
            "a, \"quoted\" text",
            &trust,
            None,
            datetime!(2026-11-22 15:59 UTC),
        );
        let next_day = SpotCheck::new(&text, &trust, None, datetime!(2026-11-22 16:00 UTC));
        // In Beijing time the first two are on 22 November, the third on the 23rd.
        let csv = day_csv(&[next_day, late, early], date!(2026 - 11 - 22), offset!(+8));
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("\u{feff}time,verdict,unit,"));
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(
            lines[1].starts_with("2026-11-22T01:00:00+08:00,Genuine,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",pending,"));
        assert!(lines[2].starts_with("2026-11-22T23:59:00+08:00,NotOurCode,"));
        assert!(
            lines[2].ends_with(",\"a, \"\"quoted\"\" text\",,"),
            "{}",
            lines[2]
        );
        // The best-before date the device knew, and whether the unit was past it that day.
        assert!(lines[1].ends_with(",2026-11-21,yes"), "{}", lines[1]);
    }
}
