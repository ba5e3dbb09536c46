//! RDAP abuse contacts (`--rdap`): `GET {server}/ip/{address}` for the network of an address
//! (RFC 9082 §3.1.1), read as RFC 9083 JSON: the entity with the `abuse` role, searched through
//! nested `entities`, gives the contact (its jCard `email` and `fn`, RFC 7095); the network its
//! handle, name and range. Redirects are followed (a registry answers for another one's
//! addresses with a redirect), answers are read up to [`MAX_BODY`] bytes, and every failure is
//! a status of the answer, never an error of the run.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use bounce_model::{AbuseContact, RdapNetwork, RdapStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::answer::{now, rfc3339};

/// The RDAP server asked when `--rdap-server` is not given: ARIN's, which redirects to the
/// registry (RIPE NCC, APNIC, LACNIC, AFRINIC) that holds an address it does not.
pub const DEFAULT_RDAP_SERVER: &str = "https://rdap.arin.net/registry";

/// The largest RDAP answer read (1 MiB); a larger one is `too-large`.
pub(crate) const MAX_BODY: u64 = 1 << 20;

/// How long an RDAP answer is reused from the cache file (one day): registrations change
/// seldom, and RDAP answers carry no TTL.
pub(crate) const RDAP_TTL: i64 = 86_400;

/// Redirects followed for one lookup.
const MAX_REDIRECTS: u32 = 5;

/// RDAP lookups in flight at once (registries limit the rate of their clients), at most
/// `--dns-concurrency`.
pub(crate) const MAX_CONCURRENCY: usize = 4;

/// How deep nested `entities` are searched for the abuse entity.
const MAX_DEPTH: usize = 8;

/// One RDAP answer as memoised and cached: the contact, with Unix times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RdapAnswer {
    /// The address asked about.
    pub(crate) ip: String,
    /// What the lookup gave.
    pub(crate) status: RdapStatus,
    /// The abuse entity's email.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) email: String,
    /// The abuse entity's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) name: String,
    /// The network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network: Option<RdapNetwork>,
    /// The URL that answered.
    pub(crate) url: String,
    /// Why the lookup failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) detail: String,
    /// When it was obtained (Unix seconds).
    pub(crate) queried_at: i64,
    /// Until when it may be reused (Unix seconds).
    pub(crate) expires_at: i64,
    /// Read from the cache file rather than asked this run.
    #[serde(skip)]
    pub(crate) cached: bool,
}

impl RdapAnswer {
    /// The answer as a record's evidence shows it.
    pub(crate) fn contact(&self) -> AbuseContact {
        AbuseContact {
            status: self.status,
            email: self.email.clone(),
            name: self.name.clone(),
            network: self.network.clone(),
            url: self.url.clone(),
            queried_at: rfc3339(self.queried_at),
            cached: self.cached,
            detail: self.detail.clone(),
        }
    }
}

/// An RDAP client: one HTTP agent (rustls, no proxy unless the environment names one).
#[derive(Debug)]
pub(crate) struct Rdap {
    agent: ureq::Agent,
    server: String,
}

impl Rdap {
    /// A client asking `server` (a base URL such as `https://rdap.arin.net/registry`), each
    /// HTTP exchange within `timeout`.
    pub(crate) fn new(server: &str, timeout: Duration) -> Rdap {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .timeout_per_call(Some(timeout))
            .timeout_global(Some(timeout.saturating_mul(MAX_REDIRECTS + 1)))
            .user_agent(concat!("bounce-triage/", env!("CARGO_PKG_VERSION")))
            .build();
        Rdap { agent: config.into(), server: server.trim().trim_end_matches('/').to_owned() }
    }

    /// The URL of the network of `ip`.
    pub(crate) fn url_of(&self, ip: IpAddr) -> String {
        format!("{}/ip/{ip}", self.server)
    }

    /// Looks up the networks of `ips`, at most `concurrency` at once, each once.
    pub(crate) fn lookup_all(&self, ips: Vec<IpAddr>, concurrency: usize) -> Vec<RdapAnswer> {
        let workers = concurrency.clamp(1, MAX_CONCURRENCY).min(ips.len());
        let queue = Mutex::new(VecDeque::from(ips));
        let results = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let next =
                        queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop_front();
                    let Some(ip) = next else { break };
                    let answer = self.lookup(ip);
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(answer);
                });
            }
        });
        results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Looks up the network of one address.
    pub(crate) fn lookup(&self, ip: IpAddr) -> RdapAnswer {
        let url = self.url_of(ip);
        let now = now();
        let mut answer = RdapAnswer {
            ip: ip.to_string(),
            status: RdapStatus::Error,
            email: String::new(),
            name: String::new(),
            network: None,
            url: url.clone(),
            detail: String::new(),
            queried_at: now,
            expires_at: now + RDAP_TTL,
            cached: false,
        };
        let response =
            self.agent.get(&url).header("Accept", "application/rdap+json, application/json").call();
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                (answer.status, answer.detail) = failure(&error);
                return answer;
            }
        };
        answer.url = ureq::ResponseExt::get_uri(&response).to_string();
        let status = response.status();
        if status == 404 {
            answer.status = RdapStatus::NotFound;
            answer.detail = "HTTP 404".to_owned();
            return answer;
        }
        if !status.is_success() {
            answer.detail = format!("HTTP {}", status.as_u16());
            return answer;
        }
        let body = response.body_mut().with_config().limit(MAX_BODY).read_to_vec();
        let body = match body {
            Ok(body) => body,
            Err(error) => {
                (answer.status, answer.detail) = failure(&error);
                return answer;
            }
        };
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(network)) => {
                let network = Value::Object(network);
                answer.network = Some(network_of(&network));
                match abuse_contact(&network) {
                    Some((email, name)) => {
                        answer.status = RdapStatus::Found;
                        answer.email = email;
                        answer.name = name;
                    }
                    None => answer.status = RdapStatus::NoAbuseContact,
                }
            }
            Ok(_) => {
                answer.status = RdapStatus::Malformed;
                answer.detail = "the answer is not a JSON object".to_owned();
            }
            Err(error) => {
                answer.status = RdapStatus::Malformed;
                answer.detail = format!("not JSON: {error}");
            }
        }
        answer
    }
}

/// The status and text of a failed exchange.
fn failure(error: &ureq::Error) -> (RdapStatus, String) {
    let status = match error {
        ureq::Error::Timeout(_) => RdapStatus::Timeout,
        ureq::Error::BodyExceedsLimit(_) => RdapStatus::TooLarge,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => RdapStatus::Timeout,
        _ => RdapStatus::Error,
    };
    let detail = match error {
        ureq::Error::BodyExceedsLimit(_) => format!("the answer is larger than {MAX_BODY} bytes"),
        other => other.to_string(),
    };
    (status, detail)
}

/// A string member of a JSON object, trimmed; empty when absent.
fn text<'v>(object: &'v Value, key: &str) -> &'v str {
    object.get(key).and_then(Value::as_str).map_or("", str::trim)
}

/// The network's handle, name and range (cidr0 blocks, else start and end addresses).
fn network_of(network: &Value) -> RdapNetwork {
    let cidrs: Vec<String> = network
        .get("cidr0_cidrs")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| {
                    let prefix = block.get("v4prefix").or_else(|| block.get("v6prefix"))?;
                    let length = block.get("length")?.as_u64()?;
                    Some(format!("{}/{length}", prefix.as_str()?.trim()))
                })
                .collect()
        })
        .unwrap_or_default();
    let range = if cidrs.is_empty() {
        let (start, end) = (text(network, "startAddress"), text(network, "endAddress"));
        if start.is_empty() && end.is_empty() {
            String::new()
        } else {
            format!("{start} - {end}")
        }
    } else {
        cidrs.join(", ")
    };
    RdapNetwork {
        handle: text(network, "handle").to_owned(),
        name: text(network, "name").to_owned(),
        range,
    }
}

/// The email and name of the first entity with the `abuse` role and an email, searched
/// breadth-first through nested `entities` (the network's own entities before those of its
/// registrant).
pub(crate) fn abuse_contact(network: &Value) -> Option<(String, String)> {
    let mut level: Vec<&Value> = entities(network).collect();
    for _ in 0..MAX_DEPTH {
        if level.is_empty() {
            break;
        }
        for entity in &level {
            let is_abuse = entity.get("roles").and_then(Value::as_array).is_some_and(|roles| {
                roles.iter().any(|r| r.as_str().is_some_and(|r| r.eq_ignore_ascii_case("abuse")))
            });
            if is_abuse {
                if let Some(email) = vcard_value(entity, "email") {
                    let name = vcard_value(entity, "fn").unwrap_or_default();
                    return Some((email.to_ascii_lowercase(), name));
                }
            }
        }
        level = level.into_iter().flat_map(entities).collect();
    }
    None
}

/// The `entities` of an RDAP object.
fn entities(object: &Value) -> impl Iterator<Item = &Value> {
    object.get("entities").and_then(Value::as_array).into_iter().flatten()
}

/// The first non-empty text value of the property `name` of an entity's jCard
/// (`["vcard", [[name, params, type, value], …]]`).
fn vcard_value(entity: &Value, name: &str) -> Option<String> {
    let properties = entity.get("vcardArray")?.as_array()?.get(1)?.as_array()?;
    properties.iter().find_map(|property| {
        let property = property.as_array()?;
        if !property.first()?.as_str()?.eq_ignore_ascii_case(name) {
            return None;
        }
        let value = match property.get(3)? {
            Value::String(value) => value.trim().to_owned(),
            Value::Array(values) => values.iter().find_map(Value::as_str)?.trim().to_owned(),
            _ => return None,
        };
        (!value.is_empty()).then_some(value)
    })
}

/// Whether `text` is an `http://` or `https://` URL, for `--rdap-server`.
///
/// # Errors
/// When it is not.
pub fn parse_server(text: &str) -> Result<String, String> {
    let text = text.trim();
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "`{text}` is not an http:// or https:// URL (e.g. https://rdap.arin.net/registry)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{abuse_contact, network_of, parse_server};

    #[test]
    fn the_abuse_entity_is_found_under_the_registrant() {
        let network = json!({
            "objectClassName": "ip network",
            "handle": "NET-EX-1",
            "startAddress": "192.0.2.0",
            "endAddress": "192.0.2.255",
            "entities": [
                { "roles": ["technical"], "vcardArray": ["vcard", [["email", {}, "text", "noc@example.net"]]] },
                { "roles": ["registrant"], "entities": [
                    { "roles": ["ABUSE"], "vcardArray": ["vcard", [
                        ["version", {}, "text", "4.0"],
                        ["fn", {}, "text", "Example Abuse Desk"],
                        ["email", {"type": "work"}, "text", "Abuse@Example.NET"]
                    ]] }
                ] }
            ]
        });
        assert_eq!(
            abuse_contact(&network),
            Some(("abuse@example.net".to_owned(), "Example Abuse Desk".to_owned()))
        );
        assert_eq!(network_of(&network).range, "192.0.2.0 - 192.0.2.255");
        let no_email =
            json!({ "entities": [ { "roles": ["abuse"], "vcardArray": ["vcard", []] } ] });
        assert_eq!(abuse_contact(&no_email), None);
        let odd = json!({ "entities": [ { "roles": "abuse", "vcardArray": 7 }, 3, null ] });
        assert_eq!(abuse_contact(&odd), None);
    }

    #[test]
    fn cidr0_blocks_are_the_range() {
        let network = json!({ "cidr0_cidrs": [ { "v4prefix": "192.0.2.0", "length": 24 }, { "v6prefix": "2001:db8::", "length": 32 } ] });
        assert_eq!(network_of(&network).range, "192.0.2.0/24, 2001:db8::/32");
    }

    #[test]
    fn servers_are_http_urls() {
        assert_eq!(
            parse_server("https://rdap.example/registry/").unwrap(),
            "https://rdap.example/registry"
        );
        assert!(parse_server("rdap.example").is_err());
        assert!(parse_server("http://").is_err());
    }
}
