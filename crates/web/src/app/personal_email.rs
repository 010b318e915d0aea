//! A person's own e-mail (issue 20): the address they prove by a link, the kinds of event they
//! want e-mail about, and the daily digest. The `/email` pages and `specflow channel … --person`
//! both come through here, so they check the same things and say so in the same words.

use crate::app::AppState;
use crate::app::problem::{Problem, ProblemKind};
use specflow_engine::notify::{event_type_name, notified_event_types};
use specflow_engine::{Language, LocalizedText};
use specflow_store::accounts::AccountSummary;
use specflow_store::personal_email::{AddressChange, AddressRefusal, PersonEmail};

/// A kind of event a person may choose, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventChoice {
    /// The event type, such as `deadline_missed`.
    pub event_type: String,
    /// Its name in both languages.
    pub name: LocalizedText,
}

/// The kinds of event the newest registered definitions notify about: what a person may choose.
pub async fn event_choices(state: &AppState) -> Result<Vec<EventChoice>, Problem> {
    let mut definitions = Vec::new();
    for id in state.store.definition_ids().await? {
        definitions.push(state.store.latest_definition(&id).await?);
    }
    Ok(
        notified_event_types(definitions.iter().map(|definition| definition.as_ref()))
            .into_iter()
            .map(|event_type| EventChoice {
                name: event_type_name(&event_type),
                event_type,
            })
            .collect(),
    )
}

/// Checks an address as a person types it, saying in both languages what is wrong.
pub fn check_address(address: &str) -> Result<(), Problem> {
    let address = address.trim();
    let refuse = |zh: String, en: String| Err(Problem::invalid("address", zh, en));
    if address.is_empty() {
        return refuse(
            "请填写邮箱地址，例如 li.na@example.org".to_string(),
            "Enter an e-mail address, such as li.na@example.org".to_string(),
        );
    }
    if address.chars().count() > 254 {
        return refuse(
            "邮箱地址超过 254 个字符".to_string(),
            "The e-mail address is longer than 254 characters".to_string(),
        );
    }
    let Some((local, domain)) = address.split_once('@') else {
        return refuse(
            format!("邮箱地址「{address}」缺少 @"),
            format!("The e-mail address “{address}” has no @"),
        );
    };
    if local.is_empty() || domain.contains('@') {
        return refuse(
            format!("邮箱地址「{address}」应为一个名字、一个 @ 和一个域名"),
            format!("The e-mail address “{address}” should be a name, one @ and a domain"),
        );
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return refuse(
            format!("邮箱地址「{address}」的 @ 之后应是 example.org 这样的域名"),
            format!(
                "The e-mail address “{address}” needs a domain such as example.org after the @"
            ),
        );
    }
    if let Some(bad) = address.chars().find(|character| {
        character.is_whitespace() || character.is_control() || "<>()[]\\,;:\"".contains(*character)
    }) {
        return refuse(
            format!("邮箱地址「{address}」含有不能用的字符「{bad}」"),
            format!("The e-mail address “{address}” contains “{bad}”, which cannot be used"),
        );
    }
    Ok(())
}

/// Sets the account's address and writes the message that proves it (or only its language,
/// when it is already its verified address).
pub async fn set_address(
    state: &AppState,
    account: &AccountSummary,
    address: &str,
    language: Language,
) -> Result<AddressChange, Problem> {
    check_address(address)?;
    match state
        .store
        .set_person_email(&account.name, address, language)
        .await?
    {
        Ok(change) => Ok(change),
        Err(AddressRefusal::NoAccount) => Err(no_account(&account.name)),
        Err(AddressRefusal::TooSoon { retry_at }) => {
            let local = retry_at.with_timezone(&crate::app::todo::shanghai());
            Err(Problem::new(
                ProblemKind::TooManyRequests,
                format!(
                    "确认邮件刚刚寄出；{} 之后才能再寄一封",
                    local.format("%H:%M:%S")
                ),
                format!(
                    "A confirmation message was just sent; another can be sent after {} (Asia/Shanghai)",
                    local.format("%H:%M:%S")
                ),
            ))
        }
    }
}

/// Sets the kinds of event the account wants e-mail about and the digest, after checking each
/// kind is one the definitions notify about.
pub async fn set_choices(
    state: &AppState,
    account: &AccountSummary,
    event_types: &[String],
    digest: bool,
) -> Result<(), Problem> {
    check_choices(state, event_types).await?;
    if state
        .store
        .set_person_choices(&account.name, event_types, digest)
        .await?
    {
        Ok(())
    } else {
        Err(no_account(&account.name))
    }
}

/// Refuses a kind of event the definitions do not notify about, naming it and the kinds there
/// are.
pub async fn check_choices(state: &AppState, event_types: &[String]) -> Result<(), Problem> {
    let choices = event_choices(state).await?;
    if let Some(unknown) = event_types
        .iter()
        .find(|chosen| !choices.iter().any(|choice| &choice.event_type == *chosen))
    {
        let known: Vec<&str> = choices
            .iter()
            .map(|choice| choice.event_type.as_str())
            .collect();
        return Err(Problem::invalid(
            "events",
            format!("没有「{unknown}」这种通知；可选：{}", known.join("、")),
            format!(
                "There is no notification of the kind “{unknown}”; the kinds are: {}",
                known.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The account's settings, if it has set an address; its choices either way.
pub async fn settings_of(
    state: &AppState,
    account: &AccountSummary,
) -> Result<(Option<PersonEmail>, Vec<String>), Problem> {
    let settings = state.store.person_email(account.account_id).await?;
    let chosen = match &settings {
        Some(settings) => settings.event_types.clone(),
        None => state.store.person_event_types(account.account_id).await?,
    };
    Ok((settings, chosen))
}

fn no_account(name: &str) -> Problem {
    Problem::new(
        ProblemKind::NotFound,
        format!("没有可用的账户「{name}」（不存在或已停用）"),
        format!("There is no active account “{name}” (none, or it is disabled)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_refused_saying_what_is_wrong_in_both_languages() {
        assert!(check_address("li.na@example.org").is_ok());
        for (bad, english) in [
            ("", "Enter an e-mail address"),
            ("li.na", "has no @"),
            ("li.na@example", "needs a domain"),
            ("li na@example.org", "contains"),
            ("@example.org", "should be a name"),
        ] {
            match check_address(bad) {
                Ok(()) => panic!("{bad:?} was accepted"),
                Err(problem) => {
                    assert!(problem.detail.en.contains(english), "{}", problem.detail.en);
                    assert!(!problem.detail.zh.is_empty());
                }
            }
        }
    }
}
