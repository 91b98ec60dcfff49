//! Notification handles checked against the org: [`look_up`] asks Datadog what a
//! [`HandleQuery`] needs (one request per distinct name or list page, never one per
//! mention) and answers a [`HandleDirectory`]; a 403 names the permission
//! [`crate::permissions`] says the endpoint needs.

use crate::client::handles::Answer;
use crate::{wire, ApiError, Client};
use ddhooks_core::handles::{HandleDirectory, HandleQuery, Listing, Presence};
use futures::stream::{self, StreamExt};
use std::collections::BTreeSet;

/// Teams per page of the listing (the API's maximum).
pub const TEAM_PAGE: usize = 100;
/// Users per page of an email's lookup (the API allows up to 1,000; one page is the rule).
pub const USER_PAGE: usize = 100;
/// A server that ignores paging would answer forever: no org has this many pages of teams.
const MAX_PAGES: usize = 1000;

/// One lookup: a name or a whole list.
enum Job {
    Webhook(String),
    Slack(String),
    PagerDuty(String),
    Opsgenie,
    MsTeams,
    Teams,
    User(String),
}

/// What one [`Job`] found.
enum Found {
    Webhook(String, Presence),
    Slack(String, Listing),
    PagerDuty(String, Presence),
    Opsgenie(Listing),
    MsTeams(Listing),
    Teams(Listing),
    User(String, Presence),
}

fn presence<T>(answer: Answer<T>) -> Presence {
    match answer {
        Answer::Found(_) => Presence::Found,
        Answer::Missing => Presence::Missing,
        Answer::Forbidden(permission) => Presence::Forbidden { permission },
    }
}

fn listing<T>(answer: Answer<T>, names: impl FnOnce(T) -> BTreeSet<String>) -> Listing {
    match answer {
        Answer::Found(found) => Listing::Names(names(found)),
        Answer::Missing => Listing::Missing,
        Answer::Forbidden(permission) => Listing::Forbidden { permission },
    }
}

fn named(list: wire::NamedList) -> BTreeSet<String> {
    list.data
        .into_iter()
        .map(|item| item.attributes.name)
        .collect()
}

/// Every team's handle, page by page until a short page.
async fn teams(client: &Client) -> Result<Listing, ApiError> {
    let mut handles = BTreeSet::new();
    let mut first_id = None;
    for page in 0..MAX_PAGES {
        let list = match client.list_teams_page(page, TEAM_PAGE).await? {
            Answer::Found(list) => list,
            other => return Ok(listing(other, |_: wire::TeamList| BTreeSet::new())),
        };
        let full = list.data.len() >= TEAM_PAGE;
        let first = list.data.first().map(|t| t.id.clone());
        if page > 0 && first.is_some() && first == first_id {
            return Err(ApiError::Decode {
                object: "team list".into(),
                detail: format!("page {page} repeats page 0: the server ignores paging"),
            });
        }
        if page == 0 {
            first_id = first;
        }
        handles.extend(list.data.into_iter().map(|t| t.attributes.handle));
        if !full {
            return Ok(Listing::Names(handles));
        }
    }
    Err(ApiError::Decode {
        object: "team list".into(),
        detail: format!("more than {MAX_PAGES} pages of {TEAM_PAGE} teams"),
    })
}

/// Whether an active user has `email` (compared without case): `filter` matches names,
/// handles and emails by substring, so the page is searched for the exact address. More
/// pages are read only while they are full.
async fn user(client: &Client, email: &str) -> Result<Presence, ApiError> {
    for page in 0..MAX_PAGES {
        let list = match client
            .list_active_users_page(email, page, USER_PAGE)
            .await?
        {
            Answer::Found(list) => list,
            other => return Ok(presence(other)),
        };
        let full = list.data.len() >= USER_PAGE;
        let found = list.data.iter().any(|u| {
            u.attributes
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
                && u.attributes.status.as_deref().unwrap_or("Active") == "Active"
        });
        if found {
            return Ok(Presence::Found);
        }
        if !full {
            return Ok(Presence::Missing);
        }
    }
    Err(ApiError::Decode {
        object: format!("users matching {email}"),
        detail: format!("more than {MAX_PAGES} pages of {USER_PAGE} users"),
    })
}

/// Both Microsoft Teams listings, one after the other: the union of their names; when one
/// is forbidden the whole is (the check cannot tell a missing handle from an unread one);
/// one that is missing (404) adds nothing.
async fn ms_teams(client: &Client) -> Result<Listing, ApiError> {
    let mut names = BTreeSet::new();
    let mut any = false;
    for kind in ["tenant-based-handles", "workflows-webhook-handles"] {
        match client.list_ms_teams_handles(kind).await? {
            Answer::Found(list) => {
                any = true;
                names.extend(named(list));
            }
            Answer::Missing => {}
            Answer::Forbidden(permission) => return Ok(Listing::Forbidden { permission }),
        }
    }
    Ok(if any {
        Listing::Names(names)
    } else {
        Listing::Missing
    })
}

async fn run(client: &Client, job: Job) -> Result<Found, ApiError> {
    Ok(match job {
        Job::Webhook(name) => {
            let answer = client.probe_webhook(&name).await?;
            Found::Webhook(name, presence(answer))
        }
        Job::Slack(account) => {
            let answer = client.list_slack_channels(&account).await?;
            let names = |channels: Vec<wire::SlackChannel>| {
                channels
                    .into_iter()
                    .map(|c| c.name.trim_start_matches('#').to_string())
                    .collect()
            };
            Found::Slack(account, listing(answer, names))
        }
        Job::PagerDuty(name) => {
            let answer = client.get_pagerduty_service(&name).await?;
            Found::PagerDuty(name, presence(answer))
        }
        Job::Opsgenie => Found::Opsgenie(listing(client.list_opsgenie_services().await?, named)),
        Job::MsTeams => Found::MsTeams(ms_teams(client).await?),
        Job::Teams => Found::Teams(teams(client).await?),
        Job::User(email) => {
            let found = user(client, &email).await?;
            Found::User(email.to_lowercase(), found)
        }
    })
}

/// Looks up everything `query` asks, at most `concurrency` requests at a time: one request
/// per distinct name or per list page, never one per mention. 404 is `Missing`, 403
/// `Forbidden` with the permission of [`PERMISSIONS`]; any other failure (after the client's
/// retries and pacing), or an answer that cannot be read, is the error, naming the object.
pub async fn look_up(
    client: &Client,
    query: &HandleQuery,
    concurrency: usize,
) -> Result<HandleDirectory, ApiError> {
    let mut jobs: Vec<Job> = Vec::new();
    jobs.extend(query.webhooks.iter().cloned().map(Job::Webhook));
    jobs.extend(query.slack_accounts.iter().cloned().map(Job::Slack));
    jobs.extend(query.pagerduty_services.iter().cloned().map(Job::PagerDuty));
    if query.opsgenie {
        jobs.push(Job::Opsgenie);
    }
    if query.ms_teams {
        jobs.push(Job::MsTeams);
    }
    if query.teams {
        jobs.push(Job::Teams);
    }
    let emails: BTreeSet<String> = query.users.iter().map(|e| e.to_lowercase()).collect();
    jobs.extend(emails.into_iter().map(Job::User));
    let mut results = stream::iter(jobs)
        .map(|job| run(client, job))
        .buffer_unordered(concurrency.max(1));
    let mut directory = HandleDirectory::default();
    while let Some(found) = results.next().await {
        match found? {
            Found::Webhook(name, p) => {
                directory.webhooks.insert(name, p);
            }
            Found::Slack(account, l) => {
                directory.slack_accounts.insert(account, l);
            }
            Found::PagerDuty(name, p) => {
                directory.pagerduty_services.insert(name, p);
            }
            Found::Opsgenie(l) => directory.opsgenie = Some(l),
            Found::MsTeams(l) => directory.ms_teams = Some(l),
            Found::Teams(l) => directory.teams = Some(l),
            Found::User(email, p) => {
                directory.users.insert(email, p);
            }
        }
    }
    Ok(directory)
}
