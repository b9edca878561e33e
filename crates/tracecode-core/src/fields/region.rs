//! Sales and scan regions: GB/T 2260 administrative division codes.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A GB/T 2260 six-digit division code at province (`310000`), prefecture (`310100`) or county
/// (`310115`) level.
///
/// Validation is structural: a real province-level prefix and a well-formed level. The full
/// county table changes every year, so it is not compiled in; a code that is structurally
/// valid but unassigned still means "nowhere anyone sells" and simply never matches a scan.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(u32);

/// How coarse a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegionLevel {
    /// A province, autonomous region, municipality or SAR: `XX0000`.
    Province,
    /// A prefecture-level division: `XXYY00`.
    Prefecture,
    /// A county-level division: `XXYYZZ`.
    County,
}

/// Why a value is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegionError {
    /// Not exactly six digits.
    #[error("region must be a six-digit GB/T 2260 code, found {0:?}")]
    Format(String),
    /// The first two digits name no province-level division.
    #[error("region {0:06} does not start with a GB/T 2260 province code")]
    Province(u32),
    /// A county part under a missing prefecture part (`XX00ZZ`).
    #[error("region {0:06} has a county part but no prefecture part")]
    Level(u32),
}

/// The province-level divisions of GB/T 2260: code prefix, Chinese and English name.
const PROVINCES: [(u32, &str, &str); 34] = [
    (11, "北京市", "Beijing"),
    (12, "天津市", "Tianjin"),
    (13, "河北省", "Hebei"),
    (14, "山西省", "Shanxi"),
    (15, "内蒙古自治区", "Inner Mongolia"),
    (21, "辽宁省", "Liaoning"),
    (22, "吉林省", "Jilin"),
    (23, "黑龙江省", "Heilongjiang"),
    (31, "上海市", "Shanghai"),
    (32, "江苏省", "Jiangsu"),
    (33, "浙江省", "Zhejiang"),
    (34, "安徽省", "Anhui"),
    (35, "福建省", "Fujian"),
    (36, "江西省", "Jiangxi"),
    (37, "山东省", "Shandong"),
    (41, "河南省", "Henan"),
    (42, "湖北省", "Hubei"),
    (43, "湖南省", "Hunan"),
    (44, "广东省", "Guangdong"),
    (45, "广西壮族自治区", "Guangxi"),
    (46, "海南省", "Hainan"),
    (50, "重庆市", "Chongqing"),
    (51, "四川省", "Sichuan"),
    (52, "贵州省", "Guizhou"),
    (53, "云南省", "Yunnan"),
    (54, "西藏自治区", "Tibet"),
    (61, "陕西省", "Shaanxi"),
    (62, "甘肃省", "Gansu"),
    (63, "青海省", "Qinghai"),
    (64, "宁夏回族自治区", "Ningxia"),
    (65, "新疆维吾尔自治区", "Xinjiang"),
    (71, "台湾省", "Taiwan"),
    (81, "香港特别行政区", "Hong Kong"),
    (82, "澳门特别行政区", "Macao"),
];

impl RegionCode {
    /// The region with this six-digit value.
    pub fn new(value: u32) -> Result<Self, RegionError> {
        if value > 999_999 {
            return Err(RegionError::Format(value.to_string()));
        }
        if !PROVINCES.iter().any(|p| p.0 == value / 10_000) {
            return Err(RegionError::Province(value));
        }
        if (value / 100).is_multiple_of(100) && !value.is_multiple_of(100) {
            return Err(RegionError::Level(value));
        }
        Ok(Self(value))
    }

    /// The six-digit value.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Province, prefecture or county.
    pub fn level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }

    /// This region cut down to `level` (a county's province, say); unchanged if already coarser.
    pub fn at_level(self, level: RegionLevel) -> Self {
        if level >= self.level() {
            return self;
        }
        match level {
            RegionLevel::Province => Self(self.0 / 10_000 * 10_000),
            RegionLevel::Prefecture => Self(self.0 / 100 * 100),
            RegionLevel::County => self,
        }
    }

    /// Whether `other` lies inside this region (a region contains itself).
    pub fn contains(self, other: RegionCode) -> bool {
        other.level() >= self.level() && other.at_level(self.level()) == self
    }

    /// Whether the two regions share no ground: neither contains the other.
    pub fn is_disjoint(self, other: RegionCode) -> bool {
        !self.contains(other) && !other.contains(self)
    }

    /// The province's Chinese name (`上海市`).
    pub fn province_name_zh(self) -> &'static str {
        self.province_entry().1
    }

    /// The province's English name (`Shanghai`).
    pub fn province_name_en(self) -> &'static str {
        self.province_entry().2
    }

    fn province_entry(self) -> &'static (u32, &'static str, &'static str) {
        // Invariant: `new` admits only codes whose prefix is in PROVINCES.
        PROVINCES
            .iter()
            .find(|p| p.0 == self.0 / 10_000)
            .unwrap_or(&PROVINCES[0])
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionError::Format(text.to_owned()));
        }
        text.parse()
            .map_err(|_| RegionError::Format(text.to_owned()))
            .and_then(Self::new)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({:06})", self.0)
    }
}

super::serde_via_str!(RegionCode);

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RegionCode {
        s.parse().unwrap()
    }

    #[test]
    fn levels_and_containment() {
        let shanghai = r("310000");
        let pudong = r("310115");
        assert_eq!(shanghai.level(), RegionLevel::Province);
        assert_eq!(r("320500").level(), RegionLevel::Prefecture);
        assert_eq!(pudong.level(), RegionLevel::County);
        assert!(shanghai.contains(pudong));
        assert!(!pudong.contains(shanghai));
        assert!(!shanghai.is_disjoint(pudong));
        assert!(shanghai.is_disjoint(r("110105")));
        assert_eq!(pudong.at_level(RegionLevel::Province), shanghai);
        assert_eq!(shanghai.at_level(RegionLevel::County), shanghai);
        assert_eq!(pudong.province_name_en(), "Shanghai");
        assert_eq!(r("469001").level(), RegionLevel::County); // Hainan's directly administered
    }

    #[test]
    fn rejects_with_the_reason() {
        assert!(matches!(
            "31000".parse::<RegionCode>(),
            Err(RegionError::Format(_))
        ));
        assert!(matches!(
            "3100a0".parse::<RegionCode>(),
            Err(RegionError::Format(_))
        ));
        assert_eq!(
            "990000".parse::<RegionCode>(),
            Err(RegionError::Province(990000))
        );
        assert_eq!(
            "310015".parse::<RegionCode>(),
            Err(RegionError::Level(310015))
        );
        assert!(RegionCode::new(1_000_000).is_err());
    }
}
