//! The IPP/1.1 binary message format (RFC 8010 section 3), encoded and
//! decoded.
//!
//! A message is an 8-octet header (version, operation-id or status-code,
//! request-id) followed by attribute groups, each opened by a delimiter tag
//! (0x00..=0x0F) and holding tag-length-value fields, and closed by the
//! end-of-attributes tag 0x03. A field with name-length 0 is one more value
//! of the attribute before it (a `1setOf`). Collections (RFC 8010 3.1.6) are
//! spelled out as a begCollection value, memberAttrName fields each followed
//! by the member's values, and an endCollection field.
//!
//! Written from the RFC rather than taken from a library because the
//! gateway needs one request and a careful reader of the answer: printers
//! are untrusted input. So decoding checks every length against what is left
//! before slicing, bounds counts and nesting ([`MAX_ATTRIBUTES`],
//! [`MAX_VALUES`], [`MAX_COLLECTION_DEPTH`]) so that memory stays a small
//! multiple of the input, never panics, and stops at the first problem with a
//! [`CodecError`] saying what and where. Within those rules it is lenient
//! where leniency costs nothing: strings are decoded lossily (one bad byte in
//! a printer's name must not hide its toner levels), and unknown tags are
//! kept raw instead of refused.

use std::borrow::Cow;

/// Attributes accepted in one message, across all groups, collection members
/// included. A big MFP answers a full Get-Printer-Attributes with a few
/// hundred; more than this is a broken or hostile printer.
pub const MAX_ATTRIBUTES: usize = 4096;
/// Values accepted for one attribute (a `1setOf` longer than this is refused).
pub const MAX_VALUES: usize = 1024;
/// Nested begCollection accepted: a collection inside a collection ... this
/// deep at most. Also bounds the decoder's recursion.
pub const MAX_COLLECTION_DEPTH: usize = 8;
/// Groups accepted in one message. Each group tag is a single octet, so
/// without a bound a message of group tags alone would cost far more memory
/// than its size; a legitimate message has no more groups than attributes.
pub const MAX_GROUPS: usize = MAX_ATTRIBUTES;

/// Get-Printer-Attributes (RFC 8011 4.2.5), the operation a poll sends.
pub const GET_PRINTER_ATTRIBUTES: u16 = 0x000B;

/// end-of-attributes-tag: the attribute part of the message ends here.
const TAG_END_OF_ATTRIBUTES: u8 = 0x03;
/// Tags below this are delimiters (group starts, end of attributes).
const FIRST_VALUE_TAG: u8 = 0x10;
/// 'no-value' out-of-band value, written for an attribute without values.
const TAG_NO_VALUE: u8 = 0x13;
const TAG_INTEGER: u8 = 0x21;
const TAG_BOOLEAN: u8 = 0x22;
const TAG_ENUM: u8 = 0x23;
const TAG_OCTET_STRING: u8 = 0x30;
const TAG_DATE_TIME: u8 = 0x31;
const TAG_RESOLUTION: u8 = 0x32;
const TAG_RANGE: u8 = 0x33;
const TAG_BEG_COLLECTION: u8 = 0x34;
const TAG_TEXT_WITH_LANGUAGE: u8 = 0x35;
const TAG_NAME_WITH_LANGUAGE: u8 = 0x36;
const TAG_END_COLLECTION: u8 = 0x37;
const TAG_TEXT: u8 = 0x41;
const TAG_NAME: u8 = 0x42;
const TAG_KEYWORD: u8 = 0x44;
const TAG_URI: u8 = 0x45;
const TAG_URI_SCHEME: u8 = 0x46;
const TAG_CHARSET: u8 = 0x47;
const TAG_NATURAL_LANGUAGE: u8 = 0x48;
const TAG_MIME_MEDIA_TYPE: u8 = 0x49;
const TAG_MEMBER_ATTR_NAME: u8 = 0x4A;

/// Longest name or value a 2-octet length can announce.
const MAX_LEN: usize = u16::MAX as usize;

/// One attribute value, by its value tag.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// integer (0x21).
    Integer(i32),
    /// boolean (0x22). Any non-zero octet reads as true.
    Boolean(bool),
    /// enum (0x23), e.g. `printer-state` 3 idle, 4 processing, 5 stopped.
    Enum(i32),
    /// octetString (0x30); also the unassigned octetString tags 0x38..=0x3F,
    /// which encode back as 0x30.
    OctetString(Vec<u8>),
    /// dateTime (0x31), the 11 octets of RFC 2579 DateAndTime kept raw (its
    /// length is not checked: a bad clock must not hide the supplies).
    DateTime(Vec<u8>),
    /// resolution (0x32): cross-feed, feed, units (3 dpi, 4 dots per cm).
    Resolution { x: i32, y: i32, units: i8 },
    /// rangeOfInteger (0x33).
    Range { lower: i32, upper: i32 },
    /// collection (0x34 begCollection .. 0x37 endCollection): the members.
    Collection(Vec<Attribute>),
    /// textWithLanguage (0x35).
    TextWithLanguage { language: String, text: String },
    /// nameWithLanguage (0x36).
    NameWithLanguage { language: String, name: String },
    /// textWithoutLanguage (0x41).
    Text(String),
    /// nameWithoutLanguage (0x42).
    Name(String),
    /// keyword (0x44).
    Keyword(String),
    /// uri (0x45).
    Uri(String),
    /// uriScheme (0x46).
    UriScheme(String),
    /// charset (0x47).
    Charset(String),
    /// naturalLanguage (0x48).
    NaturalLanguage(String),
    /// mimeMediaType (0x49).
    MimeMediaType(String),
    /// An out-of-band value (0x10..=0x1F): 0x10 unsupported, 0x12 unknown,
    /// 0x13 no-value. Its tag is the whole value.
    OutOfBand(u8),
    /// Any other value tag (unassigned ones, 0x7F extension), octets kept raw
    /// so that a newer printer's attribute does not fail the message.
    Other { tag: u8, bytes: Vec<u8> },
}

impl Value {
    /// The text of a string-like value: the character-string kinds, the text
    /// or name of the `*WithLanguage` kinds, and an octetString that is
    /// valid UTF-8 (printers put text in octetStrings, e.g. `printer-supply`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s)
            | Value::Name(s)
            | Value::Keyword(s)
            | Value::Uri(s)
            | Value::UriScheme(s)
            | Value::Charset(s)
            | Value::NaturalLanguage(s)
            | Value::MimeMediaType(s) => Some(s),
            Value::TextWithLanguage { text, .. } => Some(text),
            Value::NameWithLanguage { name, .. } => Some(name),
            Value::OctetString(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The number of an integer or enum value.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Value::Integer(n) | Value::Enum(n) => Some(*n),
            _ => None,
        }
    }
}

/// A named attribute and its values (more than one for a `1setOf`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<Value>,
}

/// The delimiter tag that opens a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupTag {
    /// operation-attributes-tag (0x01).
    Operation,
    /// job-attributes-tag (0x02).
    Job,
    /// printer-attributes-tag (0x04).
    Printer,
    /// unsupported-attributes-tag (0x05).
    Unsupported,
    /// Any other delimiter tag (0x00..=0x0F, e.g. 0x06 subscription): kept so
    /// that a message decodes whole. Never 0x03, which ends the attributes.
    Other(u8),
}

impl GroupTag {
    /// The tag octet on the wire.
    pub fn code(self) -> u8 {
        match self {
            GroupTag::Operation => 0x01,
            GroupTag::Job => 0x02,
            GroupTag::Printer => 0x04,
            GroupTag::Unsupported => 0x05,
            GroupTag::Other(tag) => tag,
        }
    }

    /// The group a delimiter tag opens.
    pub fn from_code(tag: u8) -> GroupTag {
        match tag {
            0x01 => GroupTag::Operation,
            0x02 => GroupTag::Job,
            0x04 => GroupTag::Printer,
            0x05 => GroupTag::Unsupported,
            other => GroupTag::Other(other),
        }
    }
}

/// One attribute group, attributes in wire order.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub tag: GroupTag,
    pub attributes: Vec<Attribute>,
}

/// An IPP request or response, without the document data that may follow
/// the end-of-attributes tag (a poll never sends or reads any).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// (major, minor): (1, 1) for IPP/1.1.
    pub version: (u8, u8),
    /// operation-id in a request, status-code in a response.
    pub code: u16,
    /// Chosen by the client, echoed by the printer.
    pub request_id: u32,
    pub groups: Vec<Group>,
}

/// Why a message could not be decoded. Each variant says where or which
/// attribute, so that a log line is enough to tell a truncated answer from a
/// printer's encoding bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The message ends inside the header, a field or a collection.
    #[error("IPP message truncated: the {reading} at byte {at} runs past the end")]
    Truncated {
        /// Offset of what could not be read whole.
        at: usize,
        /// What was being read (e.g. "value-length").
        reading: &'static str,
    },
    /// The message ends between fields without the end-of-attributes tag.
    #[error("IPP message ends without the end-of-attributes tag (0x03)")]
    NoEnd,
    /// More attributes (or groups) than the decoder accepts.
    #[error("IPP message has more than {limit} {what}")]
    TooMany {
        /// "attributes" or "groups".
        what: &'static str,
        /// The limit exceeded.
        limit: usize,
    },
    /// One attribute has more than [`MAX_VALUES`] values.
    #[error("IPP attribute {name:?} has more than {MAX_VALUES} values")]
    TooManyValues {
        /// The attribute (members of a collection as `outer.member`).
        name: String,
    },
    /// Collections nested more than [`MAX_COLLECTION_DEPTH`] deep.
    #[error("IPP collection {name:?} is nested more than {MAX_COLLECTION_DEPTH} deep")]
    TooDeep {
        /// The collection attribute holding the nesting.
        name: String,
    },
    /// A value whose octets do not fit its tag (e.g. an integer not 4 long).
    #[error("IPP attribute {name:?} has a bad value: {reason}")]
    BadValue {
        /// The attribute (members of a collection as `outer.member`).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value with name-length 0 that has no attribute to belong to.
    #[error(
        "IPP value at byte {at} has no name (an additional value) but no attribute \
         precedes it in its group"
    )]
    NoPreviousAttribute {
        /// Offset of the value's tag.
        at: usize,
    },
    /// An attribute before any group tag.
    #[error("IPP attribute at byte {at} comes before any group tag")]
    OutsideGroup {
        /// Offset of the attribute's tag.
        at: usize,
    },
    /// A tag where the collection syntax does not allow it.
    #[error("IPP tag 0x{tag:02x} at byte {at} is misplaced: {reason}")]
    Misplaced {
        /// The tag.
        tag: u8,
        /// Its offset.
        at: usize,
        /// The rule broken.
        reason: &'static str,
    },
}

impl Message {
    /// The RFC 8010 encoding: header, each group's tag and attributes (extra
    /// values with name-length 0, collections spelled out with
    /// memberAttrName/endCollection), then end-of-attributes.
    ///
    /// Encoding cannot fail, so what the wire cannot carry is adapted rather
    /// than refused: an attribute without values is sent with the out-of-band
    /// 'no-value' (a collection member without values as its name alone),
    /// and names or values longer than 65535 octets are cut to that length.
    /// An attribute with an empty name would read back as extra values of
    /// the one before it; the decoder never produces one.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&[self.version.0, self.version.1]);
        out.extend_from_slice(&self.code.to_be_bytes());
        out.extend_from_slice(&self.request_id.to_be_bytes());
        for group in &self.groups {
            out.push(group.tag.code());
            for attribute in &group.attributes {
                encode_attribute(&mut out, &attribute.name, &attribute.values);
            }
        }
        out.push(TAG_END_OF_ATTRIBUTES);
        out
    }

    /// Decodes a message, ignoring whatever follows end-of-attributes.
    ///
    /// Every problem is an error, never a panic: truncation anywhere, a
    /// missing end-of-attributes, values whose length does not fit their tag,
    /// misplaced collection tags, and more than the `MAX_*` limits.
    pub fn decode(bytes: &[u8]) -> Result<Message, CodecError> {
        let mut r = Reader { bytes, pos: 0 };
        let [major, minor] = r.array("version-number")?;
        let code = u16::from_be_bytes(r.array("operation-id/status-code")?);
        let request_id = u32::from_be_bytes(r.array("request-id")?);
        let mut groups: Vec<Group> = Vec::new();
        let mut attributes = 0usize;
        loop {
            let Some((at, tag)) = r.next_tag() else {
                return Err(CodecError::NoEnd);
            };
            if tag == TAG_END_OF_ATTRIBUTES {
                return Ok(Message {
                    version: (major, minor),
                    code,
                    request_id,
                    groups,
                });
            }
            if tag < FIRST_VALUE_TAG {
                if groups.len() >= MAX_GROUPS {
                    return Err(CodecError::TooMany {
                        what: "groups",
                        limit: MAX_GROUPS,
                    });
                }
                groups.push(Group {
                    tag: GroupTag::from_code(tag),
                    attributes: Vec::new(),
                });
                continue;
            }
            let field = r.field()?;
            let group = groups.last_mut().ok_or(CodecError::OutsideGroup { at })?;
            if tag == TAG_END_COLLECTION || tag == TAG_MEMBER_ATTR_NAME {
                return Err(CodecError::Misplaced {
                    tag,
                    at,
                    reason: "endCollection and memberAttrName belong inside a collection",
                });
            }
            if !field.name.is_empty() {
                count_attribute(&mut attributes)?;
                group.attributes.push(Attribute {
                    name: lossy(field.name),
                    values: Vec::new(),
                });
            }
            // A new attribute was just pushed; otherwise the value is one more
            // of the attribute before it.
            let attribute = group
                .attributes
                .last_mut()
                .ok_or(CodecError::NoPreviousAttribute { at })?;
            let value = if tag == TAG_BEG_COLLECTION {
                Value::Collection(read_collection(
                    &mut r,
                    &attribute.name,
                    1,
                    &mut attributes,
                )?)
            } else {
                decode_value(tag, field.value).map_err(|reason| CodecError::BadValue {
                    name: attribute.name.clone(),
                    reason,
                })?
            };
            push_value(&mut attribute.values, value, || attribute.name.clone())?;
        }
    }

    /// The first attribute named `name` in any group of tag `tag`.
    pub fn attribute(&self, tag: GroupTag, name: &str) -> Option<&Attribute> {
        self.groups
            .iter()
            .filter(|g| g.tag == tag)
            .flat_map(|g| &g.attributes)
            .find(|a| a.name == name)
    }

    /// Status codes 0x0000..=0x00FF are successful (RFC 8011 B.1.2); the
    /// rest are informational, redirection or errors.
    pub fn is_success(&self) -> bool {
        self.code <= 0x00FF
    }
}

/// The request a poll sends: IPP/1.1 Get-Printer-Attributes with, in this
/// order, attributes-charset "utf-8", attributes-natural-language "en",
/// printer-uri, requesting-user-name "asr-gateway" and requested-attributes
/// (the `requested` keywords as one `1setOf`). An empty `requested` leaves
/// requested-attributes out, which asks the printer for all its attributes.
pub fn get_printer_attributes(request_id: u32, printer_uri: &str, requested: &[&str]) -> Message {
    let attribute = |name: &str, value: Value| Attribute {
        name: name.to_owned(),
        values: vec![value],
    };
    let mut attributes = vec![
        attribute("attributes-charset", Value::Charset("utf-8".to_owned())),
        attribute(
            "attributes-natural-language",
            Value::NaturalLanguage("en".to_owned()),
        ),
        attribute("printer-uri", Value::Uri(printer_uri.to_owned())),
        attribute(
            "requesting-user-name",
            Value::Name("asr-gateway".to_owned()),
        ),
    ];
    if !requested.is_empty() {
        attributes.push(Attribute {
            name: "requested-attributes".to_owned(),
            values: requested
                .iter()
                .map(|k| Value::Keyword((*k).to_owned()))
                .collect(),
        });
    }
    Message {
        version: (1, 1),
        code: GET_PRINTER_ATTRIBUTES,
        request_id,
        groups: vec![Group {
            tag: GroupTag::Operation,
            attributes,
        }],
    }
}

// ---------------------------------------------------------------- encoding

/// An attribute (or a collection member, with an empty name): the first
/// value carries the name, the others name-length 0.
fn encode_attribute(out: &mut Vec<u8>, name: &str, values: &[Value]) {
    if values.is_empty() && !name.is_empty() {
        put_field(out, TAG_NO_VALUE, name.as_bytes(), b"");
    }
    for (i, value) in values.iter().enumerate() {
        encode_value(out, if i == 0 { name } else { "" }, value);
    }
}

fn encode_value(out: &mut Vec<u8>, name: &str, value: &Value) {
    let (tag, body): (u8, Cow<'_, [u8]>) = match value {
        Value::Collection(members) => {
            put_field(out, TAG_BEG_COLLECTION, name.as_bytes(), b"");
            for member in members {
                put_field(out, TAG_MEMBER_ATTR_NAME, b"", member.name.as_bytes());
                encode_attribute(out, "", &member.values);
            }
            put_field(out, TAG_END_COLLECTION, b"", b"");
            return;
        }
        Value::Integer(n) => (TAG_INTEGER, Cow::Owned(n.to_be_bytes().to_vec())),
        Value::Boolean(b) => (TAG_BOOLEAN, Cow::Owned(vec![u8::from(*b)])),
        Value::Enum(n) => (TAG_ENUM, Cow::Owned(n.to_be_bytes().to_vec())),
        Value::OctetString(bytes) => (TAG_OCTET_STRING, Cow::Borrowed(bytes.as_slice())),
        Value::DateTime(bytes) => (TAG_DATE_TIME, Cow::Borrowed(bytes.as_slice())),
        Value::Resolution { x, y, units } => {
            let mut body = Vec::with_capacity(9);
            body.extend_from_slice(&x.to_be_bytes());
            body.extend_from_slice(&y.to_be_bytes());
            body.extend_from_slice(&units.to_be_bytes());
            (TAG_RESOLUTION, Cow::Owned(body))
        }
        Value::Range { lower, upper } => {
            let mut body = Vec::with_capacity(8);
            body.extend_from_slice(&lower.to_be_bytes());
            body.extend_from_slice(&upper.to_be_bytes());
            (TAG_RANGE, Cow::Owned(body))
        }
        Value::TextWithLanguage { language, text } => (
            TAG_TEXT_WITH_LANGUAGE,
            Cow::Owned(with_language_body(language, text)),
        ),
        Value::NameWithLanguage { language, name } => (
            TAG_NAME_WITH_LANGUAGE,
            Cow::Owned(with_language_body(language, name)),
        ),
        Value::Text(s) => (TAG_TEXT, Cow::Borrowed(s.as_bytes())),
        Value::Name(s) => (TAG_NAME, Cow::Borrowed(s.as_bytes())),
        Value::Keyword(s) => (TAG_KEYWORD, Cow::Borrowed(s.as_bytes())),
        Value::Uri(s) => (TAG_URI, Cow::Borrowed(s.as_bytes())),
        Value::UriScheme(s) => (TAG_URI_SCHEME, Cow::Borrowed(s.as_bytes())),
        Value::Charset(s) => (TAG_CHARSET, Cow::Borrowed(s.as_bytes())),
        Value::NaturalLanguage(s) => (TAG_NATURAL_LANGUAGE, Cow::Borrowed(s.as_bytes())),
        Value::MimeMediaType(s) => (TAG_MIME_MEDIA_TYPE, Cow::Borrowed(s.as_bytes())),
        Value::OutOfBand(tag) => (*tag, Cow::Borrowed(&[][..])),
        Value::Other { tag, bytes } => (*tag, Cow::Borrowed(bytes.as_slice())),
    };
    put_field(out, tag, name.as_bytes(), &body);
}

/// The value of a `*WithLanguage` attribute (RFC 8010 3.9): language and
/// text each with a 2-octet length, cut so that the whole fits in 65535.
fn with_language_body(language: &str, text: &str) -> Vec<u8> {
    let language = clip(language.as_bytes(), MAX_LEN - 4);
    let text = clip(text.as_bytes(), MAX_LEN - 4 - language.len());
    let mut body = Vec::with_capacity(4 + language.len() + text.len());
    put_prefixed(&mut body, language);
    put_prefixed(&mut body, text);
    body
}

/// One field: tag, name-length, name, value-length, value.
fn put_field(out: &mut Vec<u8>, tag: u8, name: &[u8], value: &[u8]) {
    out.push(tag);
    put_prefixed(out, name);
    put_prefixed(out, value);
}

/// Octets after their 2-octet big-endian length, cut to 65535.
fn put_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = clip(bytes, MAX_LEN);
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

fn clip(bytes: &[u8], max: usize) -> &[u8] {
    bytes.get(..max).unwrap_or(bytes)
}

// ---------------------------------------------------------------- decoding

/// A cursor over untrusted octets: every read is checked against the end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A field after its tag, name and value still raw.
struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, reading: &'static str) -> Result<&'a [u8], CodecError> {
        let out = self
            .bytes
            .get(self.pos..)
            .and_then(|rest| rest.get(..n))
            .ok_or(CodecError::Truncated {
                at: self.pos,
                reading,
            })?;
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, reading: &'static str) -> Result<[u8; N], CodecError> {
        let at = self.pos;
        let slice = self.take(N, reading)?;
        <[u8; N]>::try_from(slice).map_err(|_| CodecError::Truncated { at, reading })
    }

    /// The next tag and its offset, or None at the end of the input.
    fn next_tag(&mut self) -> Option<(usize, u8)> {
        let at = self.pos;
        let tag = *self.bytes.get(at)?;
        self.pos += 1;
        Some((at, tag))
    }

    /// name-length, name, value-length, value.
    fn field(&mut self) -> Result<Field<'a>, CodecError> {
        let name_len = u16::from_be_bytes(self.array("name-length")?);
        let name = self.take(usize::from(name_len), "name")?;
        let value_len = u16::from_be_bytes(self.array("value-length")?);
        let value = self.take(usize::from(value_len), "value")?;
        Ok(Field { name, value })
    }
}

/// The members of a collection whose begCollection was just read, up to and
/// including its endCollection. `path` names it in errors (`outer.member`).
fn read_collection(
    r: &mut Reader<'_>,
    path: &str,
    depth: usize,
    attributes: &mut usize,
) -> Result<Vec<Attribute>, CodecError> {
    if depth > MAX_COLLECTION_DEPTH {
        return Err(CodecError::TooDeep {
            name: path.to_owned(),
        });
    }
    let mut members: Vec<Attribute> = Vec::new();
    loop {
        let Some((at, tag)) = r.next_tag() else {
            return Err(CodecError::Truncated {
                at: r.pos,
                reading: "endCollection",
            });
        };
        if tag < FIRST_VALUE_TAG {
            return Err(CodecError::Misplaced {
                tag,
                at,
                reason: "a delimiter tag inside a collection not closed by endCollection",
            });
        }
        let field = r.field()?;
        if !field.name.is_empty() {
            return Err(CodecError::Misplaced {
                tag,
                at,
                reason: "fields inside a collection must have name-length 0",
            });
        }
        match tag {
            TAG_END_COLLECTION => return Ok(members),
            TAG_MEMBER_ATTR_NAME => {
                count_attribute(attributes)?;
                members.push(Attribute {
                    name: lossy(field.value),
                    values: Vec::new(),
                });
            }
            _ => {
                let member = members.last_mut().ok_or(CodecError::Misplaced {
                    tag,
                    at,
                    reason: "a member value must follow a memberAttrName",
                })?;
                let member_path = || format!("{path}.{}", member.name);
                let value = if tag == TAG_BEG_COLLECTION {
                    Value::Collection(read_collection(r, &member_path(), depth + 1, attributes)?)
                } else {
                    decode_value(tag, field.value).map_err(|reason| CodecError::BadValue {
                        name: member_path(),
                        reason,
                    })?
                };
                push_value(&mut member.values, value, member_path)?;
            }
        }
    }
}

fn count_attribute(attributes: &mut usize) -> Result<(), CodecError> {
    if *attributes >= MAX_ATTRIBUTES {
        return Err(CodecError::TooMany {
            what: "attributes",
            limit: MAX_ATTRIBUTES,
        });
    }
    *attributes += 1;
    Ok(())
}

/// Adds a value unless the attribute already has [`MAX_VALUES`]; `name`
/// is only built for the error.
fn push_value(
    values: &mut Vec<Value>,
    value: Value,
    name: impl FnOnce() -> String,
) -> Result<(), CodecError> {
    if values.len() >= MAX_VALUES {
        return Err(CodecError::TooManyValues { name: name() });
    }
    values.push(value);
    Ok(())
}

/// A non-collection value from its tag and octets; the error is the reason,
/// the caller adds the attribute's name.
fn decode_value(tag: u8, raw: &[u8]) -> Result<Value, String> {
    let string = || lossy(raw);
    Ok(match tag {
        // Out-of-band values have no value; octets sent anyway are ignored.
        0x10..=0x1F => Value::OutOfBand(tag),
        TAG_INTEGER => Value::Integer(i32::from_be_bytes(fixed(raw, "an integer")?)),
        TAG_BOOLEAN => {
            let [b] = fixed(raw, "a boolean")?;
            Value::Boolean(b != 0)
        }
        TAG_ENUM => Value::Enum(i32::from_be_bytes(fixed(raw, "an enum")?)),
        TAG_OCTET_STRING | 0x38..=0x3F => Value::OctetString(raw.to_vec()),
        TAG_DATE_TIME => Value::DateTime(raw.to_vec()),
        TAG_RESOLUTION => {
            let [x0, x1, x2, x3, y0, y1, y2, y3, units] = fixed(raw, "a resolution")?;
            Value::Resolution {
                x: i32::from_be_bytes([x0, x1, x2, x3]),
                y: i32::from_be_bytes([y0, y1, y2, y3]),
                units: i8::from_be_bytes([units]),
            }
        }
        TAG_RANGE => {
            let [l0, l1, l2, l3, u0, u1, u2, u3] = fixed(raw, "a rangeOfInteger")?;
            Value::Range {
                lower: i32::from_be_bytes([l0, l1, l2, l3]),
                upper: i32::from_be_bytes([u0, u1, u2, u3]),
            }
        }
        TAG_TEXT_WITH_LANGUAGE => {
            let (language, text) = with_language(raw, "textWithLanguage")?;
            Value::TextWithLanguage { language, text }
        }
        TAG_NAME_WITH_LANGUAGE => {
            let (language, name) = with_language(raw, "nameWithLanguage")?;
            Value::NameWithLanguage { language, name }
        }
        TAG_TEXT => Value::Text(string()),
        TAG_NAME => Value::Name(string()),
        TAG_KEYWORD => Value::Keyword(string()),
        TAG_URI => Value::Uri(string()),
        TAG_URI_SCHEME => Value::UriScheme(string()),
        TAG_CHARSET => Value::Charset(string()),
        TAG_NATURAL_LANGUAGE => Value::NaturalLanguage(string()),
        TAG_MIME_MEDIA_TYPE => Value::MimeMediaType(string()),
        _ => Value::Other {
            tag,
            bytes: raw.to_vec(),
        },
    })
}

/// The octets of a fixed-size value, or why they are not.
fn fixed<const N: usize>(raw: &[u8], kind: &str) -> Result<[u8; N], String> {
    <[u8; N]>::try_from(raw)
        .map_err(|_| format!("{kind} value must be {N} octet(s) long, not {}", raw.len()))
}

/// language and text of a `*WithLanguage` value: two length-prefixed
/// strings that must fill the value exactly.
fn with_language(raw: &[u8], kind: &str) -> Result<(String, String), String> {
    let mut r = Reader { bytes: raw, pos: 0 };
    let mut part = |what: &str| -> Result<String, String> {
        let len = r
            .array::<2>("length")
            .map_err(|_| format!("{kind} value ends before its {what} length"))?;
        let bytes = r
            .take(usize::from(u16::from_be_bytes(len)), "string")
            .map_err(|_| format!("{kind} {what} runs past the end of the value"))?;
        Ok(lossy(bytes))
    };
    let language = part("language")?;
    let text = part("text")?;
    if r.pos != raw.len() {
        return Err(format!(
            "{kind} value has {} octet(s) after its text",
            raw.len() - r.pos
        ));
    }
    Ok((language, text))
}

/// UTF-8 with bad sequences replaced: one wrong byte must not fail the poll.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One field as RFC 8010 spells it, written independently of the encoder.
    fn field(tag: u8, name: &str, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value);
        out
    }

    fn attr(name: &str, values: Vec<Value>) -> Attribute {
        Attribute {
            name: name.to_owned(),
            values,
        }
    }

    fn header(code: u16, request_id: u32) -> Vec<u8> {
        let mut out = vec![0x01, 0x01];
        out.extend_from_slice(&code.to_be_bytes());
        out.extend_from_slice(&request_id.to_be_bytes());
        out
    }

    const SUPPLY_1: &str = "index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;\
                            maxcapacity=100;level=20;colorantname=unknown;";
    const SUPPLY_2: &str = "index=2;class=supplyThatIsConsumed;type=toner;unit=percent;\
                            maxcapacity=100;level=75;colorantname=black;";

    /// A Get-Printer-Attributes response as a colour MFP sends it, byte by
    /// byte, without the document data a response never has.
    fn response_bytes() -> Vec<u8> {
        let mut b = header(0x0000, 42);
        b.push(0x01); // operation-attributes-tag
        b.extend(field(0x47, "attributes-charset", b"utf-8"));
        b.extend(field(0x48, "attributes-natural-language", b"en"));
        b.push(0x04); // printer-attributes-tag
        b.extend(field(0x42, "printer-name", b"Office MFP"));
        b.extend(field(0x21, "marker-levels", &[0, 0, 0, 75]));
        b.extend(field(0x21, "", &[0, 0, 0, 40]));
        b.extend(field(0x21, "", &[0xFF, 0xFF, 0xFF, 0xFE])); // -2 unknown
        b.extend(field(0x30, "printer-supply", SUPPLY_1.as_bytes()));
        b.extend(field(0x30, "", SUPPLY_2.as_bytes()));
        b.extend(field(0x23, "printer-state", &[0, 0, 0, 3]));
        b.extend(field(0x44, "printer-state-reasons", b"toner-low-warning"));
        b.extend(field(0x34, "media-col-default", b""));
        b.extend(field(0x4A, "", b"media-size"));
        b.extend(field(0x34, "", b""));
        b.extend(field(0x4A, "", b"x-dimension"));
        b.extend(field(0x21, "", &21000i32.to_be_bytes()));
        b.extend(field(0x4A, "", b"y-dimension"));
        b.extend(field(0x21, "", &29700i32.to_be_bytes()));
        b.extend(field(0x37, "", b""));
        b.extend(field(0x4A, "", b"media-type"));
        b.extend(field(0x44, "", b"stationery"));
        b.extend(field(0x4A, "", b"media-source"));
        b.extend(field(0x44, "", b"tray-1"));
        b.extend(field(0x37, "", b""));
        b.extend(field(
            0x45,
            "printer-uri-supported",
            b"ipp://10.0.0.7/ipp/print",
        ));
        b.extend(field(0x45, "", b"ipps://10.0.0.7/ipp/print"));
        let mut info = vec![0x00, 0x02];
        info.extend_from_slice(b"de");
        info.extend_from_slice(&[0x00, 0x0A]); // "Büro 2.OG" is 10 octets
        info.extend_from_slice(b"B\xC3\xBCro 2.OG");
        b.extend(field(0x35, "printer-info", &info));
        b.extend(field(0x13, "printer-alert-description", b"")); // no-value
        b.push(0x03); // end-of-attributes-tag
        b
    }

    fn response_message() -> Message {
        Message {
            version: (1, 1),
            code: 0,
            request_id: 42,
            groups: vec![
                Group {
                    tag: GroupTag::Operation,
                    attributes: vec![
                        attr("attributes-charset", vec![Value::Charset("utf-8".into())]),
                        attr(
                            "attributes-natural-language",
                            vec![Value::NaturalLanguage("en".into())],
                        ),
                    ],
                },
                Group {
                    tag: GroupTag::Printer,
                    attributes: vec![
                        attr("printer-name", vec![Value::Name("Office MFP".into())]),
                        attr(
                            "marker-levels",
                            vec![Value::Integer(75), Value::Integer(40), Value::Integer(-2)],
                        ),
                        attr(
                            "printer-supply",
                            vec![
                                Value::OctetString(SUPPLY_1.as_bytes().to_vec()),
                                Value::OctetString(SUPPLY_2.as_bytes().to_vec()),
                            ],
                        ),
                        attr("printer-state", vec![Value::Enum(3)]),
                        attr(
                            "printer-state-reasons",
                            vec![Value::Keyword("toner-low-warning".into())],
                        ),
                        attr(
                            "media-col-default",
                            vec![Value::Collection(vec![
                                attr(
                                    "media-size",
                                    vec![Value::Collection(vec![
                                        attr("x-dimension", vec![Value::Integer(21000)]),
                                        attr("y-dimension", vec![Value::Integer(29700)]),
                                    ])],
                                ),
                                attr("media-type", vec![Value::Keyword("stationery".into())]),
                                attr("media-source", vec![Value::Keyword("tray-1".into())]),
                            ])],
                        ),
                        attr(
                            "printer-uri-supported",
                            vec![
                                Value::Uri("ipp://10.0.0.7/ipp/print".into()),
                                Value::Uri("ipps://10.0.0.7/ipp/print".into()),
                            ],
                        ),
                        attr(
                            "printer-info",
                            vec![Value::TextWithLanguage {
                                language: "de".into(),
                                text: "Büro 2.OG".into(),
                            }],
                        ),
                        attr("printer-alert-description", vec![Value::OutOfBand(0x13)]),
                    ],
                },
            ],
        }
    }

    #[test]
    fn decodes_a_printer_response() {
        let mut bytes = response_bytes();
        bytes.extend_from_slice(b"%!PS trailing document data is ignored");
        let m = Message::decode(&bytes).unwrap();
        assert_eq!(m, response_message());
        assert!(m.is_success());
        let state = m.attribute(GroupTag::Printer, "printer-state").unwrap();
        assert_eq!(state.values[0].as_i32(), Some(3));
        let supply = m.attribute(GroupTag::Printer, "printer-supply").unwrap();
        assert_eq!(supply.values[1].as_str(), Some(SUPPLY_2));
        let info = m.attribute(GroupTag::Printer, "printer-info").unwrap();
        assert_eq!(info.values[0].as_str(), Some("Büro 2.OG"));
        assert!(m.attribute(GroupTag::Operation, "printer-name").is_none());
        assert!(m.attribute(GroupTag::Job, "printer-name").is_none());
    }

    #[test]
    fn encodes_exactly_the_rfc_bytes() {
        assert_eq!(response_message().encode(), response_bytes());
    }

    #[test]
    fn every_value_kind_round_trips() {
        let nested = Value::Collection(vec![
            attr("inner-int", vec![Value::Integer(-7)]),
            attr(
                "inner-collection",
                vec![
                    Value::Collection(vec![attr("deep", vec![Value::Boolean(true)])]),
                    Value::Collection(vec![]),
                ],
            ),
            attr("empty-member", vec![]),
            attr("oob", vec![Value::OutOfBand(0x12)]),
        ]);
        let values = vec![
            Value::Integer(i32::MIN),
            Value::Boolean(false),
            Value::Boolean(true),
            Value::Enum(5),
            Value::OctetString(vec![0, 0xFF, 0x80]),
            Value::DateTime(vec![0x07, 0xE9, 6, 1, 12, 30, 0, 0, b'+', 2, 0]),
            Value::Resolution {
                x: 600,
                y: 1200,
                units: 3,
            },
            Value::Range {
                lower: 1,
                upper: i32::MAX,
            },
            nested,
            Value::TextWithLanguage {
                language: "fr".into(),
                text: "Bac à papier".into(),
            },
            Value::NameWithLanguage {
                language: "".into(),
                name: "".into(),
            },
            Value::Text("text".into()),
            Value::Name("name".into()),
            Value::Keyword("keyword".into()),
            Value::Uri("ipp://host/ipp/print".into()),
            Value::UriScheme("ipps".into()),
            Value::Charset("utf-8".into()),
            Value::NaturalLanguage("en-us".into()),
            Value::MimeMediaType("application/pdf".into()),
            Value::OutOfBand(0x10),
            Value::OutOfBand(0x12),
            Value::OutOfBand(0x13),
            Value::OutOfBand(0x1F),
            Value::Other {
                tag: 0x7F,
                bytes: vec![0x40, 0, 0, 1, 9],
            },
            Value::Other {
                tag: 0x40,
                bytes: b"generic".to_vec(),
            },
            Value::Other {
                tag: 0x24,
                bytes: vec![],
            },
        ];
        // Each kind alone as an attribute, and all together as one 1setOf.
        let mut attributes: Vec<Attribute> = values
            .iter()
            .enumerate()
            .map(|(i, v)| attr(&format!("a{i}"), vec![v.clone()]))
            .collect();
        attributes.push(attr("all", values));
        let m = Message {
            version: (2, 0),
            code: 0x0400,
            request_id: u32::MAX,
            groups: vec![
                Group {
                    tag: GroupTag::Operation,
                    attributes: vec![attr(
                        "attributes-charset",
                        vec![Value::Charset("utf-8".into())],
                    )],
                },
                Group {
                    tag: GroupTag::Job,
                    attributes: vec![],
                },
                Group {
                    tag: GroupTag::Printer,
                    attributes,
                },
                Group {
                    tag: GroupTag::Unsupported,
                    attributes: vec![attr("x", vec![Value::OutOfBand(0x10)])],
                },
                Group {
                    tag: GroupTag::Other(0x06),
                    attributes: vec![attr("notify-events", vec![Value::Keyword("none".into())])],
                },
            ],
        };
        let decoded = Message::decode(&m.encode()).unwrap();
        assert_eq!(decoded, m);
        assert!(!decoded.is_success());
    }

    #[test]
    fn attribute_without_values_encodes_as_no_value() {
        let m = Message {
            version: (1, 1),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: GroupTag::Printer,
                attributes: vec![attr("empty", vec![])],
            }],
        };
        let mut want = header(0, 1);
        want.push(0x04);
        want.extend(field(0x13, "empty", b""));
        want.push(0x03);
        assert_eq!(m.encode(), want);
        let back = Message::decode(&want).unwrap();
        assert_eq!(
            back.groups[0].attributes[0].values,
            vec![Value::OutOfBand(0x13)]
        );
    }

    #[test]
    fn get_printer_attributes_request() {
        let m = get_printer_attributes(
            0x0102_0304,
            "ipp://10.0.0.7/ipp/print",
            &["printer-supply", "marker-levels"],
        );
        let bytes = m.encode();
        assert_eq!(
            &bytes[..8],
            &[0x01, 0x01, 0x00, 0x0B, 0x01, 0x02, 0x03, 0x04]
        );
        let mut want = vec![0x01, 0x01, 0x00, 0x0B, 0x01, 0x02, 0x03, 0x04, 0x01];
        want.extend(field(0x47, "attributes-charset", b"utf-8"));
        want.extend(field(0x48, "attributes-natural-language", b"en"));
        want.extend(field(0x45, "printer-uri", b"ipp://10.0.0.7/ipp/print"));
        want.extend(field(0x42, "requesting-user-name", b"asr-gateway"));
        want.extend(field(0x44, "requested-attributes", b"printer-supply"));
        want.extend(field(0x44, "", b"marker-levels"));
        want.push(0x03);
        assert_eq!(bytes, want);
        let back = Message::decode(&bytes).unwrap();
        assert_eq!(back, m);
        let requested = back
            .attribute(GroupTag::Operation, "requested-attributes")
            .unwrap();
        let keywords: Vec<&str> = requested.values.iter().filter_map(Value::as_str).collect();
        assert_eq!(keywords, ["printer-supply", "marker-levels"]);

        let all = get_printer_attributes(7, "ipp://h/", &[]);
        assert!(
            all.attribute(GroupTag::Operation, "requested-attributes")
                .is_none()
        );
        assert_eq!(Message::decode(&all.encode()).unwrap(), all);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let full = response_bytes();
        for n in 0..full.len() {
            match Message::decode(&full[..n]) {
                Err(CodecError::Truncated { at, .. }) => assert!(at <= n, "prefix {n}"),
                Err(CodecError::NoEnd) => {}
                other => panic!("prefix of {n} bytes gave {other:?}"),
            }
        }
        assert_eq!(
            Message::decode(&full[..7]),
            Err(CodecError::Truncated {
                at: 4,
                reading: "request-id"
            })
        );
        assert_eq!(Message::decode(&full[..8]), Err(CodecError::NoEnd));
    }

    fn with_printer_group(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut b = header(0, 1);
        b.push(0x04);
        for f in fields {
            b.extend_from_slice(f);
        }
        b.push(0x03);
        b
    }

    #[test]
    fn additional_value_needs_a_previous_attribute() {
        let b = with_printer_group(&[field(0x21, "", &[0, 0, 0, 1])]);
        assert_eq!(
            Message::decode(&b),
            Err(CodecError::NoPreviousAttribute { at: 9 })
        );
        // Not even one from an earlier group.
        let mut b = header(0, 1);
        b.push(0x01);
        b.extend(field(0x47, "attributes-charset", b"utf-8"));
        b.push(0x04);
        b.extend(field(0x21, "", &[0, 0, 0, 1]));
        b.push(0x03);
        assert!(matches!(
            Message::decode(&b),
            Err(CodecError::NoPreviousAttribute { .. })
        ));
        // And no attribute before any group.
        let mut b = header(0, 1);
        b.extend(field(0x21, "copies", &[0, 0, 0, 1]));
        b.push(0x03);
        assert_eq!(Message::decode(&b), Err(CodecError::OutsideGroup { at: 8 }));
    }

    #[test]
    fn fixed_size_values_must_have_their_length() {
        let cases: [(u8, usize); 5] = [(0x21, 3), (0x23, 5), (0x22, 2), (0x33, 7), (0x32, 8)];
        for (tag, len) in cases {
            let b = with_printer_group(&[field(tag, "copies", &vec![0; len])]);
            match Message::decode(&b) {
                Err(CodecError::BadValue { name, reason }) => {
                    assert_eq!(name, "copies");
                    assert!(reason.contains(&format!("not {len}")), "{reason}");
                }
                other => panic!("tag {tag:#x} length {len}: {other:?}"),
            }
        }
        let e =
            Message::decode(&with_printer_group(&[field(0x21, "copies", &[0, 0, 1])])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "IPP attribute \"copies\" has a bad value: an integer value must be 4 octet(s) \
             long, not 3"
        );
        // Inside a collection the error names the member.
        let b = with_printer_group(&[
            field(0x34, "media-col", b""),
            field(0x4A, "", b"media-size"),
            field(0x34, "", b""),
            field(0x4A, "", b"x-dimension"),
            field(0x21, "", &[0, 1]),
            field(0x37, "", b""),
            field(0x37, "", b""),
        ]);
        assert!(matches!(
            Message::decode(&b),
            Err(CodecError::BadValue { name, .. }) if name == "media-col.media-size.x-dimension"
        ));
        // A *WithLanguage value whose inner lengths do not fit.
        let b = with_printer_group(&[field(0x35, "printer-info", &[0, 9, b'e', b'n'])]);
        assert!(matches!(
            Message::decode(&b),
            Err(CodecError::BadValue { .. })
        ));
    }

    fn nested(depth: usize) -> Value {
        let mut v = Value::Integer(1);
        for _ in 0..depth {
            v = Value::Collection(vec![attr("m", vec![v])]);
        }
        v
    }

    #[test]
    fn collection_depth_is_bounded() {
        let message = |depth| Message {
            version: (1, 1),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: GroupTag::Printer,
                attributes: vec![attr("deep", vec![nested(depth)])],
            }],
        };
        let ok = message(MAX_COLLECTION_DEPTH);
        assert_eq!(Message::decode(&ok.encode()).unwrap(), ok);
        let too_deep = message(MAX_COLLECTION_DEPTH + 1).encode();
        assert!(matches!(
            Message::decode(&too_deep),
            Err(CodecError::TooDeep { .. })
        ));
    }

    #[test]
    fn attribute_and_value_counts_are_bounded() {
        let message = |attributes: usize| Message {
            version: (1, 1),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: GroupTag::Printer,
                attributes: (0..attributes)
                    .map(|i| attr(&format!("a{i}"), vec![Value::Integer(0)]))
                    .collect(),
            }],
        };
        let ok = message(MAX_ATTRIBUTES);
        assert_eq!(Message::decode(&ok.encode()).unwrap(), ok);
        assert_eq!(
            Message::decode(&message(MAX_ATTRIBUTES + 1).encode()),
            Err(CodecError::TooMany {
                what: "attributes",
                limit: MAX_ATTRIBUTES
            })
        );
        // Collection members count too.
        let mut m = message(MAX_ATTRIBUTES - 1);
        m.groups[0].attributes.push(attr(
            "col",
            vec![Value::Collection(vec![attr(
                "member",
                vec![Value::Integer(1)],
            )])],
        ));
        assert!(matches!(
            Message::decode(&m.encode()),
            Err(CodecError::TooMany { .. })
        ));

        let values = |n: usize| Message {
            version: (1, 1),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: GroupTag::Printer,
                attributes: vec![attr("marker-levels", vec![Value::Integer(1); n])],
            }],
        };
        let ok = values(MAX_VALUES);
        assert_eq!(Message::decode(&ok.encode()).unwrap(), ok);
        assert_eq!(
            Message::decode(&values(MAX_VALUES + 1).encode()),
            Err(CodecError::TooManyValues {
                name: "marker-levels".into()
            })
        );

        let mut groups = header(0, 1);
        groups.extend(std::iter::repeat_n(0x04, MAX_GROUPS + 1));
        groups.push(0x03);
        assert!(matches!(
            Message::decode(&groups),
            Err(CodecError::TooMany { what: "groups", .. })
        ));
    }

    #[test]
    fn collection_syntax_is_checked() {
        let misplaced = |fields: &[Vec<u8>]| {
            matches!(
                Message::decode(&with_printer_group(fields)),
                Err(CodecError::Misplaced { .. })
            )
        };
        assert!(misplaced(&[field(0x37, "", b"")]));
        assert!(misplaced(&[field(0x4A, "", b"member")]));
        assert!(misplaced(&[
            field(0x44, "a", b"x"),
            field(0x4A, "", b"member")
        ]));
        // Value before any memberAttrName.
        assert!(misplaced(&[
            field(0x34, "col", b""),
            field(0x21, "", &[0, 0, 0, 1])
        ]));
        // A named field inside a collection.
        assert!(misplaced(&[
            field(0x34, "col", b""),
            field(0x21, "x", &[0, 0, 0, 1])
        ]));
        // Never closed: end-of-attributes comes first.
        assert!(misplaced(&[field(0x34, "col", b""), field(0x4A, "", b"m")]));
    }

    #[test]
    fn strings_are_decoded_lossily() {
        let b = with_printer_group(&[field(0x42, "printer-name", b"Caf\xE9 \xFF")]);
        let m = Message::decode(&b).unwrap();
        let name = m.attribute(GroupTag::Printer, "printer-name").unwrap();
        assert_eq!(name.values[0].as_str(), Some("Caf\u{FFFD} \u{FFFD}"));
        assert_eq!(Value::OctetString(vec![0xFF]).as_str(), None);
        assert_eq!(Value::Boolean(true).as_i32(), None);
    }

    fn sample() -> Vec<u8> {
        response_bytes()
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn random_attributes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut b = header(0, 1);
            b.push(0x04);
            b.extend_from_slice(&bytes);
            let _ = Message::decode(&b);
        }

        #[test]
        fn mutated_messages_never_panic_and_re_encode(
            mutations in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
            cut in proptest::option::of(any::<prop::sample::Index>()),
            tail in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut b = sample();
            for (index, byte) in mutations {
                let i = index.index(b.len());
                b[i] = byte;
            }
            if let Some(cut) = cut {
                b.truncate(cut.index(b.len()));
            }
            b.extend_from_slice(&tail);
            if let Ok(m) = Message::decode(&b) {
                // Whatever decodes encodes to something that decodes the same.
                prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
            }
        }
    }
}
