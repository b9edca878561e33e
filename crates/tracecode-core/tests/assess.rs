//! The online assessment: clones, diversion, recalls, registration.

use time::macros::datetime;
use time::Duration;
use tracecode_core::assess::{
    assess, assess_offline, ClonePolicy, CloneSignal, Flag, RecallNotice, Registration,
    ScanContext, ScanHistory, ScanRecord,
};
use tracecode_core::fields::RegionLevel;
use tracecode_core::vectors::{self, NOW};
use tracecode_core::{verify_text, RegionCode, VerifiedCode};

fn verified() -> VerifiedCode {
    // Signed sales region: 310000 (Shanghai).
    verify_text(&vectors::vectors()[0].text, &vectors::trust_list(), NOW)
        .expect("the genuine vector verifies")
}

fn region(code: &str) -> Option<RegionCode> {
    Some(code.parse().expect("valid region literal"))
}

fn scan(region_code: Option<RegionCode>, device: &str) -> ScanContext {
    ScanContext {
        now: NOW,
        region: region_code,
        device: Some(device.into()),
        registration: Registration::Registered,
        recalls: vec![],
    }
}

fn record(hours_ago: i64, region_code: &str) -> ScanRecord {
    ScanRecord {
        at: NOW - Duration::hours(hours_ago),
        region: region(region_code),
        device: None,
    }
}

#[test]
fn a_first_scan_in_the_sales_region_raises_nothing() {
    let a = assess(
        &verified(),
        &ScanHistory::default(),
        &scan(region("310115"), "d1"),
        &ClonePolicy::default(),
    );
    assert!(a.flags.is_empty(), "{:?}", a.flags);
    assert!(a.is_first_query());
    assert_eq!(a.first_scan.as_ref().unwrap().at, NOW);
    assert_eq!(
        (a.count, a.distinct_devices, a.distinct_regions_in_window),
        (1, 1, 1)
    );
}

#[test]
fn two_provinces_within_48_hours_is_a_suspected_clone() {
    let history = ScanHistory {
        first: Some(record(30, "310104")),
        count: 1,
        distinct_devices: 1,
        device_seen_before: false,
        recent: vec![record(30, "310104")],
        network_region_in_window: false,
    };
    let a = assess(
        &verified(),
        &history,
        &scan(region("440305"), "d2"),
        &ClonePolicy::default(),
    );
    assert!(!a.is_first_query());
    assert_eq!(a.count, 2);
    assert!(a.flags.contains(&Flag::SuspectedClone {
        signals: vec![CloneSignal::DistantRegions {
            regions: vec![region("310000").unwrap(), region("440000").unwrap()]
        }]
    }));
    assert!(a.flags.contains(&Flag::RegionMismatch {
        signed: region("310000").unwrap(),
        scanned: region("440305").unwrap()
    }));
    // The same two scans 49 hours apart are not.
    let old = ScanHistory {
        recent: vec![record(49, "310104")],
        ..history.clone()
    };
    let a = assess(
        &verified(),
        &old,
        &scan(region("310101"), "d2"),
        &ClonePolicy::default(),
    );
    assert!(a.flags.is_empty(), "{:?}", a.flags);
    // Two districts of one province are not distant at province level, but are at prefecture level.
    let near = ScanHistory {
        recent: vec![record(2, "320500")],
        ..history
    };
    let policy = ClonePolicy {
        distance: RegionLevel::Prefecture,
        ..ClonePolicy::default()
    };
    let a = assess(
        &verified(),
        &near,
        &scan(region("320100"), "d2"),
        &ClonePolicy::default(),
    );
    assert!(!a
        .flags
        .iter()
        .any(|f| matches!(f, Flag::SuspectedClone { .. })));
    let a = assess(&verified(), &near, &scan(region("320100"), "d2"), &policy);
    assert!(a
        .flags
        .iter()
        .any(|f| matches!(f, Flag::SuspectedClone { .. })));
}

#[test]
fn a_network_that_gave_a_region_already_adds_no_second_one() {
    // One network claiming Shanghai then Guangdong is one claim, not two places.
    let history = ScanHistory {
        first: Some(record(3, "310104")),
        count: 1,
        distinct_devices: 0,
        device_seen_before: false,
        recent: vec![record(3, "310104")],
        network_region_in_window: true,
    };
    let a = assess(
        &verified(),
        &history,
        &scan(region("440305"), "d2"),
        &ClonePolicy::default(),
    );
    assert_eq!(a.distinct_regions_in_window, 1);
    assert!(!a
        .flags
        .iter()
        .any(|f| matches!(f, Flag::SuspectedClone { .. })));
    // The signed-region check still sees where this scan claims to be.
    assert!(a
        .flags
        .iter()
        .any(|f| matches!(f, Flag::RegionMismatch { .. })));
    // From another network, the same claim counts.
    let other = ScanHistory {
        network_region_in_window: false,
        ..history
    };
    let a = assess(
        &verified(),
        &other,
        &scan(region("440305"), "d2"),
        &ClonePolicy::default(),
    );
    assert_eq!(a.distinct_regions_in_window, 2);
}

#[test]
fn too_many_devices_is_a_suspected_clone_and_repeat_devices_do_not_count() {
    let history = ScanHistory {
        count: 9,
        distinct_devices: 5,
        device_seen_before: false,
        ..Default::default()
    };
    let a = assess(
        &verified(),
        &history,
        &scan(None, "d6"),
        &ClonePolicy::default(),
    );
    assert_eq!(a.distinct_devices, 6);
    assert_eq!(
        a.flags,
        vec![Flag::SuspectedClone {
            signals: vec![CloneSignal::ManyDevices { devices: 6 }]
        }]
    );
    let seen = ScanHistory {
        device_seen_before: true,
        ..history
    };
    let a = assess(
        &verified(),
        &seen,
        &scan(None, "d1"),
        &ClonePolicy::default(),
    );
    assert_eq!(a.distinct_devices, 5);
    assert!(a.flags.is_empty());
}

#[test]
fn recalls_and_unregistered_serials_are_flagged() {
    let notice = RecallNotice {
        lot: Some("L2611A".parse().unwrap()),
        notice: "Return to the shop for a refund.".into(),
        notice_url: None,
        issued_at: datetime!(2026-11-20 09:00 UTC),
    };
    let mut ctx = scan(None, "d1");
    ctx.recalls = vec![notice.clone()];
    ctx.registration = Registration::NotRegistered;
    let a = assess(
        &verified(),
        &ScanHistory::default(),
        &ctx,
        &ClonePolicy::default(),
    );
    assert_eq!(
        a.flags,
        vec![Flag::Recalled { notice }, Flag::NotRegistered]
    );
}

#[test]
fn offline_the_region_check_still_runs() {
    let a = assess_offline(&verified(), region("110105"));
    assert_eq!(
        a.flags,
        vec![
            Flag::RegionMismatch {
                signed: region("310000").unwrap(),
                scanned: region("110105").unwrap()
            },
            Flag::RegistryUnreachable
        ]
    );
    assert_eq!(
        assess_offline(&verified(), region("310000")).flags,
        vec![Flag::RegistryUnreachable]
    );
    // A scan region coarser than, but containing, the signed one is not a mismatch.
    let flags = assess_offline(&verified(), None).flags;
    assert_eq!(flags, vec![Flag::RegistryUnreachable]);
}

#[test]
fn assessments_serialise_for_the_api() {
    let a = assess_offline(&verified(), region("110105"));
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["flags"][0]["flag"], "RegionMismatch");
    assert_eq!(json["flags"][0]["scanned"], "110105");
}

#[test]
fn every_flag_reads_back_from_its_json() {
    let notice = RecallNotice {
        lot: Some("L2611A".parse().unwrap()),
        notice: "Return it to the shop.".into(),
        notice_url: None,
        issued_at: NOW,
    };
    let flags = vec![
        Flag::SuspectedClone {
            signals: vec![
                CloneSignal::DistantRegions {
                    regions: vec!["310000".parse().unwrap(), "440000".parse().unwrap()],
                },
                CloneSignal::ManyDevices { devices: 7 },
            ],
        },
        Flag::RegionMismatch {
            signed: "310000".parse().unwrap(),
            scanned: "440305".parse().unwrap(),
        },
        Flag::Recalled { notice },
        Flag::NotRegistered,
        Flag::RegistryUnreachable,
    ];
    let json = serde_json::to_string(&flags).unwrap();
    assert!(json.starts_with(
        r#"[{"flag":"SuspectedClone","signals":[{"signal":"distant_regions","regions":["310000","440000"]},{"signal":"many_devices","devices":7}]},{"flag":"RegionMismatch","signed":"310000","scanned":"440305"}"#
    ), "{json}");
    assert_eq!(serde_json::from_str::<Vec<Flag>>(&json).unwrap(), flags);
    // Fields may come in any order; a missing one is named.
    assert_eq!(
        serde_json::from_str::<Flag>(
            r#"{"scanned":"440305","signed":"310000","flag":"RegionMismatch"}"#
        )
        .unwrap(),
        flags[1]
    );
    let error = serde_json::from_str::<Flag>(r#"{"flag":"RegionMismatch","signed":"310000"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing field `scanned`"), "{error}");
    let error = serde_json::from_str::<Flag>(r#"{"flag":"Cloned"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown variant `Cloned`"), "{error}");
}
