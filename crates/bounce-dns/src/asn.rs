//! The offline IP-to-ASN dataset (`--asn-db`): the public-domain ip2asn TSV format of
//! iptoasn.com, one range a line — `range_start range_end AS_number country_code
//! AS_description`, tab-separated, IPv4 and IPv6 mixed — looked up by binary search.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use bounce_model::AsnInfo;

/// Why the dataset could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AsnError {
    /// The file cannot be read.
    #[error("asn db {path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not an ip2asn row.
    #[error("asn db {path}:{line}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One range of the dataset.
#[derive(Debug, Clone)]
struct Range {
    first: u128,
    last: u128,
    number: u32,
    country: String,
    name: String,
}

/// The ranges of an ip2asn file, IPv4 and IPv6 apart, each sorted by start.
#[derive(Debug, Clone, Default)]
pub struct AsnDb {
    v4: Vec<Range>,
    v6: Vec<Range>,
}

impl AsnDb {
    /// Reads an ip2asn TSV file (plain text; a gzip file must be unpacked first).
    ///
    /// # Errors
    /// When the file cannot be read, or a line is not a row (with its line number).
    pub fn open(path: &Path) -> Result<AsnDb, AsnError> {
        let text = std::fs::read(path)
            .map_err(|source| AsnError::Read { path: path.to_owned(), source })?;
        let text = String::from_utf8_lossy(&text);
        AsnDb::parse(&text).map_err(|(line, message)| AsnError::Row {
            path: path.to_owned(),
            line,
            message,
        })
    }

    /// Parses the text of an ip2asn file; an error names the 1-based line.
    ///
    /// # Errors
    /// The first line that is not a row.
    pub fn parse(text: &str) -> Result<AsnDb, (usize, String)> {
        let mut db = AsnDb::default();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() < 5 {
                return Err((
                    line_number,
                    format!(
                        "expected 5 tab-separated fields (range_start range_end AS_number country_code AS_description), found {}",
                        fields.len()
                    ),
                ));
            }
            let address = |text: &str| {
                text.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| (line_number, format!("`{}` is not an IP address", text.trim())))
            };
            let (first, last) = (address(fields[0])?, address(fields[1])?);
            let number =
                fields[2].trim().trim_start_matches("AS").parse::<u32>().map_err(|_| {
                    (line_number, format!("`{}` is not an AS number", fields[2].trim()))
                })?;
            let (first_value, last_value, list) = match (first, last) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    (u128::from(u32::from(a)), u128::from(u32::from(b)), &mut db.v4)
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), &mut db.v6),
                _ => return Err((line_number, "range mixes IPv4 and IPv6 addresses".to_owned())),
            };
            if last_value < first_value {
                return Err((line_number, "range ends before it starts".to_owned()));
            }
            list.push(Range {
                first: first_value,
                last: last_value,
                number,
                country: fields[3].trim().to_owned(),
                name: fields[4..].join("\t").trim().to_owned(),
            });
        }
        db.v4.sort_by_key(|r| r.first);
        db.v6.sort_by_key(|r| r.first);
        Ok(db)
    }

    /// The AS announcing `ip`; none for unrouted ranges (AS 0) and addresses not covered.
    #[must_use]
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        let (list, value) = match ip {
            IpAddr::V4(v4) => (&self.v4, u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (&self.v4, u128::from(u32::from(v4))),
                None => (&self.v6, u128::from(v6)),
            },
        };
        let after = list.partition_point(|r| r.first <= value);
        let range = list[..after].last().filter(|r| r.last >= value && r.number != 0)?;
        let show = |v: u128| match ip {
            IpAddr::V4(_) => u32::try_from(v).map(|v| std::net::Ipv4Addr::from(v).to_string()),
            IpAddr::V6(_) if list.as_ptr() == self.v4.as_ptr() => {
                u32::try_from(v).map(|v| std::net::Ipv4Addr::from(v).to_string())
            }
            IpAddr::V6(_) => Ok(std::net::Ipv6Addr::from(v).to_string()),
        };
        Some(AsnInfo {
            number: range.number,
            name: range.name.clone(),
            country: range.country.clone(),
            prefix: format!(
                "{}-{}",
                show(range.first).unwrap_or_default(),
                show(range.last).unwrap_or_default()
            ),
        })
    }

    /// How many ranges were read.
    #[must_use]
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether no range was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::AsnDb;

    const SAMPLE: &str = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
        8.8.8.0\t8.8.8.255\t15169\tUS\tGOOGLE\n\
        10.0.0.0\t10.255.255.255\t0\tNone\tNot routed\n\
        2001:4860::\t2001:4860:ffff:ffff:ffff:ffff:ffff:ffff\t15169\tUS\tGOOGLE\n";

    #[test]
    fn finds_v4_and_v6_ranges_and_skips_unrouted() {
        let db = AsnDb::parse(SAMPLE).unwrap();
        let google = db.lookup("8.8.8.8".parse().unwrap()).unwrap();
        assert_eq!((google.number, google.name.as_str()), (15169, "GOOGLE"));
        assert_eq!(google.prefix, "8.8.8.0-8.8.8.255");
        assert_eq!(db.lookup("2001:4860::8888".parse().unwrap()).unwrap().number, 15169);
        assert!(db.lookup("10.1.2.3".parse().unwrap()).is_none());
        assert!(db.lookup("9.9.9.9".parse().unwrap()).is_none());
    }

    #[test]
    fn a_malformed_row_names_its_line() {
        let error = AsnDb::parse("1.0.0.0\t1.0.0.255\t13335\tUS\tX\n1.0.1.0\tnope\t1\tUS\tY\n");
        assert_eq!(error.unwrap_err().0, 2);
        assert_eq!(AsnDb::parse("1.0.0.0 1.0.0.255 13335 US X\n").unwrap_err().0, 1);
    }
}
