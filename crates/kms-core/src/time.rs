//! Time formatting for the wire (the clock itself is a port).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ports::Timestamp;

/// RFC 3339 UTC with `Z`, whole seconds (`2031-08-16T06:36:13Z`), as APIG
/// reports times. Out-of-range timestamps clamp to the epoch.
#[must_use]
pub fn rfc3339(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp(t.unix_seconds())
        .ok()
        .and_then(|dt| dt.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// The time [`rfc3339`] writes as `text`: `None` for any text it does not
/// write (another offset, a fraction, a lower-case `t`, a time before year
/// 0 or after 9999), so that `rfc3339(parse_rfc3339(s)?) == s` always.
/// Total: never panics.
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let dt = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let t = Timestamp(dt.unix_timestamp().checked_mul(1000)?);
    (rfc3339(t) == text).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_what_it_writes() {
        for s in [
            "2021-08-20T02:03:53Z",
            "1970-01-01T00:00:00Z",
            "1950-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let t = parse_rfc3339(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(rfc3339(t), s);
        }
        assert_eq!(
            parse_rfc3339("2021-08-20T02:03:53Z"),
            Some(Timestamp(1_629_425_033_000))
        );
        for s in [
            "",
            "2021-08-20T02:03:53",
            "2021-08-20T02:03:53.5Z",
            "2021-08-20T02:03:53+00:00",
            "2021-08-20T04:03:53+02:00",
            "2021-08-20t02:03:53z",
            "2021-02-30T00:00:00Z",
            "not a time",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn formats_as_apig_does() {
        assert_eq!(
            rfc3339(Timestamp(1_629_425_033_999)),
            "2021-08-20T02:03:53Z"
        );
        assert_eq!(rfc3339(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Timestamp(i64::MAX)), "1970-01-01T00:00:00Z");
    }
}
