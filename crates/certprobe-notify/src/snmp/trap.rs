//! The traps certprobe sends (CERTPROBE-MIB in packaging/snmp): one notification OID per
//! kind of notice, and the notice's fields as varbinds.

use super::ber::{self, integer, octets, oid, sequence, tagged, unsigned_tagged};
use super::usm;
use crate::notice::{Notice, NoticeKind};

/// certprobe's subtree: enterprises.99999, a placeholder until certprobe has an IANA
/// Private Enterprise Number (see the MIB).
pub const CERTPROBE: [u32; 7] = [1, 3, 6, 1, 4, 1, 99999];

/// sysUpTime.0
const SYS_UP_TIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
/// snmpTrapOID.0
const SNMP_TRAP_OID: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/// A DisplayString holds at most 255 octets.
const DISPLAY_STRING: usize = 255;

/// The notification's OID: certprobeNotifications.N.
pub fn notification_oid(kind: NoticeKind) -> Vec<u32> {
    let n = match kind {
        NoticeKind::Tier => 1,
        NoticeKind::Alarm => 2,
        NoticeKind::Resolved => 3,
        NoticeKind::Renewed => 4,
    };
    let mut arcs = CERTPROBE.to_vec();
    arcs.extend([0, n]);
    arcs
}

/// certprobeObjects.N.0
fn object(n: u32) -> Vec<u32> {
    let mut arcs = CERTPROBE.to_vec();
    arcs.extend([1, n, 0]);
    arcs
}

fn text(value: &str) -> Vec<u8> {
    let mut end = value.len().min(DISPLAY_STRING);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    octets(&value.as_bytes()[..end])
}

fn varbind(name: &[u32], value: &[u8]) -> Vec<u8> {
    sequence(&[&oid(name), value])
}

/// The SNMPv2-Trap-PDU of a notice; `uptime` in hundredths of a second.
pub fn pdu(notice: &Notice, request_id: i32, uptime: u32) -> Vec<u8> {
    let alarm = notice.alarm.map(|a| a.id()).unwrap_or("");
    let binds = [
        varbind(&SYS_UP_TIME, &unsigned_tagged(ber::TIME_TICKS, uptime)),
        varbind(&SNMP_TRAP_OID, &oid(&notification_oid(notice.kind))),
        varbind(&object(1), &integer(i64::from(notice.tier.number()))),
        varbind(
            &object(2),
            &integer(i64::from(notice.previous_tier.number())),
        ),
        varbind(
            &object(3),
            &integer(
                notice
                    .days_left
                    .clamp(i64::from(i32::MIN), i64::from(i32::MAX)),
            ),
        ),
        varbind(&object(4), &text(&notice.subject)),
        varbind(&object(5), &text(&notice.sha256)),
        varbind(&object(6), &text(&notice.endpoint)),
        varbind(&object(7), &text(&notice.owner)),
        varbind(
            &object(8),
            &text(&certprobe::clock::format_utc(notice.not_after)),
        ),
        varbind(&object(9), &text(alarm)),
        varbind(&object(10), &text(&notice.summary)),
        varbind(&object(11), &text(&notice.issuer)),
    ];
    let refs: Vec<&[u8]> = binds.iter().map(Vec::as_slice).collect();
    let list = sequence(&refs);
    tagged(
        ber::TRAP_PDU,
        &[
            &integer(i64::from(request_id)),
            &integer(0),
            &integer(0),
            &list,
        ],
    )
}

/// A v2c message.
pub fn v2c(community: &[u8], pdu: &[u8]) -> Vec<u8> {
    sequence(&[&integer(1), &octets(community), pdu])
}

/// What a v3 message needs besides the PDU.
pub struct V3<'a> {
    /// The user.
    pub user: &'a [u8],
    /// certprobe's engine ID (authoritative for a trap).
    pub engine_id: &'a [u8],
    /// The engine's boots and time.
    pub boots: u32,
    /// Seconds.
    pub time: u32,
    /// The localized keys.
    pub auth_key: &'a [u8; 20],
    /// The privacy key.
    pub priv_key: &'a [u8; 20],
    /// The message's id.
    pub message_id: i32,
    /// A salt never used before with these keys.
    pub salt: [u8; 8],
}

/// A v3 message at authPriv: the scoped PDU encrypted, the whole message authenticated.
pub fn v3(v3: &V3<'_>, pdu: &[u8]) -> Vec<u8> {
    let scoped = sequence(&[&octets(v3.engine_id), &octets(b""), pdu]);
    let encrypted = usm::encrypt(v3.priv_key, v3.boots, v3.time, &v3.salt, &scoped);
    let before_auth: Vec<u8> = [
        octets(v3.engine_id),
        integer(i64::from(v3.boots)),
        integer(i64::from(v3.time)),
        octets(v3.user),
    ]
    .concat();
    let security = sequence(&[&before_auth, &octets(&[0; 12]), &octets(&v3.salt)]);
    // authNoPriv | authPriv, not reportable: a trap gets no answer.
    let header = sequence(&[
        &integer(i64::from(v3.message_id)),
        &integer(65507),
        &octets(&[0x03]),
        &integer(3),
    ]);
    let version = integer(3);
    let security_field = octets(&security);
    let mut message = sequence(&[&version, &header, &security_field, &octets(&encrypted)]);
    // Where the 12 zero bytes are: after the message's tag and length, the version, the
    // header, the security field's tag and length, the security SEQUENCE's tag and length,
    // the fields before, and the auth field's tag and length.
    let outer_header = message.len()
        - version.len()
        - header.len()
        - security_field.len()
        - octets(&encrypted).len();
    let field_header = security_field.len() - security.len();
    let sequence_header = security.len() - before_auth.len() - 14 - octets(&v3.salt).len();
    let at = outer_header
        + version.len()
        + header.len()
        + field_header
        + sequence_header
        + before_auth.len()
        + 2;
    let mac = usm::authenticate(v3.auth_key, &message);
    message[at..at + 12].copy_from_slice(&mac);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_field_is_found_where_the_zeros_were() {
        let key = [7u8; 20];
        let v = V3 {
            user: b"certprobe",
            engine_id: b"\x80\x00\x1f\x88\x04certprobe",
            boots: 1,
            time: 12345,
            auth_key: &key,
            priv_key: &key,
            message_id: 42,
            salt: [1, 2, 3, 4, 5, 6, 7, 8],
        };
        let pdu = tagged(
            ber::TRAP_PDU,
            &[&integer(1), &integer(0), &integer(0), &sequence(&[])],
        );
        let message = v3(&v, &pdu);
        // The MAC of the message with zeros in its place is what is in it.
        let at = message.windows(2).position(|w| w == [0x04, 0x0c]).unwrap() + 2;
        let mut zeroed = message.clone();
        zeroed[at..at + 12].fill(0);
        assert_eq!(&message[at..at + 12], usm::authenticate(&key, &zeroed));
        assert_ne!(&message[at..at + 12], &[0u8; 12]);
    }
}
