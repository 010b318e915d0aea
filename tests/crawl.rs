//! Every link of the pages leads somewhere each role may go: the demo's data served by the real
//! `specflow serve`, signed in as each role in turn, every link followed from the home page.
//!
//! A link into the API (`/api/…`) fails the test, because the API answers a browser with JSON 401;
//! so does any link that answers 4xx or 5xx, because a page offers only what its reader may open.
//! Every page is read in Chinese, the default, and fails the test where it shows English prose:
//! two or more words in a row from the English message catalogue (the English halves of the
//! source's `pick("中文", "English")` texts) outside code, hashes and identifiers.
//! Links that differ only in their query's values (the project as of each of its records, say)
//! are fetched a few times per address, not every time, so the crawl stays quick; every one is
//! still checked for where it points.

use crate::client_cli::{serve_with, text};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::{Command, Stdio};

/// How many addresses with the same path and the same query names are fetched per role.
const FETCHES_PER_SHAPE: usize = 3;

/// The tokens `specflow demo` printed, by role.
fn demo_tokens(printed: &str) -> BTreeMap<String, String> {
    printed
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let role = words.next()?;
            let token = words.next().filter(|token| token.starts_with("sft_"))?;
            Some((role.to_string(), token.to_string()))
        })
        .collect()
}

/// The value of a cookie set by a response, if it set it.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// Signs in through the sign-in form with a token pasted as the password; the session cookie.
async fn sign_in(client: &reqwest::Client, site: &str, token: &str) -> String {
    let form = client.get(format!("{site}/signin")).send().await.unwrap();
    let signin_key = set_cookie(&form, "specflow_signin").expect("no sign-in cookie");
    let body = form.text().await.unwrap();
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("no CSRF field on the sign-in form")
        .to_string();
    let answer = client
        .post(format!("{site}/signin"))
        .header(COOKIE, format!("specflow_signin={signin_key}"))
        .form(&[("name", ""), ("password", token), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_redirection(),
        "signing in answered {}",
        answer.status()
    );
    set_cookie(&answer, "specflow_session").expect("no session cookie after signing in")
}

/// Every `href` of a page, unescaped.
fn links(page: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| {
            href.replace("&amp;", "&")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
        })
        .collect()
}

/// The address's path with the names of its query, for counting fetches of the same shape.
fn shape(address: &str) -> String {
    let (path, query) = address.split_once('?').unwrap_or((address, ""));
    let mut names: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|name| !name.is_empty())
        .collect();
    names.sort_unstable();
    format!("{path}?{}", names.join("&"))
}

/// The English message catalogue: every word of three letters or more in the English half of a
/// `pick("中文", "English")` or `LocalizedText::new("中文", "English")` text of the web pages and
/// the engine.
fn english_catalogue() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut words = BTreeSet::new();
    let mut folders = vec![root.join("crates/web/src"), root.join("crates/engine/src")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let calls = source
                .split("pick(")
                .skip(1)
                .chain(source.split("LocalizedText::new(").skip(1));
            for call in calls {
                let mut literals = call.split('"');
                // `pick("中文", "English")`: the English text is the fourth piece.
                let (Some(_), Some(chinese), Some(between), Some(english)) = (
                    literals.next(),
                    literals.next(),
                    literals.next(),
                    literals.next(),
                ) else {
                    continue;
                };
                if between.trim() != "," || chinese.is_ascii() {
                    continue;
                }
                for word in english.split(|character: char| !character.is_ascii_alphabetic()) {
                    if word.len() >= 3 {
                        words.insert(word.to_ascii_lowercase());
                    }
                }
            }
        }
    }
    words
}

/// The text a reader sees on a page: no tags, no attributes, and nothing inside `<code>`,
/// `<title>`, `<style>` or an element marked as a hash, where identifiers are shown as they are.
fn visible_text(page: &str) -> String {
    let mut text = String::new();
    let mut rest = page;
    let mut skipping: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if skipping.is_none() {
            text.push_str(&rest[..open]);
            text.push(' ');
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name = tag
            .trim_start_matches('/')
            .split(|character: char| character.is_whitespace() || character == '>')
            .next()
            .unwrap_or_default();
        match skipping {
            Some(until) if tag.starts_with('/') && name == until => skipping = None,
            Some(_) => {}
            None if !tag.starts_with('/')
                && (["code", "title", "style"].contains(&name) || tag.contains("class=\"hash")) =>
            {
                skipping = Some(name);
            }
            None => {}
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// English prose in a Chinese page: runs of two or more catalogue words.
fn english_prose(page: &str, catalogue: &BTreeSet<String>) -> Vec<String> {
    let text = visible_text(page);
    let mut found = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut flush = |run: &mut Vec<&str>| {
        if run.len() >= 2 {
            found.push(run.join(" "));
        }
        run.clear();
    };
    for token in text.split([' ', '\n', '\t']) {
        let word = token.trim_matches(|character: char| ",.;:()!?'\"".contains(character));
        let is_catalogue_word = word.len() >= 3
            && word
                .chars()
                .all(|character| character.is_ascii_alphabetic())
            && catalogue.contains(&word.to_ascii_lowercase());
        if is_catalogue_word {
            run.push(word);
        } else if !token.is_empty() {
            flush(&mut run);
        }
    }
    flush(&mut run);
    found
}

/// What went wrong for one role: each bad link with the page it was found on.
async fn crawl_as(
    client: &reqwest::Client,
    site: &str,
    session: &str,
    catalogue: &BTreeSet<String>,
) -> (usize, Vec<String>) {
    let cookie = format!("specflow_session={session}");
    let mut problems = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut fetched_per_shape: BTreeMap<String, usize> = BTreeMap::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::from([("/".to_string(), "-".into())]);
    let mut fetched = 0;
    while let Some((address, found_on)) = queue.pop_front() {
        let count = fetched_per_shape.entry(shape(&address)).or_default();
        if *count >= FETCHES_PER_SHAPE {
            continue;
        }
        *count += 1;
        fetched += 1;
        let response = client
            .get(format!("{site}{address}"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string();
            if location.starts_with("/signin") {
                problems.push(format!("{address} (on {found_on}) sent to sign in again"));
            } else if seen.insert(location.clone()) {
                queue.push_back((location, address.clone()));
            }
            continue;
        }
        if status != StatusCode::OK {
            problems.push(format!("{address} (on {found_on}) answered {status}"));
            continue;
        }
        let is_page = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        if !is_page {
            continue;
        }
        let page = response.text().await.unwrap();
        for phrase in english_prose(&page, catalogue) {
            problems.push(format!("{address} shows English in Chinese: \"{phrase}\""));
        }
        for link in links(&page) {
            if link.starts_with("/api/") || link.contains("/api/v1") {
                problems.push(format!("{address} links into the API: {link}"));
                continue;
            }
            // Other sites, fragments and the stylesheet are not pages of this one.
            if !link.starts_with('/') || link.starts_with("//") || link == "/style.css" {
                continue;
            }
            let link = link.split('#').next().unwrap_or_default().to_string();
            if seen.insert(link.clone()) {
                queue.push_back((link, address.clone()));
            }
        }
    }
    (fetched, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_link_of_every_page_opens_for_each_role() {
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("demo.db").display());
    let demo = Command::new(env!("CARGO_BIN_EXE_specflow"))
        .args(["demo", "--no-serve", "--database", &database])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let tokens = demo_tokens(&text(&demo.stdout));
    assert_eq!(tokens.len(), 7, "{tokens:?}");
    let server = serve_with(&database, &[]);
    let site = format!("http://{}", server.address);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let catalogue = english_catalogue();
    assert!(catalogue.len() > 300, "{} catalogue words", catalogue.len());
    let mut problems = Vec::new();
    for (role, token) in &tokens {
        let session = sign_in(&client, &site, token).await;
        let (fetched, found) = crawl_as(&client, &site, &session, &catalogue).await;
        assert!(fetched > 10, "{role} reached only {fetched} addresses");
        eprintln!("{role}: {fetched} addresses fetched");
        problems.extend(
            found
                .into_iter()
                .map(|problem| format!("{role}: {problem}")),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
