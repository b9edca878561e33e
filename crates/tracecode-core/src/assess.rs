//! The online assessment: what a unit's scan history, registration and recalls add to an
//! offline verdict. Pure: the registry (or a test) supplies the history and the clock.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::fields::{Lot, RegionCode, RegionLevel};
use crate::verify::VerifiedCode;

/// One earlier scan of the unit. No personal data: a coarse region and an anonymous device
/// token at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRecord {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Where, if the scanner consented to say.
    pub region: Option<RegionCode>,
    /// An anonymous per-device token, if the scanner sent one.
    pub device: Option<String>,
}

/// What the registry knows of the unit's scans before this one.
///
/// Claims are cheap to forge (a region, a device nonce), so a registry gives only credible
/// ones here: see docs/API.md, "Scan signals". The registry gives one region per client
/// network, and counts a device only when it also comes from a network new to the unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanHistory {
    /// The first scan ever recorded.
    pub first: Option<ScanRecord>,
    /// How many scans were recorded.
    pub count: u64,
    /// How many distinct devices sent them (credible ones: see above).
    pub distinct_devices: u64,
    /// Whether the current scan adds no device to that count.
    pub device_seen_before: bool,
    /// The scans inside the clone window before now that count towards distant regions (one
    /// per client network); older ones given here are ignored.
    pub recent: Vec<ScanRecord>,
    /// Whether the current scan's network already gave a region inside the window: its new
    /// claim then adds no region.
    pub network_region_in_window: bool,
}

/// Whether the registry knows the serial was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// The issuer registered this serial.
    Registered,
    /// The issuer registers its serials and this one is not among them: a forged code signed
    /// with a stolen key looks like this.
    NotRegistered,
    /// The issuer does not register serials with this registry.
    Unknown,
}

/// A recall that covers the unit (its lot, or a raw-material lot upstream of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallNotice {
    /// The recalled lot, if the recall is of a lot.
    pub lot: Option<Lot>,
    /// What people should do, in the brand's words.
    pub notice: String,
    /// The published recall notice, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_url: Option<String>,
    /// When the recall was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// The scan being assessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanContext {
    /// The time of the scan.
    pub now: OffsetDateTime,
    /// Where it happens, if known.
    pub region: Option<RegionCode>,
    /// The scanning device's anonymous token, if sent.
    pub device: Option<String>,
    /// Whether the serial was issued.
    pub registration: Registration,
    /// Recalls covering the unit.
    pub recalls: Vec<RecallNotice>,
}

/// Thresholds for clone detection, set per brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClonePolicy {
    /// How far back scans count towards "distant regions".
    pub window: Duration,
    /// How coarse a region counts as "distant": different provinces, or prefectures.
    pub distance: RegionLevel,
    /// Flag when scans in the window come from at least this many distant regions.
    pub max_regions_in_window: u32,
    /// Flag when more than this many distinct devices have scanned the unit.
    pub max_devices: u64,
}

impl Default for ClonePolicy {
    /// DESIGN §4: two provinces within 48 hours, or more than five devices.
    fn default() -> Self {
        Self {
            window: Duration::hours(48),
            distance: RegionLevel::Province,
            max_regions_in_window: 2,
            max_devices: 5,
        }
    }
}

/// What raised a clone suspicion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "signal",
    rename_all = "snake_case",
    try_from = "CloneSignalFields"
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CloneSignal {
    /// Scanned in this many distant regions inside the window.
    DistantRegions {
        /// The regions, at the policy's level.
        regions: Vec<RegionCode>,
    },
    /// Scanned by this many distinct devices.
    ManyDevices {
        /// How many.
        devices: u64,
    },
}

/// A warning the online half adds to a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "flag", try_from = "FlagFields")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Flag {
    /// The same code is being scanned where one unit cannot be.
    SuspectedClone {
        /// Why.
        signals: Vec<CloneSignal>,
    },
    /// The scan's region is outside the signed sales region (diverted goods, 窜货).
    RegionMismatch {
        /// Where the unit may be sold.
        signed: RegionCode,
        /// Where it was scanned.
        scanned: RegionCode,
    },
    /// The unit's batch is recalled.
    Recalled {
        /// The recall.
        notice: RecallNotice,
    },
    /// Valid signature, but the issuer never registered this serial: a key-compromise signal.
    NotRegistered,
    /// The registry could not be reached: the offline verdict stands, the rest is pending.
    RegistryUnreachable,
}

/// [`CloneSignal`] as read: its tag and every variant's fields (see [`crate::tagged`]).
#[derive(Deserialize)]
struct CloneSignalFields {
    signal: CloneSignalKind,
    regions: Option<Vec<RegionCode>>,
    devices: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum CloneSignalKind {
    DistantRegions,
    ManyDevices,
}

impl TryFrom<CloneSignalFields> for CloneSignal {
    type Error = String;

    fn try_from(fields: CloneSignalFields) -> Result<Self, String> {
        use crate::tagged::required;
        Ok(match fields.signal {
            CloneSignalKind::DistantRegions => Self::DistantRegions {
                regions: required(fields.regions, "regions")?,
            },
            CloneSignalKind::ManyDevices => Self::ManyDevices {
                devices: required(fields.devices, "devices")?,
            },
        })
    }
}

/// [`Flag`] as read: its tag and every variant's fields (see [`crate::tagged`]).
#[derive(Deserialize)]
struct FlagFields {
    flag: FlagKind,
    signals: Option<Vec<CloneSignal>>,
    signed: Option<RegionCode>,
    scanned: Option<RegionCode>,
    notice: Option<RecallNotice>,
}

#[derive(Deserialize)]
enum FlagKind {
    SuspectedClone,
    RegionMismatch,
    Recalled,
    NotRegistered,
    RegistryUnreachable,
}

impl TryFrom<FlagFields> for Flag {
    type Error = String;

    fn try_from(fields: FlagFields) -> Result<Self, String> {
        use crate::tagged::required;
        Ok(match fields.flag {
            FlagKind::SuspectedClone => Self::SuspectedClone {
                signals: required(fields.signals, "signals")?,
            },
            FlagKind::RegionMismatch => Self::RegionMismatch {
                signed: required(fields.signed, "signed")?,
                scanned: required(fields.scanned, "scanned")?,
            },
            FlagKind::Recalled => Self::Recalled {
                notice: required(fields.notice, "notice")?,
            },
            FlagKind::NotRegistered => Self::NotRegistered,
            FlagKind::RegistryUnreachable => Self::RegistryUnreachable,
        })
    }
}

/// The online half of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Warnings, in a stable order.
    pub flags: Vec<Flag>,
    /// The unit's first recorded scan (this one if there was none before); `None` offline.
    pub first_scan: Option<ScanRecord>,
    /// Scans recorded, this one included; 0 offline.
    pub count: u64,
    /// Distinct distant regions in the window, this scan included.
    pub distinct_regions_in_window: u32,
    /// Distinct devices, this one included.
    pub distinct_devices: u64,
}

impl Assessment {
    /// Whether this scan is the unit's first recorded query.
    pub fn is_first_query(&self) -> bool {
        self.count == 1
    }
}

/// The sales-region check alone; runs offline (the region is signed).
pub fn region_flag(code: &VerifiedCode, scan_region: Option<RegionCode>) -> Option<Flag> {
    let signed = code.code().data.region;
    let scanned = scan_region?;
    signed
        .is_disjoint(scanned)
        .then_some(Flag::RegionMismatch { signed, scanned })
}

/// What can be said with no registry: the region check, and that the rest is pending.
pub fn assess_offline(code: &VerifiedCode, scan_region: Option<RegionCode>) -> Assessment {
    let flags = region_flag(code, scan_region)
        .into_iter()
        .chain([Flag::RegistryUnreachable])
        .collect();
    Assessment {
        flags,
        first_scan: None,
        count: 0,
        distinct_regions_in_window: 0,
        distinct_devices: 0,
    }
}

/// Assesses one scan of a verified code against the unit's history.
pub fn assess(
    code: &VerifiedCode,
    history: &ScanHistory,
    scan: &ScanContext,
    policy: &ClonePolicy,
) -> Assessment {
    let since = scan.now - policy.window;
    let regions: BTreeSet<RegionCode> = (history.recent.iter())
        .filter(|r| r.at >= since && r.at <= scan.now)
        .filter_map(|r| r.region)
        .chain(scan.region.filter(|_| !history.network_region_in_window))
        .map(|r| r.at_level(policy.distance))
        .collect();
    let new_device = scan.device.is_some() && !history.device_seen_before;
    let distinct_devices = history.distinct_devices + u64::from(new_device);

    let mut signals = Vec::new();
    // u32 is plenty: a window holds at most 34 provinces' worth of distinct regions per level.
    let distinct_regions = u32::try_from(regions.len()).unwrap_or(u32::MAX);
    if distinct_regions >= policy.max_regions_in_window {
        signals.push(CloneSignal::DistantRegions {
            regions: regions.into_iter().collect(),
        });
    }
    if distinct_devices > policy.max_devices {
        signals.push(CloneSignal::ManyDevices {
            devices: distinct_devices,
        });
    }

    let mut flags = Vec::new();
    if !signals.is_empty() {
        flags.push(Flag::SuspectedClone { signals });
    }
    flags.extend(region_flag(code, scan.region));
    flags.extend(scan.recalls.iter().map(|notice| Flag::Recalled {
        notice: notice.clone(),
    }));
    if scan.registration == Registration::NotRegistered {
        flags.push(Flag::NotRegistered);
    }

    let first_scan = history.first.clone().unwrap_or_else(|| ScanRecord {
        at: scan.now,
        region: scan.region,
        device: scan.device.clone(),
    });
    Assessment {
        flags,
        first_scan: Some(first_scan),
        count: history.count + 1,
        distinct_regions_in_window: distinct_regions,
        distinct_devices,
    }
}
