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

#[cfg(test)]
mod tests {
    use super::*;

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
