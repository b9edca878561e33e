//! EPCIS 2.0 events in, the registry's event model out: JSON-LD documents and a simple CSV form.
//!
//! Pure: no I/O. Identifiers are reduced to one canonical *subject* each, so that the same unit
//! named as a GS1 Digital Link, an EPC URN or by our own code URL is one thing to the registry.

use std::fmt;

use serde::Serialize;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracecode_core::fields::gs1_check_digit;
use tracecode_core::{Gtin, Serial};
use tracecode_wire::LotDates;

/// Most events one request may carry; bigger documents are split by the sender.
pub const MAX_EVENTS: usize = 10_000;
/// Most identifiers one event may name (objects, children, inputs and outputs together).
pub const MAX_IDENTIFIERS_PER_EVENT: usize = 10_000;
/// Most identifiers all events of one request may name together.
pub const MAX_IDENTIFIERS_PER_REQUEST: usize = 100_000;
/// Most (input, output) links one TransformationEvent may make: inputs × outputs.
pub const MAX_LINKS_PER_TRANSFORMATION: usize = 1_000;
/// Most (input, output) links all transformations of one request may make together.
pub const MAX_LINKS_PER_REQUEST: usize = 10_000;

/// A documented bound (docs/API.md, "Limits") that a request exceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The limit's stable name, e.g. `identifiers_per_event`.
    pub limit: &'static str,
    pub max: u64,
    pub message: String,
}

/// Checks the bounds that keep one request from stalling the registry: identifiers per event
/// and per request, transformation links per event and per request.
pub fn check_limits(events: &[Event]) -> Result<(), LimitExceeded> {
    let exceeded = |limit, max: usize, message: String| LimitExceeded {
        limit,
        max: max as u64,
        message,
    };
    let mut identifiers = 0;
    let mut links = 0;
    for (i, event) in events.iter().enumerate() {
        let at = format!("event {} ({:?})", i + 1, event.id);
        let named = event.subjects.len();
        if named > MAX_IDENTIFIERS_PER_EVENT {
            return Err(exceeded(
                "identifiers_per_event",
                MAX_IDENTIFIERS_PER_EVENT,
                format!("{at} names {named} identifiers; at most {MAX_IDENTIFIERS_PER_EVENT}"),
            ));
        }
        identifiers += named;
        if event.event_type == EventType::TransformationEvent {
            let count = |role| event.subjects.iter().filter(|(r, _)| *r == role).count();
            let made = count(Role::Input) * count(Role::Output);
            if made > MAX_LINKS_PER_TRANSFORMATION {
                return Err(exceeded(
                    "links_per_transformation",
                    MAX_LINKS_PER_TRANSFORMATION,
                    format!(
                        "{at} links {} inputs to {} outputs ({made} links); at most \
                         {MAX_LINKS_PER_TRANSFORMATION}: split it by output",
                        count(Role::Input),
                        count(Role::Output)
                    ),
                ));
            }
            links += made;
        }
    }
    if identifiers > MAX_IDENTIFIERS_PER_REQUEST {
        return Err(exceeded(
            "identifiers_per_request",
            MAX_IDENTIFIERS_PER_REQUEST,
            format!(
                "the events name {identifiers} identifiers together; at most \
                 {MAX_IDENTIFIERS_PER_REQUEST} per request"
            ),
        ));
    }
    if links > MAX_LINKS_PER_REQUEST {
        return Err(exceeded(
            "links_per_request",
            MAX_LINKS_PER_REQUEST,
            format!(
                "the transformations make {links} links together; at most \
                 {MAX_LINKS_PER_REQUEST} per request"
            ),
        ));
    }
    Ok(())
}

/// The three event types the timeline understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    ObjectEvent,
    AggregationEvent,
    TransformationEvent,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ObjectEvent => "ObjectEvent",
            Self::AggregationEvent => "AggregationEvent",
            Self::TransformationEvent => "TransformationEvent",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "ObjectEvent" => Ok(Self::ObjectEvent),
            "AggregationEvent" => Ok(Self::AggregationEvent),
            "TransformationEvent" => Ok(Self::TransformationEvent),
            other => Err(format!(
                "type {other:?} is not supported (ObjectEvent, AggregationEvent and \
                 TransformationEvent are)"
            )),
        }
    }
}

/// EPCIS `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    Add,
    Observe,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Observe => "OBSERVE",
            Self::Delete => "DELETE",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "ADD" => Ok(Self::Add),
            "OBSERVE" => Ok(Self::Observe),
            "DELETE" => Ok(Self::Delete),
            other => Err(format!("action {other:?} must be ADD, OBSERVE or DELETE")),
        }
    }
}

/// How an event names a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `epcList` / `quantityList` of an ObjectEvent.
    Object,
    /// `parentID` of an AggregationEvent.
    Parent,
    /// `childEPCs` / `childQuantityList` of an AggregationEvent.
    Child,
    /// Inputs of a TransformationEvent.
    Input,
    /// Outputs of a TransformationEvent.
    Output,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::Parent => "parent",
            Self::Child => "child",
            Self::Input => "input",
            Self::Output => "output",
        }
    }
}

/// One event, checked and reduced to what the registry indexes; `document` keeps it whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub event_type: EventType,
    pub action: Option<Action>,
    pub time: OffsetDateTime,
    /// Short CBV names (`shipping`) where the value is a CBV term, otherwise the URI as given.
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    pub subjects: Vec<(Role, String)>,
    /// QC certificates and other certification links (`certificationInfo`).
    pub certifications: Vec<String>,
    /// The dates of its ILMD (`bestBeforeDate`, `itemExpirationDate`, `sellByDate`), for the
    /// lots it names ([`Event::lots`]).
    pub lot_dates: LotDates,
    /// The ILMD's `lotNumber`: the lot of the serialised units the event names.
    pub ilmd_lot: Option<String>,
    /// The event as received (JSON-LD), or as the CSV row reads in JSON-LD.
    pub document: Value,
}

impl Event {
    /// The lot subjects its ILMD describes: lots it names (`01/{gtin}/10/{lot}`), and for
    /// units it names (`01/{gtin}/21/{serial}`) their GTIN with the ILMD's `lotNumber`.
    pub fn lots(&self) -> Vec<String> {
        let mut lots: Vec<String> = self
            .subjects
            .iter()
            .filter(|(role, _)| matches!(role, Role::Object | Role::Output))
            .filter_map(|(_, subject)| {
                if split_lot_subject(subject).is_some() {
                    return Some(subject.clone());
                }
                let lot = self.ilmd_lot.as_deref()?;
                let rest = subject.strip_prefix("01/")?;
                let (gtin, _) = rest.split_once("/21/")?;
                Some(lot_subject(gtin, lot))
            })
            .collect();
        lots.sort();
        lots.dedup();
        lots
    }

    /// Where the event happened: the business location, or failing that the read point.
    pub fn location(&self) -> Option<&str> {
        self.biz_location.as_deref().or(self.read_point.as_deref())
    }
}

/// Why a document was refused; `at` says where: `event 3` (JSON-LD) or `line 2` (CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcisError {
    pub at: Option<String>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for EpcisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

fn error(field: &str, message: impl Into<String>) -> EpcisError {
    EpcisError {
        at: None,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Parses an EPCIS 2.0 JSON-LD `EPCISDocument` (or a single event) into events; a document's
/// master data is refused here (see [`parse_json_ld_document`]).
pub fn parse_json_ld(body: &[u8]) -> Result<Vec<Event>, EpcisError> {
    let document = parse_json_ld_document(body)?;
    if !document.master.is_empty() {
        return Err(error(
            "epcisHeader.epcisMasterData",
            "not read here: send the document to POST /v1/events",
        ));
    }
    Ok(document.events)
}

/// An EPCIS document: its events and its header's master data.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub events: Vec<Event>,
    pub master: crate::store::MasterData,
}

/// Parses an EPCIS 2.0 JSON-LD `EPCISDocument` (or a single event): its events, and the
/// products and places of its `epcisHeader.epcisMasterData` ([`crate::vocabulary`]). A
/// document may carry master data and no event.
pub fn parse_json_ld_document(body: &[u8]) -> Result<Document, EpcisError> {
    let document: Value =
        serde_json::from_slice(body).map_err(|e| error("document", format!("not JSON: {e}")))?;
    let (events, master) = match document.get("type").and_then(Value::as_str) {
        Some("EPCISDocument") => (
            document
                .pointer("/epcisBody/eventList")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    error(
                        "epcisBody.eventList",
                        "an EPCISDocument needs an event list",
                    )
                })?
                .clone(),
            crate::vocabulary::master_data(&document)?,
        ),
        Some(_) => (vec![document], crate::store::MasterData::default()),
        None => return Err(error("type", "missing: expected EPCISDocument or an event")),
    };
    // Master data alone is a document too.
    if !events.is_empty() || master.is_empty() {
        check_count(events.len())?;
    }
    let events = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            parse_event(event).map_err(|e| EpcisError {
                at: Some(format!("event {}", i + 1)),
                ..e
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Document { events, master })
}

fn check_count(n: usize) -> Result<(), EpcisError> {
    if n == 0 {
        return Err(error("eventList", "no events"));
    }
    if n > MAX_EVENTS {
        return Err(error(
            "eventList",
            format!("{n} events; send at most {MAX_EVENTS} per request"),
        ));
    }
    Ok(())
}

fn parse_event(document: Value) -> Result<Event, EpcisError> {
    let object = document
        .as_object()
        .ok_or_else(|| error("event", "must be a JSON object"))?;
    let text = |field: &str| -> Result<Option<String>, EpcisError> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(error(field, "must be a non-empty string")),
        }
    };
    let event_type = EventType::parse(&text("type")?.ok_or_else(|| error("type", "missing"))?)
        .map_err(|m| error("type", m))?;
    let id = text("eventID")?.ok_or_else(|| {
        error(
            "eventID",
            "missing: the registry stores events by eventID so that sending one twice is harmless",
        )
    })?;
    if id.len() > 256 {
        return Err(error("eventID", "longer than 256 characters"));
    }
    let time = parse_time(&text("eventTime")?.ok_or_else(|| error("eventTime", "missing"))?)?;
    let action = text("action")?
        .map(|a| Action::parse(&a).map_err(|m| error("action", m)))
        .transpose()?;
    if action.is_none() && event_type != EventType::TransformationEvent {
        return Err(error("action", "missing (ADD, OBSERVE or DELETE)"));
    }
    let location = |field: &str| -> Result<Option<String>, EpcisError> {
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(place)) => match place.get("id") {
                Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
                _ => Err(error(field, "needs an \"id\" string")),
            },
            Some(_) => Err(error(field, "must be an object with an \"id\"")),
        }
    };
    let mut subjects = Vec::new();
    let lists: &[(&str, Role)] = match event_type {
        EventType::ObjectEvent => &[("epcList", Role::Object), ("quantityList", Role::Object)],
        EventType::AggregationEvent => &[
            ("childEPCs", Role::Child),
            ("childQuantityList", Role::Child),
        ],
        EventType::TransformationEvent => &[
            ("inputEPCList", Role::Input),
            ("inputQuantityList", Role::Input),
            ("outputEPCList", Role::Output),
            ("outputQuantityList", Role::Output),
        ],
    };
    for &(field, role) in lists {
        for name in identifiers(object, field)? {
            subjects.push((role, subject(&name).map_err(|m| error(field, m))?));
        }
    }
    if let Some(parent) = text("parentID")? {
        subjects.push((
            Role::Parent,
            subject(&parent).map_err(|m| error("parentID", m))?,
        ));
    } else if event_type == EventType::AggregationEvent && action != Some(Action::Observe) {
        return Err(error("parentID", "missing: aggregation needs a parent"));
    }
    if subjects.is_empty() {
        return Err(error("event", "names no objects"));
    }
    subjects.sort();
    subjects.dedup();
    let certifications = match object.get("certificationInfo") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| error("certificationInfo", "must be a string or strings"))?,
        Some(_) => return Err(error("certificationInfo", "must be a string or strings")),
    };
    let (lot_dates, ilmd_lot) = ilmd(object.get("ilmd"))?;
    Ok(Event {
        lot_dates,
        ilmd_lot,
        id,
        event_type,
        action,
        time,
        biz_step: text("bizStep")?.map(|s| cbv_term(&s, "bizstep", "BizStep")),
        disposition: text("disposition")?.map(|s| cbv_term(&s, "disp", "Disp")),
        read_point: location("readPoint")?,
        biz_location: location("bizLocation")?,
        subjects,
        certifications,
        document,
    })
}

/// The value of a CBV master-data attribute, by its compact (`cbvmda:x`) or full
/// (`urn:epcglobal:cbv:mda#x`) name.
pub(crate) fn cbv_attribute<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .get(&format!("cbvmda:{name}"))
        .or_else(|| object.get(&format!("urn:epcglobal:cbv:mda#{name}")))
        .or_else(|| object.get(name))
}

/// The dates and lot number of an event's ILMD, checked.
fn ilmd(value: Option<&Value>) -> Result<(LotDates, Option<String>), EpcisError> {
    let object = match value {
        None | Some(Value::Null) => return Ok((LotDates::default(), None)),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(error("ilmd", "must be an object")),
    };
    let date = |name: &str| -> Result<Option<time::Date>, EpcisError> {
        match cbv_attribute(object, name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => {
                // EPCIS allows a date-time here too; its date is the day.
                let day = text.get(..10).unwrap_or(text);
                tracecode_wire::master::iso_date::parse(day)
                    .map(Some)
                    .map_err(|m| error(&format!("ilmd.{name}"), m))
            }
            Some(_) => Err(error(&format!("ilmd.{name}"), "must be a date YYYY-MM-DD")),
        }
    };
    let dates = LotDates {
        best_before: date("bestBeforeDate")?,
        expiration: date("itemExpirationDate")?,
        sell_by: date("sellByDate")?,
    };
    let lot = match cbv_attribute(object, "lotNumber") {
        None | Some(Value::Null) => None,
        Some(Value::String(lot)) => Some(
            lot.parse::<tracecode_core::Lot>()
                .map_err(|e| error("ilmd.lotNumber", e.to_string()))?
                .to_string(),
        ),
        Some(_) => return Err(error("ilmd.lotNumber", "must be a string")),
    };
    Ok((dates, lot))
}

/// The identifiers of an EPC list (strings) or a quantity list (objects with `epcClass`).
fn identifiers(object: &Map<String, Value>, field: &str) -> Result<Vec<String>, EpcisError> {
    let Some(list) = object.get(field) else {
        return Ok(Vec::new());
    };
    let items = list
        .as_array()
        .ok_or_else(|| error(field, "must be a list"))?;
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(q) => q
                .get("epcClass")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| error(field, "a quantity element needs an \"epcClass\" string")),
            _ => Err(error(field, "holds something that is not an identifier")),
        })
        .collect()
}

fn parse_time(text: &str) -> Result<OffsetDateTime, EpcisError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
        error(
            "eventTime",
            format!("{text:?} is not an RFC 3339 time: {e}"),
        )
    })
}

/// `urn:epcglobal:cbv:bizstep:shipping` and `https://ref.gs1.org/cbv/BizStep-shipping` are both
/// `shipping`; anything else (a private vocabulary) stays as given.
fn cbv_term(value: &str, urn_kind: &str, web_kind: &str) -> String {
    let urn = format!("urn:epcglobal:cbv:{urn_kind}:");
    let web = format!("https://ref.gs1.org/cbv/{web_kind}-");
    value
        .strip_prefix(&urn)
        .or_else(|| value.strip_prefix(&web))
        .unwrap_or(value)
        .to_owned()
}

/// The canonical subject of an identifier:
/// * a unit `01/{gtin14}/21/{serial}`, a lot `01/{gtin14}/10/{lot}`, a product `01/{gtin14}`,
///   a logistic unit `00/{sscc}`, from GS1 Digital Link URIs (any host, including our code URLs)
///   and from `urn:epc:id:sgtin`, `urn:epc:class:lgtin`, `urn:epc:idpat:sgtin` and
///   `urn:epc:id:sscc`;
/// * any other URI (`urn:…`, `https://…`) as given, so private identifiers still link events.
pub fn subject(identifier: &str) -> Result<String, String> {
    if identifier.is_empty() || identifier.len() > 512 {
        return Err("an identifier must have 1 to 512 characters".to_owned());
    }
    if identifier
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("{identifier:?} holds spaces or control characters"));
    }
    if let Some(rest) = identifier.strip_prefix("urn:epc:") {
        return epc_urn(rest).map_err(|m| format!("{identifier:?}: {m}"));
    }
    if identifier.starts_with("https://") || identifier.starts_with("http://") {
        if let Some(found) = digital_link(identifier).map_err(|m| format!("{identifier:?}: {m}"))? {
            return Ok(found);
        }
        return Ok(identifier.to_owned());
    }
    if identifier.contains(':') {
        return Ok(identifier.to_owned());
    }
    Err(format!(
        "{identifier:?} is not a URI (expected a GS1 Digital Link, an EPC URN or another URI)"
    ))
}

/// The digits that start with a GS1 company prefix, for subjects that carry one: a GTIN's
/// after its indicator digit (`01/…`), an SSCC's after its extension digit (`00/…`). `None`
/// for any other identifier (a private URN), whose owner is whoever named it first.
pub fn company_digits(subject: &str) -> Option<&str> {
    let (key, rest) = subject.split_at_checked(3)?;
    let digits = match key {
        "01/" => rest.get(..14)?,
        "00/" => rest.get(..18)?,
        _ => return None,
    };
    digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| &digits[1..])
}

/// A unit's subject.
pub fn unit_subject(gtin: &Gtin, serial: &Serial) -> String {
    format!("01/{gtin}/21/{serial}")
}

/// A lot's subject.
pub fn lot_subject(gtin: &str, lot: &str) -> String {
    format!("01/{gtin}/10/{lot}")
}

/// The GTIN and lot of a lot subject, for answers that show them apart.
pub fn split_lot_subject(subject: &str) -> Option<(&str, &str)> {
    let rest = subject.strip_prefix("01/")?;
    let (gtin, lot) = rest.split_once("/10/")?;
    (gtin.len() == 14 && !lot.is_empty()).then_some((gtin, lot))
}

/// `None` when the URI is not a Digital Link (no `/01/` or `/00/` key in its path).
fn digital_link(uri: &str) -> Result<Option<String>, String> {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').collect();
    let Some(start) = segments.iter().position(|s| *s == "01" || *s == "00") else {
        return Ok(None);
    };
    let pairs = &segments[start..];
    if !pairs.len().is_multiple_of(2) {
        return Err("a Digital Link path needs key/value pairs".to_owned());
    }
    let mut gtin = None;
    let mut lot = None;
    let mut serial = None;
    for pair in pairs.chunks(2) {
        let value = percent_encoding::percent_decode_str(pair[1])
            .decode_utf8()
            .map_err(|_| format!("{:?} is not UTF-8 after percent-decoding", pair[1]))?;
        if value.is_empty() {
            return Err(format!("empty value for key {}", pair[0]));
        }
        match pair[0] {
            "00" => return sscc(&value).map(Some),
            "01" => {
                gtin = Some(
                    value
                        .parse::<Gtin>()
                        .map_err(|e| format!("GTIN {value:?}: {e}"))?,
                );
            }
            "10" => lot = Some(value.into_owned()),
            "21" => serial = Some(value.into_owned()),
            // Other qualifiers (22 CPV, 235 TPX) narrow nothing the registry indexes.
            _ => {}
        }
    }
    let gtin = gtin.ok_or("a Digital Link needs a GTIN (01)")?;
    Ok(Some(match (serial, lot) {
        (Some(serial), _) => format!("01/{gtin}/21/{serial}"),
        (None, Some(lot)) => lot_subject(gtin.as_str(), &lot),
        (None, None) => format!("01/{gtin}"),
    }))
}

fn sscc(digits: &str) -> Result<String, String> {
    if digits.len() != 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("SSCC {digits:?} must be 18 digits"));
    }
    let expected = gs1_check_digit(&digits.as_bytes()[..17]);
    if digits.as_bytes()[17] - b'0' != expected {
        return Err(format!("SSCC {digits:?} check digit should be {expected}"));
    }
    Ok(format!("00/{digits}"))
}

/// EPC URNs after `urn:epc:`; other EPC schemes (sgln, grai, …) stay as given.
fn epc_urn(rest: &str) -> Result<String, String> {
    let (scheme, value) = rest
        .rsplit_once(':')
        .ok_or("an EPC URN needs a scheme and a value")?;
    let parts: Vec<&str> = value.split('.').collect();
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| format!("{text:?} is not UTF-8 after percent-decoding"))
    };
    match (scheme, parts.as_slice()) {
        ("id:sgtin", [company, item, serial]) => Ok(format!(
            "01/{}/21/{}",
            gtin(company, item)?,
            decode(serial)?
        )),
        ("class:lgtin", [company, item, lot]) => {
            Ok(lot_subject(gtin(company, item)?.as_str(), &decode(lot)?))
        }
        ("idpat:sgtin", [company, item, "*"]) => Ok(format!("01/{}", gtin(company, item)?)),
        ("id:sscc", [company, serial_ref]) => {
            let digits = digits_of(company, serial_ref)?;
            let check = gs1_check_digit(digits.as_bytes());
            sscc(&format!("{digits}{check}"))
        }
        ("id:sgtin" | "class:lgtin" | "idpat:sgtin" | "id:sscc", _) => {
            Err(format!("malformed {scheme} value {value:?}"))
        }
        _ => Ok(format!("urn:epc:{rest}")),
    }
}

/// Company prefix and (indicator + item reference) → GTIN-14, as the EPC Tag Data Standard says.
fn gtin(company: &str, item: &str) -> Result<Gtin, String> {
    let digits = digits_of(company, item)?;
    if digits.len() != 13 {
        return Err("company prefix and item reference must have 13 digits together".to_owned());
    }
    let check = gs1_check_digit(digits.as_bytes());
    Gtin::parse_canonical(&format!("{digits}{check}")).map_err(|e| e.to_string())
}

/// The first digit of the second part leads (indicator or extension digit), then the company
/// prefix, then the rest of the second part.
fn digits_of(company: &str, second: &str) -> Result<String, String> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(company) || !all_digits(second) {
        return Err("company prefix and reference must be digits".to_owned());
    }
    Ok(format!("{}{company}{}", &second[..1], &second[1..]))
}

/// The CSV form, one event per row. Columns (header required, any order):
/// `event_id,type,time,action,biz_step,disposition,read_point,biz_location,parent,objects,inputs,outputs,certification`;
/// `objects`, `inputs`, `outputs` and `certification` hold space-separated identifiers.
/// Only `event_id`, `type` and `time` are required columns.
pub fn parse_csv(body: &[u8]) -> Result<Vec<Event>, EpcisError> {
    const COLUMNS: [&str; 13] = [
        "event_id",
        "type",
        "time",
        "action",
        "biz_step",
        "disposition",
        "read_point",
        "biz_location",
        "parent",
        "objects",
        "inputs",
        "outputs",
        "certification",
    ];
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| error("header", e.to_string()))?
        .clone();
    for name in &headers {
        if !COLUMNS.contains(&name) {
            return Err(error(
                "header",
                format!("unknown column {name:?} (known: {})", COLUMNS.join(", ")),
            ));
        }
    }
    for required in ["event_id", "type", "time"] {
        if !headers.iter().any(|h| h == required) {
            return Err(error("header", format!("column {required:?} is required")));
        }
    }
    let mut events = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line numbers as an editor shows them: the header is line 1.
        let line = i + 2;
        // Errors name the CSV column, not the JSON-LD field it became.
        let at = |e: EpcisError| EpcisError {
            at: Some(format!("line {line}")),
            field: match e.field.as_str() {
                "eventID" => "event_id",
                "eventTime" => "time",
                "bizStep" => "biz_step",
                "readPoint" => "read_point",
                "bizLocation" => "biz_location",
                "parentID" => "parent",
                "epcList" | "childEPCs" => "objects",
                "inputEPCList" => "inputs",
                "outputEPCList" => "outputs",
                "certificationInfo" => "certification",
                other => other,
            }
            .to_owned(),
            message: e.message,
        };
        let record = record.map_err(|e| at(error("row", e.to_string())))?;
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
        };
        let list = |name: &str| -> Vec<Value> {
            cell(name)
                .map(|v| v.split_whitespace().map(|s| json!(s)).collect())
                .unwrap_or_default()
        };
        let mut event = Map::new();
        for (column, key) in [
            ("type", "type"),
            ("event_id", "eventID"),
            ("time", "eventTime"),
            ("action", "action"),
            ("biz_step", "bizStep"),
            ("disposition", "disposition"),
            ("parent", "parentID"),
        ] {
            if let Some(value) = cell(column) {
                event.insert(key.to_owned(), json!(value));
            }
        }
        for (column, key) in [("read_point", "readPoint"), ("biz_location", "bizLocation")] {
            if let Some(value) = cell(column) {
                event.insert(key.to_owned(), json!({ "id": value }));
            }
        }
        let objects_key = match cell("type") {
            Some("AggregationEvent") => "childEPCs",
            _ => "epcList",
        };
        for (column, key) in [
            ("objects", objects_key),
            ("inputs", "inputEPCList"),
            ("outputs", "outputEPCList"),
            ("certification", "certificationInfo"),
        ] {
            let values = list(column);
            if !values.is_empty() {
                event.insert(key.to_owned(), Value::Array(values));
            }
        }
        events.push(parse_event(Value::Object(event)).map_err(at)?);
    }
    check_count(events.len())?;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_in_every_spelling_reduce_to_one_subject() {
        let unit = "01/09506000134352/21/2017";
        for spelling in [
            "https://id.gs1.org/01/09506000134352/21/2017",
            "https://t.example.cn/01/09506000134352/10/L1/21/2017?s=123",
            "https://id.gs1.org/01/9506000134352/21/2017",
            "urn:epc:id:sgtin:9506000.013435.2017",
        ] {
            assert_eq!(subject(spelling).as_deref(), Ok(unit), "{spelling}");
        }
        assert_eq!(
            subject("urn:epc:class:lgtin:9506000.013435.LOT%2F1").as_deref(),
            Ok("01/09506000134352/10/LOT/1")
        );
        assert_eq!(
            subject("https://id.gs1.org/01/09506000134352/10/LOT%2F1").as_deref(),
            Ok("01/09506000134352/10/LOT/1")
        );
        assert_eq!(
            subject("urn:epc:id:sscc:0614141.1234567890").as_deref(),
            Ok("00/106141412345678908")
        );
        assert_eq!(
            subject("https://id.gs1.org/00/106141412345678908").as_deref(),
            Ok("00/106141412345678908")
        );
        assert_eq!(
            subject("urn:epc:idpat:sgtin:9506000.013435.*").as_deref(),
            Ok("01/09506000134352")
        );
        // Private identifiers stay as they are.
        assert_eq!(
            subject("urn:example:rawmilk:farm7:2026-11-01").as_deref(),
            Ok("urn:example:rawmilk:farm7:2026-11-01")
        );
    }

    #[test]
    fn broken_identifiers_say_what_is_wrong() {
        let cases = [
            ("https://id.gs1.org/01/09506000134353/21/1", "check digit"),
            ("urn:epc:id:sscc:0614141.1234567891x", "digits"),
            ("https://id.gs1.org/00/106141412345678907", "check digit"),
            ("urn:epc:id:sgtin:9506000.013435", "malformed"),
            ("box 7", "spaces"),
            ("lot7", "not a URI"),
            ("https://id.gs1.org/01/09506000134352/21", "key/value"),
        ];
        for (identifier, expected) in cases {
            let message = subject(identifier).expect_err(identifier);
            assert!(message.contains(expected), "{identifier}: {message}");
        }
    }

    const DOCUMENT: &str = r#"{
      "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
      "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z",
      "epcisBody": { "eventList": [
        { "type": "TransformationEvent", "eventID": "urn:uuid:t1",
          "eventTime": "2026-11-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
          "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9506000.013435.RAW7", "quantity": 500, "uom": "KGM"}],
          "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/L1"}],
          "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
          "readPoint": {"id": "urn:epc:id:sgln:9506000.00001.0"} },
        { "type": "ObjectEvent", "eventID": "urn:uuid:o1", "action": "OBSERVE",
          "eventTime": "2026-11-02T09:00:00Z",
          "quantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/L1"}],
          "bizStep": "https://ref.gs1.org/cbv/BizStep-inspecting",
          "disposition": "https://ref.gs1.org/cbv/Disp-conformant",
          "certificationInfo": "https://lab.example.cn/reports/QC-7" },
        { "type": "AggregationEvent", "eventID": "urn:uuid:a1", "action": "ADD",
          "eventTime": "2026-11-03T09:00:00Z",
          "parentID": "urn:epc:id:sscc:0614141.1234567890",
          "childEPCs": ["https://id.gs1.org/01/09506000134352/21/1"],
          "bizLocation": {"id": "urn:epc:id:sgln:9506000.00002.0"} }
      ]}
    }"#;

    #[test]
    fn an_epcis_document_becomes_indexed_events() {
        let events = parse_json_ld(DOCUMENT.as_bytes()).expect("parses");
        assert_eq!(events.len(), 3);
        let t = &events[0];
        assert_eq!(t.event_type, EventType::TransformationEvent);
        assert_eq!(
            t.subjects,
            vec![
                (Role::Input, "01/09506000134352/10/RAW7".to_owned()),
                (Role::Output, "01/09506000134352/10/L1".to_owned()),
            ]
        );
        assert_eq!(t.biz_step.as_deref(), Some("commissioning"));
        assert_eq!(t.location(), Some("urn:epc:id:sgln:9506000.00001.0"));
        assert_eq!(
            t.time,
            OffsetDateTime::parse("2026-11-01T00:00:00Z", &Rfc3339).expect("time")
        );
        let o = &events[1];
        assert_eq!(o.disposition.as_deref(), Some("conformant"));
        assert_eq!(o.certifications, ["https://lab.example.cn/reports/QC-7"]);
        let a = &events[2];
        assert_eq!(a.action, Some(Action::Add));
        assert_eq!(
            a.subjects,
            vec![
                (Role::Parent, "00/106141412345678908".to_owned()),
                (Role::Child, "01/09506000134352/21/1".to_owned()),
            ]
        );
        assert_eq!(a.document["eventID"], "urn:uuid:a1");
    }

    #[test]
    fn bad_events_name_the_event_and_the_field() {
        let cases = [
            (
                r#"{"type":"AssociationEvent","eventID":"x"}"#,
                "event 1: type:",
            ),
            (
                r#"{"type":"ObjectEvent","eventTime":"2026-11-01T00:00:00Z","action":"ADD","epcList":["urn:x:1"]}"#,
                "event 1: eventID: missing",
            ),
            (
                r#"{"type":"ObjectEvent","eventID":"e","eventTime":"yesterday","action":"ADD","epcList":["urn:x:1"]}"#,
                "event 1: eventTime:",
            ),
            (
                r#"{"type":"ObjectEvent","eventID":"e","eventTime":"2026-11-01T00:00:00Z","epcList":["urn:x:1"]}"#,
                "event 1: action: missing",
            ),
            (
                r#"{"type":"ObjectEvent","eventID":"e","eventTime":"2026-11-01T00:00:00Z","action":"ADD"}"#,
                "names no objects",
            ),
            (
                r#"{"type":"AggregationEvent","eventID":"e","eventTime":"2026-11-01T00:00:00Z","action":"ADD","childEPCs":["urn:x:1"]}"#,
                "parentID: missing",
            ),
            (
                r#"{"type":"EPCISDocument","epcisBody":{"eventList":[]}}"#,
                "no events",
            ),
            ("[1,2]", "type: missing"),
            ("{", "not JSON"),
        ];
        for (body, expected) in cases {
            let message = parse_json_ld(body.as_bytes()).expect_err(body).to_string();
            assert!(message.contains(expected), "{body}: {message}");
        }
    }

    #[test]
    fn csv_rows_read_like_the_same_json_ld() {
        let csv = "event_id,type,time,action,biz_step,biz_location,parent,objects,certification\n\
                   e1,ObjectEvent,2026-11-02T09:00:00Z,OBSERVE,inspecting,,,https://id.gs1.org/01/09506000134352/10/L1,https://lab.example.cn/QC-7\n\
                   e2,AggregationEvent,2026-11-03T09:00:00Z,ADD,packing,urn:epc:id:sgln:9506000.00002.0,urn:epc:id:sscc:0614141.1234567890,https://id.gs1.org/01/09506000134352/21/1 https://id.gs1.org/01/09506000134352/21/2,\n";
        let events = parse_csv(csv.as_bytes()).expect("parses");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].certifications, ["https://lab.example.cn/QC-7"]);
        assert_eq!(events[1].subjects.len(), 3);
        assert_eq!(
            events[1].document["childEPCs"][1],
            "https://id.gs1.org/01/09506000134352/21/2"
        );

        let message = parse_csv(b"event_id,type,when\n")
            .expect_err("column")
            .to_string();
        assert!(message.contains("unknown column \"when\""), "{message}");
        let message = parse_csv(
            b"event_id,type,time,action,objects\ne1,ObjectEvent,2026-11-02T09:00:00Z,ADD,lot7\n",
        )
        .expect_err("identifier")
        .to_string();
        assert!(message.starts_with("line 2: objects:"), "{message}");
    }
}
