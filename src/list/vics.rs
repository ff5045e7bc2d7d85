//! Project VIC VICS JSON 1.1–1.3 and 2.0 (also UK CAID exports and NIST CAID files),
//! stream-parsed so a multi-GB export loads in bounded memory.
//!
//! Owns docs/list-formats.md §vics: version, region and feed from `odata.metadata` /
//! `@odata.context`; the shape taken from content, never from the label (a `value[]` item
//! with a `Media` array is a Case, anything else a Media; RECON labels Case feeds
//! `#Media`); keys matched case-insensitively; ids, sizes, categories and flags as numbers
//! or strings; hashes in either case, `""` meaning absent; SHA-256 and PhotoDNA also from
//! `AlternativeHashes`; PhotoDNA kept opaque. Unknown keys are skipped unread.
//!
//! Why `struson`: a pull parser hands us one token at a time with its line, column and byte
//! offset, so an entry's error names where the entry starts, type-flexible fields are a
//! `peek` away, and nothing but the current Media is ever held. serde's `DeserializeSeed`
//! over `from_reader` would stream too, but its visitors cannot see positions (errors would
//! point at the end of the entry) and every type variant needs its own visitor method.

use std::io::BufRead;

use struson::reader::{JsonReader, JsonStreamReader, ReaderError, ReaderSettings, ValueType};

use super::category::CategoryScheme;
use super::collect::Collector;
use super::record::{EntryFlags, FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

/// Either a JSON syntax/structure error (fatal) or a load-policy error from the collector.
enum Stop {
    Json(ReaderError),
    List(ListError),
}

impl From<ReaderError> for Stop {
    fn from(e: ReaderError) -> Self {
        Stop::Json(e)
    }
}

impl From<ListError> for Stop {
    fn from(e: ListError) -> Self {
        Stop::List(e)
    }
}

type Json<'r, R> = JsonStreamReader<&'r mut R>;

/// A JSON scalar as VICS writers vary it.
enum Scalar {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    /// An object or array where a scalar belongs (skipped).
    Other,
}

fn read_scalar<R: BufRead>(json: &mut Json<'_, R>) -> Result<Scalar, ReaderError> {
    Ok(match json.peek()? {
        ValueType::String => Scalar::Str(json.next_string()?),
        ValueType::Number => Scalar::Num(json.next_number_as_string()?),
        ValueType::Boolean => Scalar::Bool(json.next_bool()?),
        ValueType::Null => {
            json.next_null()?;
            Scalar::Null
        }
        ValueType::Array | ValueType::Object => {
            json.skip_value()?;
            Scalar::Other
        }
    })
}

fn location<R: BufRead>(json: &Json<'_, R>) -> Location {
    let pos = json.current_position(false);
    let (line, column) = pos.line_pos.map_or((0, 0), |l| (l.line + 1, l.column + 1));
    Location::Json {
        line,
        column,
        offset: pos.data_pos.unwrap_or(0),
    }
}

/// One Media entity as read, before validation.
#[derive(Default)]
struct Media {
    id: Option<String>,
    category: Option<String>,
    md5: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
    photodna: Option<String>,
    size: Option<u64>,
    series: Option<String>,
    tags: Option<String>,
    flags: EntryFlags,
    /// First field of the wrong type; the entry is rejected when complete.
    problem: Option<String>,
}

impl Media {
    fn note(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }

    /// Text of a string or number; `None` for null or `""`.
    fn text(&mut self, key: &str, s: Scalar) -> Option<String> {
        match s {
            Scalar::Str(t) | Scalar::Num(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            Scalar::Null => None,
            Scalar::Bool(_) | Scalar::Other => {
                self.note(format!("{key} must be a string or number"));
                None
            }
        }
    }

    fn flag(&mut self, key: &str, s: Scalar) -> Option<bool> {
        match s {
            Scalar::Bool(b) => Some(b),
            Scalar::Null => None,
            Scalar::Str(t) if t.trim().eq_ignore_ascii_case("true") => Some(true),
            Scalar::Str(t) if t.trim().eq_ignore_ascii_case("false") => Some(false),
            Scalar::Str(t) if t.trim().is_empty() => None,
            _ => {
                self.note(format!("{key} must be true or false"));
                None
            }
        }
    }

    fn field<R: BufRead>(&mut self, key: &str, json: &mut Json<'_, R>) -> Result<(), ReaderError> {
        match key {
            "alternativehashes" if json.peek()? == ValueType::Array => {
                return self.alternatives(json)
            }
            "mediaid" | "category" | "md5" | "sha1" | "sha256" | "photodna" | "mediasize"
            | "series" | "tags" | "victimidentified" | "offenderidentified" | "isdistributed"
            | "isprecategorized" => {}
            _ => return json.skip_value(),
        }
        let s = read_scalar(json)?;
        match key {
            "mediaid" => self.id = self.text(key, s),
            "category" => self.category = self.text(key, s),
            "md5" => self.md5 = self.text(key, s),
            "sha1" => self.sha1 = self.text(key, s),
            "sha256" => self.sha256 = self.text(key, s),
            "photodna" => self.photodna = self.text(key, s),
            "series" => self.series = self.text(key, s),
            "tags" => self.tags = self.text(key, s),
            "mediasize" => {
                let t = self.text(key, s);
                self.size = t.and_then(|t| match t.parse() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        self.note(format!("MediaSize {t:?} is not a byte count"));
                        None
                    }
                });
            }
            "victimidentified" => self.flags.victim_identified = self.flag(key, s),
            "offenderidentified" => self.flags.offender_identified = self.flag(key, s),
            "isdistributed" => self.flags.is_distributed = self.flag(key, s),
            _ => self.flags.is_precategorized = self.flag(key, s),
        }
        Ok(())
    }

    /// `AlternativeHashes: [{HashName, HashValue}]`: SHA-256 and PhotoDNA live here
    /// (docs/list-formats.md §vics-alternative-hashes).
    fn alternatives<R: BufRead>(&mut self, json: &mut Json<'_, R>) -> Result<(), ReaderError> {
        json.begin_array()?;
        while json.has_next()? {
            if json.peek()? != ValueType::Object {
                json.skip_value()?;
                continue;
            }
            let (mut name, mut value) = (None, None);
            json.begin_object()?;
            while json.has_next()? {
                let key = json.next_name()?.to_ascii_lowercase();
                match key.as_str() {
                    "hashname" => name = self.text("HashName", read_scalar(json)?),
                    "hashvalue" => value = self.text("HashValue", read_scalar(json)?),
                    _ => json.skip_value()?,
                }
            }
            json.end_object()?;
            let slot = match name
                .map(|n| n.replace('-', "").to_ascii_lowercase())
                .as_deref()
            {
                Some("sha256") => &mut self.sha256,
                Some("photodna") => &mut self.photodna,
                Some("sha1") => &mut self.sha1,
                Some("md5") => &mut self.md5,
                _ => continue,
            };
            if slot.is_none() {
                *slot = value;
            }
        }
        json.end_array()
    }

    /// Validates and converts; `Err` is the reason to reject the entry.
    fn into_record(self, c: &mut Collector, at: Location) -> Result<Record, String> {
        let who = format!("MediaID {}", self.id.as_deref().unwrap_or("?"));
        if let Some(p) = self.problem {
            return Err(format!("{who}: {p}"));
        }
        let mut hashes = Vec::new();
        for (alg, text) in [
            (Algorithm::Md5, &self.md5),
            (Algorithm::Sha1, &self.sha1),
            (Algorithm::Sha256, &self.sha256),
        ] {
            if let Some(t) = text {
                let v =
                    HashValue::parse_hex(alg, t).map_err(|e| format!("{who}: {alg} {t:?}: {e}"))?;
                hashes.push(v);
            }
        }
        // IPED accepts base64 of 144 bytes (192 chars) or hex (288 chars) only.
        let photodna = self.photodna.filter(|p| {
            let ok = matches!(p.len(), 192 | 288);
            if !ok {
                c.warn(
                    Some(at),
                    format!("{who}: PhotoDNA of {} characters ignored", p.len()),
                );
            }
            ok
        });
        Ok(Record {
            hashes,
            id: self.id,
            category: self.category,
            label: None,
            series: self.series,
            tags: self.tags,
            flags: self.flags,
            quality: None,
            size: self.size,
            photodna,
        })
    }
}

/// What the document said about itself and what its content turned out to be.
#[derive(Default)]
struct Doc {
    version: Option<String>,
    region: Option<String>,
    label: Option<String>,
    saw_value: bool,
    cases: u64,
    media_items: u64,
}

impl Doc {
    fn context(&mut self, url: &str) {
        self.version = url
            .split_once("DataModels/")
            .and_then(|(_, rest)| rest.split_once(".xml"))
            .map(|(v, _)| v.to_string());
        self.region = url
            .split_once(".xml/")
            .and_then(|(_, rest)| rest.split('/').next())
            .filter(|r| !r.is_empty() && !r.starts_with('$'))
            .map(str::to_string);
        self.label = url.rsplit_once('#').map(|(_, f)| f.to_string());
    }

    fn info(&self) -> FormatInfo {
        let shape = match (self.cases > 0, self.media_items > 0) {
            (true, true) => "mixed Cases and Media feed",
            (true, false) => "Cases feed",
            _ => "Media feed",
        };
        let mut variant = match &self.region {
            Some(r) => format!("region {r}, {shape}"),
            None => shape.to_string(),
        };
        if let Some(label) = &self.label {
            if !shape.starts_with(label.as_str()) {
                variant.push_str(&format!(" (labelled #{label})"));
            }
        }
        FormatInfo {
            version: self.version.clone(),
            variant: Some(variant),
            scheme: CategoryScheme::for_vics_region(self.region.as_deref()),
        }
    }
}

pub(crate) fn parse<R: BufRead>(
    reader: &mut R,
    c: &mut Collector,
) -> Result<FormatInfo, ListError> {
    let head = reader.fill_buf().map_err(|source| ListError::Io {
        path: c.path().to_path_buf(),
        error: source,
    })?;
    if head.starts_with(b"\xef\xbb\xbf") {
        reader.consume(3);
    }
    let settings = ReaderSettings {
        track_path: false,
        ..ReaderSettings::default()
    };
    let mut json = JsonStreamReader::new_custom(&mut *reader, settings);
    let mut doc = Doc::default();
    match document(&mut json, &mut doc, c).and_then(|()| Ok(json.consume_trailing_whitespace()?)) {
        Ok(()) => {}
        Err(Stop::List(e)) => return Err(e),
        Err(Stop::Json(e)) => {
            return Err(c.malformed(json_location(&e), format!("invalid JSON: {e}")))
        }
    }
    if !doc.saw_value {
        return Err(c.malformed(Location::Line(1), "no top-level \"value\" array".into()));
    }
    Ok(doc.info())
}

/// Position carried by a struson error, where it has one.
fn json_location(e: &ReaderError) -> Location {
    let pos = match e {
        ReaderError::SyntaxError(s) => Some(&s.location),
        ReaderError::UnexpectedValueType { location, .. }
        | ReaderError::UnexpectedStructure { location, .. }
        | ReaderError::MaxNestingDepthExceeded { location, .. }
        | ReaderError::UnsupportedNumberValue { location, .. }
        | ReaderError::IoError { location, .. } => Some(location),
        _ => None,
    };
    let line = pos.and_then(|p| p.line_pos);
    Location::Json {
        line: line.map_or(0, |l| l.line + 1),
        column: line.map_or(0, |l| l.column + 1),
        offset: pos.and_then(|p| p.data_pos).unwrap_or(0),
    }
}

fn document<R: BufRead>(
    json: &mut Json<'_, R>,
    doc: &mut Doc,
    c: &mut Collector,
) -> Result<(), Stop> {
    json.begin_object()?;
    while json.has_next()? {
        let at = location(json);
        let key = json.next_name()?.to_ascii_lowercase();
        match key.as_str() {
            "odata.metadata" | "@odata.context" => match read_scalar(json)? {
                Scalar::Str(url) => doc.context(&url),
                _ => c.warn(Some(at), format!("{key} is not a string")),
            },
            "value" if json.peek()? == ValueType::Array => {
                doc.saw_value = true;
                json.begin_array()?;
                while json.has_next()? {
                    item(json, doc, c)?;
                }
                json.end_array()?;
            }
            _ => {
                // IPED aborts on unexpected top-level keys; a warning is enough
                // (docs/list-formats.md §vics-top-level).
                c.warn(
                    Some(at),
                    format!("unexpected top-level key {key:?} ignored"),
                );
                json.skip_value()?;
            }
        }
    }
    json.end_object()?;
    Ok(())
}

/// One `value[]` item: a Case (has a `Media` array) or a Media.
fn item<R: BufRead>(json: &mut Json<'_, R>, doc: &mut Doc, c: &mut Collector) -> Result<(), Stop> {
    let at = location(json);
    if json.peek()? != ValueType::Object {
        json.skip_value()?;
        return Ok(c.reject(at, "value[] item is not an object".into())?);
    }
    json.begin_object()?;
    let mut media = Media::default();
    let mut is_case = false;
    while json.has_next()? {
        let key = json.next_name()?.to_ascii_lowercase();
        if key == "media" && json.peek()? == ValueType::Array {
            is_case = true;
            json.begin_array()?;
            while json.has_next()? {
                one_media(json, c)?;
            }
            json.end_array()?;
        } else {
            media.field(&key, json)?;
        }
    }
    json.end_object()?;
    if is_case {
        doc.cases += 1;
        return Ok(());
    }
    doc.media_items += 1;
    emit(media, at, c)
}

fn one_media<R: BufRead>(json: &mut Json<'_, R>, c: &mut Collector) -> Result<(), Stop> {
    let at = location(json);
    if json.peek()? != ValueType::Object {
        json.skip_value()?;
        return Ok(c.reject(at, "Media item is not an object".into())?);
    }
    json.begin_object()?;
    let mut media = Media::default();
    while json.has_next()? {
        let key = json.next_name()?.to_ascii_lowercase();
        media.field(&key, json)?;
    }
    json.end_object()?;
    emit(media, at, c)
}

fn emit(media: Media, at: Location, c: &mut Collector) -> Result<(), Stop> {
    match media.into_record(c, at) {
        Ok(record) => c.accept(&record, at)?,
        Err(reason) => c.reject(at, reason)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_region_and_label_from_the_context() {
        let mut d = Doc::default();
        d.context(
            "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
        );
        assert_eq!(
            (
                d.version.as_deref(),
                d.region.as_deref(),
                d.label.as_deref()
            ),
            (Some("2.0"), Some("US"), Some("Cases"))
        );
        d.cases = 1;
        assert_eq!(d.info().variant.as_deref(), Some("region US, Cases feed"));
        d.context(
            "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media",
        );
        assert_eq!(
            d.info().variant.as_deref(),
            Some("region CUSTOM, Cases feed (labelled #Media)")
        );
        let mut one = Doc::default();
        one.context("http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media");
        assert_eq!(
            (one.version.as_deref(), one.region.as_deref()),
            (Some("1.3"), None)
        );
        assert_eq!(one.info().scheme, CategoryScheme::VicsUs);
    }
}
