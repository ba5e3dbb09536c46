//! Grouping of records for reports: by the keys the user chooses, with hour and day series.

use std::collections::{BTreeMap, BTreeSet};

use bounce_model::{Aggregates, Group, Kind, Record, Sample, TimeBucket, TimeSeries};

/// Groups failure records by `keys` (category, action, reason, provider, token, remote_mta,
/// sending_ip, recipient_domain, stage, `header:NAME`) and counts them per hour and per day for
/// each category and provider. Spikes and lists are left empty: the engine decides those.
#[must_use]
pub fn group_records(records: &[Record], keys: &[String]) -> Aggregates {
    let failures: Vec<&Record> =
        records.iter().filter(|r| r.kind.is_some_and(Kind::is_failure)).collect();
    let mut groups: BTreeMap<BTreeMap<String, String>, Vec<&Record>> = BTreeMap::new();
    for r in &failures {
        let key = keys.iter().map(|k| (k.clone(), key_value(r, k))).collect();
        groups.entry(key).or_default().push(r);
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|(key, members)| {
            let times: BTreeSet<&str> =
                members.iter().filter_map(|r| r.timestamp.as_deref()).collect();
            Group {
                key,
                count: members.len() as u64,
                recipients: members
                    .iter()
                    .map(|r| r.recipient.to_ascii_lowercase())
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
                first_seen: times.first().map(|t| (*t).to_string()),
                last_seen: times.last().map(|t| (*t).to_string()),
                providers: members
                    .iter()
                    .map(|r| key_value(r, "provider"))
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
                samples: members.iter().take(3).map(|r| sample(r)).collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    let mut series = Vec::new();
    for dimension in ["category", "provider"] {
        for (bucket, width) in [("day", 10), ("hour", 13)] {
            let mut per_name: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for r in &failures {
                let Some(t) = r.timestamp.as_deref().and_then(|t| t.get(..width)) else { continue };
                let start =
                    if width == 10 { format!("{t}T00:00:00Z") } else { format!("{t}:00:00Z") };
                *per_name.entry(key_value(r, dimension)).or_default().entry(start).or_default() +=
                    1;
            }
            for (name, buckets) in per_name {
                series.push(TimeSeries {
                    dimension: dimension.to_string(),
                    name,
                    bucket: bucket.to_string(),
                    buckets: buckets
                        .into_iter()
                        .map(|(start, count)| TimeBucket { start, count, rate: None })
                        .collect(),
                });
            }
        }
    }
    Aggregates { groups, series, spikes: Vec::new(), lists: Vec::new() }
}

fn sample(r: &Record) -> Sample {
    Sample {
        source: r.source.clone(),
        recipient: r.recipient.clone(),
        message_id: r.original.message_id.clone(),
        timestamp: r.timestamp.clone(),
        diagnostic: r.diagnostic.clone(),
    }
}

fn key_value(r: &Record, key: &str) -> String {
    let verdict = r.verdict.as_ref();
    match key {
        "category" => verdict.map_or("unknown", |v| v.category.as_str()).to_string(),
        "action" => verdict.map_or("review", |v| v.action.as_str()).to_string(),
        "reason" => r.reason.map_or("undefined", |x| x.as_str()).to_string(),
        "provider" => verdict.and_then(|v| v.provider.clone()).unwrap_or_else(|| "other".into()),
        "token" => verdict.and_then(|v| v.token.clone()).unwrap_or_else(|| "-".into()),
        "remote_mta" => r.remote_mta.clone().unwrap_or_else(|| "-".into()),
        "sending_ip" => r.original.sending_ip.as_ref().map_or("-".into(), |p| p.value.clone()),
        "recipient_domain" => r.recipient_domain().to_ascii_lowercase(),
        "stage" => r.smtp_stage.as_str().to_string(),
        other => other
            .strip_prefix("header:")
            .and_then(|h| r.original.captured.get(&h.to_ascii_lowercase()).cloned())
            .unwrap_or_else(|| "-".into()),
    }
}
