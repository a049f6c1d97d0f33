//! LDAP StartTLS (RFC 4511 section 4.14, RFC 4513): the extended request with OID
//! 1.3.6.1.4.1.1466.20037, and a strict parse of the ExtendedResponse. Only the response
//! with our messageID answers the request; messageID 0 is an unsolicited notification
//! (section 4.4), and the Notice of Disconnection among them ends the session.

use super::conversation::{not_speaking, Conversation, QUOTE, QUOTE_REPLY};
use crate::der::{self as ber, DerError, Reader};
use crate::observation::{ConnectError, ErrorKind};
use std::fmt;
use std::io::{Read, Write};

const START_TLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";
/// The messageID of our request.
const OUR_MESSAGE_ID: u32 = 1;
/// The messageID of unsolicited notifications (RFC 4511 section 4.4).
pub const UNSOLICITED: u32 = 0;
/// The responseName of the Notice of Disconnection (RFC 4511 section 4.4.1).
pub const NOTICE_OF_DISCONNECTION: &str = "1.3.6.1.4.1.1466.20036";
/// Unsolicited notifications other than the Notice of Disconnection read past, at most,
/// while waiting for the response.
const MAX_NOTIFICATIONS: usize = 4;
/// An LDAP response to StartTLS is small; anything bigger is refused before it is read.
const MAX_RESPONSE: usize = 64 * 1024;

/// LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] OID } }.
pub fn request() -> Vec<u8> {
    let name = ber::tlv(ber::tag::context_primitive(0), START_TLS_OID);
    let operation = ber::tlv(0x77, &name);
    ber::sequence(&[ber::integer(1), operation])
}

/// Sends the StartTLS request and reads until its response: success goes on to TLS, another
/// result is a refusal, a Notice of Disconnection the end of the session; other unsolicited
/// notifications are read past.
pub fn negotiate<S: Read + Write>(conv: &mut Conversation<'_, S>) -> Result<(), ConnectError> {
    conv.send(&request(), "the StartTLS request")?;
    for _ in 0..=MAX_NOTIFICATIONS {
        let message = conv.message("the StartTLS response", MAX_RESPONSE, response_end)?;
        let response = parse_response(&message)
            .map_err(|e| bad(&format!("malformed StartTLS response: {e}")))?;
        if response.message_id == OUR_MESSAGE_ID {
            if response.code != 0 {
                return Err(bad(&format!(
                    "LDAP server refused StartTLS: {}",
                    result_text(&response)
                )));
            }
            return Ok(());
        }
        if response.is_notice_of_disconnection() {
            return Err(ConnectError::new(
                ErrorKind::Closed,
                format!(
                    "LDAP server ended the session with a Notice of Disconnection instead of answering StartTLS: {}",
                    result_text(&response)
                ),
            ));
        }
    }
    Err(bad(&format!(
        "LDAP server sent more than {MAX_NOTIFICATIONS} unsolicited notifications and no StartTLS response"
    )))
}

/// `protocolError (2): "unsupported extended operation"`: the result and the server's text.
fn result_text(response: &Response) -> String {
    let diagnostic = if response.diagnostic.is_empty() {
        String::new()
    } else {
        format!(": \"{}\"", response.diagnostic)
    };
    format!(
        "{} ({}){diagnostic}",
        result_name(response.code),
        response.code
    )
}

/// The length of the LDAPMessage at the start of `bytes` once it is all there, judged as the
/// bytes arrive: the SEQUENCE tag and the messageID's tag and length are checked before
/// waiting for the announced body, so a server speaking another protocol is named at once.
pub fn response_end(bytes: &[u8]) -> Result<Option<usize>, ConnectError> {
    let Some(&tag) = bytes.first() else {
        return Ok(None);
    };
    if tag != 0x30 {
        if matches!(bytes, [20..=24] | [20..=24, 3, ..]) {
            return Err(bad(
                "server answered with TLS straight away: is this an LDAPS port? (check it with direct TLS: check_ldap_cert --ldaps, or check_tls_cert without --starttls)",
            ));
        }
        return Err(not_speaking("LDAP", bytes));
    }
    let Some(&first) = bytes.get(1) else {
        return Ok(None);
    };
    let length_bytes = if first < 0x80 {
        0
    } else {
        usize::from(first & 0x7f).min(5)
    };
    if bytes.len() < 2 + length_bytes {
        return Ok(None);
    }
    let (_, len, header) =
        ber::header(bytes).map_err(|e| bad(&format!("malformed StartTLS response: {e}")))?;
    if len > MAX_RESPONSE {
        return Err(bad(&format!(
            "StartTLS response of {len} bytes is too large"
        )));
    }
    // messageID INTEGER of 1 to 4 bytes comes first in every LDAPMessage.
    let id_tag_ok = bytes.get(header).is_none_or(|&t| t == 0x02);
    let id_len_ok = bytes.get(header + 1).is_none_or(|l| (1..=4).contains(l));
    if !id_tag_ok || !id_len_ok {
        return Err(not_speaking("LDAP", bytes));
    }
    Ok((bytes.len() >= header + len).then_some(header + len))
}

/// Why bytes are not an ExtendedResponse to our request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// The BER itself, or another operation than an ExtendedResponse.
    Der(DerError),
    /// A response to another message than ours (nor an unsolicited notification).
    OtherMessage(u32),
    /// An element the ExtendedResponse does not have; its tag.
    UnexpectedElement(u8),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Der(e) => e.fmt(f),
            ResponseError::OtherMessage(id) => {
                write!(f, "answer to message {id}, not to our request 1")
            }
            ResponseError::UnexpectedElement(tag) => {
                write!(f, "unexpected element 0x{tag:02x} in the ExtendedResponse")
            }
        }
    }
}

impl std::error::Error for ResponseError {}

impl From<DerError> for ResponseError {
    fn from(e: DerError) -> ResponseError {
        ResponseError::Der(e)
    }
}

/// The parts of an ExtendedResponse that matter here.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    /// Ours (1), or [`UNSOLICITED`] (0) for a notification.
    pub message_id: u32,
    /// The resultCode.
    pub code: u32,
    /// The diagnosticMessage, visible and cut to [`QUOTE_REPLY`] characters.
    pub diagnostic: String,
    /// The responseName when present, visible and cut: what a notification is.
    pub name: Option<String>,
}

impl Response {
    /// An unsolicited Notice of Disconnection: the server ends the session. A notification
    /// without a name (which RFC 4511 does not allow) is taken as one too, as the server
    /// gives no other reason to send it.
    pub fn is_notice_of_disconnection(&self) -> bool {
        self.message_id == UNSOLICITED
            && self
                .name
                .as_deref()
                .is_none_or(|name| name == NOTICE_OF_DISCONNECTION)
    }
}

/// Parses LDAPMessage { messageID, extendedResp [APPLICATION 24] { resultCode, matchedDN,
/// diagnosticMessage, referral?, responseName?, responseValue? } } with nothing left over.
pub fn parse_response(bytes: &[u8]) -> Result<Response, ResponseError> {
    let mut outer = Reader::new(bytes);
    let message = outer.expect(0x30, "LDAPMessage")?;
    outer.expect_empty("LDAPMessage")?;
    let mut fields = Reader::new(message);
    let message_id = ber::small_integer(fields.expect(0x02, "messageID")?)?;
    let op = fields.expect(0x78, "ExtendedResponse")?;
    // Controls [0] may follow the operation.
    if fields.peek_tag() == Some(0xa0) {
        fields.tlv()?;
    }
    fields.expect_empty("the ExtendedResponse")?;
    // Message 0 is an unsolicited notification (a Notice of Disconnection, say), also with a
    // result; any other than ours is an answer to nothing we sent.
    if message_id != OUR_MESSAGE_ID && message_id != UNSOLICITED {
        return Err(ResponseError::OtherMessage(message_id));
    }
    let mut op = Reader::new(op);
    let code = op.expect(0x0a, "resultCode")?;
    let code = ber::small_integer(code)?;
    op.expect(0x04, "matchedDN")?;
    let diagnostic = op.expect(0x04, "diagnosticMessage")?;
    let mut name = None;
    while !op.is_empty() {
        let tlv = op.tlv()?;
        match tlv.tag {
            // referral [3], responseValue [11]
            0xa3 | 0x8b => {}
            // responseName [10] LDAPOID
            0x8a => name = Some(crate::text::quote_bytes(tlv.value, QUOTE)),
            tag => return Err(ResponseError::UnexpectedElement(tag)),
        }
    }
    Ok(Response {
        message_id,
        code,
        diagnostic: crate::text::quote_bytes(diagnostic, QUOTE_REPLY),
        name,
    })
}

fn bad(message: &str) -> ConnectError {
    ConnectError::new(ErrorKind::Handshake, message)
}

/// RFC 4511 result code names.
pub fn result_name(code: u32) -> &'static str {
    match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "unknown result code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Deadline;
    use crate::capture::starttls::conversation::tests::Scripted;
    use std::io::Cursor;
    use std::time::Duration;

    /// The dialogue against a server that answers the request with `answer`.
    fn negotiate_with(answer: &[u8]) -> Result<(), ConnectError> {
        let mut stream = Scripted(Cursor::new(answer.to_vec()));
        let mut conv = Conversation::new(&mut stream, Deadline::within(Duration::from_secs(5)));
        negotiate(&mut conv)
    }

    /// LDAPMessage { `id`, ExtendedResponse { `code`, "", `diagnostic`, responseName? } }.
    fn extended_response(id: i64, code: u8, diagnostic: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut op = [
            ber::enumerated(code),
            ber::octet_string(b""),
            ber::octet_string(diagnostic),
        ]
        .concat();
        if let Some(name) = name {
            op.extend(ber::tlv(ber::tag::context_primitive(10), name.as_bytes()));
        }
        ber::sequence(&[ber::integer(id), ber::tlv(0x78, &op)])
    }

    fn notice(code: u8, diagnostic: &[u8]) -> Vec<u8> {
        extended_response(0, code, diagnostic, Some(NOTICE_OF_DISCONNECTION))
    }

    #[test]
    fn a_notice_of_disconnection_is_not_the_starttls_response() {
        // Found in review: a notice with resultCode 0 was taken for the go-ahead.
        let notice_ok = notice(0, b"server shutting down");
        let parsed = parse_response(&notice_ok).unwrap();
        assert!(parsed.is_notice_of_disconnection());
        assert_eq!(parsed.name.as_deref(), Some(NOTICE_OF_DISCONNECTION));
        assert_eq!(
            negotiate_with(&notice_ok),
            Err(ConnectError::new(
                ErrorKind::Closed,
                "LDAP server ended the session with a Notice of Disconnection instead of answering StartTLS: success (0): \"server shutting down\""
            ))
        );
        // The server's text is made visible; a notice without a name is taken as one too.
        let unavailable = extended_response(0, 52, b"bye\r\n\x1b[0m", None);
        assert_eq!(
            negotiate_with(&unavailable),
            Err(ConnectError::new(
                ErrorKind::Closed,
                "LDAP server ended the session with a Notice of Disconnection instead of answering StartTLS: unavailable (52): \"bye\\r\\n\\x1b[0m\""
            ))
        );
        // Even when the notice comes after another notification.
        let other = extended_response(0, 0, b"", Some("1.2.3.4"));
        let mut both = other.clone();
        both.extend(notice(2, b""));
        assert_eq!(
            negotiate_with(&both).unwrap_err().message,
            "LDAP server ended the session with a Notice of Disconnection instead of answering StartTLS: protocolError (2)"
        );
    }

    #[test]
    fn only_the_response_with_our_message_id_counts() {
        let ours = extended_response(1, 0, b"", None);
        assert_eq!(negotiate_with(&ours), Ok(()));
        let refused = extended_response(1, 53, b"not now", None);
        assert_eq!(
            negotiate_with(&refused),
            Err(ConnectError::new(
                ErrorKind::Handshake,
                "LDAP server refused StartTLS: unwillingToPerform (53): \"not now\""
            ))
        );
        // Another unsolicited notification is read past: the response follows it.
        let other = extended_response(0, 0, b"", Some("1.2.3.4"));
        assert!(!parse_response(&other).unwrap().is_notice_of_disconnection());
        let mut then_ours = other.clone();
        then_ours.extend(&ours);
        assert_eq!(negotiate_with(&then_ours), Ok(()));
        // But not without end.
        let many = other.repeat(MAX_NOTIFICATIONS + 1);
        assert_eq!(
            negotiate_with(&many),
            Err(ConnectError::new(
                ErrorKind::Handshake,
                "LDAP server sent more than 4 unsolicited notifications and no StartTLS response"
            ))
        );
        let mut four_then_ours = other.repeat(MAX_NOTIFICATIONS);
        four_then_ours.extend(&ours);
        assert_eq!(negotiate_with(&four_then_ours), Ok(()));
    }

    #[test]
    fn request_is_the_rfc_4511_encoding() {
        let mut expected = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        expected.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        assert_eq!(request(), expected);
    }

    #[test]
    fn success_and_refusal_parse() {
        let ok = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        assert_eq!(
            parse_response(&ok).unwrap(),
            Response {
                message_id: 1,
                code: 0,
                diagnostic: String::new(),
                name: None,
            }
        );
        let mut refused = vec![
            0x30, 0x0f, 0x02, 0x01, 0x01, 0x78, 0x0a, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x03,
        ];
        refused.extend_from_slice(b"no!");
        assert_eq!(parse_response(&refused).unwrap().code, 2);
        assert_eq!(parse_response(&refused).unwrap().diagnostic, "no!");
    }

    /// Every early refusal of the response is a handshake failure.
    fn refused(message: &str) -> Result<Option<usize>, ConnectError> {
        Err(ConnectError::new(ErrorKind::Handshake, message))
    }

    #[test]
    fn the_response_is_judged_before_its_body_arrives() {
        let ok = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        for n in 0..ok.len() {
            assert_eq!(response_end(&ok[..n]), Ok(None), "{n} bytes");
        }
        assert_eq!(response_end(&ok), Ok(Some(14)));
        assert_eq!(
            response_end(b"220 mail.example ESMTP\r\n"),
            refused("the server does not speak LDAP: it sent '220 mail.example ESMTP'")
        );
        // A SEQUENCE tag by chance ('0'), then no messageID.
        assert_eq!(
            response_end(b"0 OK"),
            refused("the server does not speak LDAP: it sent '0 OK'")
        );
        assert_eq!(
            response_end(b"\x30\x0c\x02\x09"),
            refused("the server does not speak LDAP: it sent '0\\x0c\\x02\\t'")
        );
        assert_eq!(
            response_end(b"\x16"),
            refused("server answered with TLS straight away: is this an LDAPS port? (check it with direct TLS: check_ldap_cert --ldaps, or check_tls_cert without --starttls)")
        );
        assert_eq!(
            response_end(b"\x30\x84\x7f\xff\xff\xff"),
            refused("StartTLS response of 2147483647 bytes is too large")
        );
        assert_eq!(
            response_end(b"\x30\x80"),
            refused("malformed StartTLS response: indefinite length is not allowed in DER")
        );
    }

    #[test]
    fn diagnostics_are_quoted_visibly() {
        let mut refused = vec![
            0x30, 0x10, 0x02, 0x01, 0x01, 0x78, 0x0b, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x04,
        ];
        refused.extend_from_slice(b"no\r\n");
        assert_eq!(parse_response(&refused).unwrap().diagnostic, "no\\r\\n");
    }

    #[test]
    fn malformed_responses_are_refused() {
        let truncated = [0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01];
        assert!(parse_response(&truncated).is_err());
        let trailing = [
            0x30, 0x0d, 0x02, 0x01, 0x01, 0x78, 0x08, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x00,
        ];
        assert_eq!(
            parse_response(&trailing),
            Err(ResponseError::Der(DerError::NoLength))
        );
        let wrong_id = [
            0x30, 0x0c, 0x02, 0x01, 0x05, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        assert_eq!(
            parse_response(&wrong_id),
            Err(ResponseError::OtherMessage(5))
        );
        assert_eq!(
            parse_response(&wrong_id).unwrap_err().to_string(),
            "answer to message 5, not to our request 1"
        );
        let bind_response = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        assert_eq!(
            parse_response(&bind_response).unwrap_err().to_string(),
            "expected ExtendedResponse (tag 0x78), found tag 0x61"
        );
    }
}
