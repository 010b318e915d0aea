//! People's own e-mail (issue 20), on both backends: an address is proved by the secret of the
//! message sent to it; a record's notification is fanned out, in the statement that writes the
//! record, to exactly the people who chose its kind of event, may see the project, have proved
//! their address and are not disabled; a digest is written once per person and day however many
//! nodes try; a robot's messages a minute are counted across nodes.

use crate::support::*;
use specflow_engine::Language;
use specflow_engine::command::Command;
use specflow_store::auth::Role;
use specflow_store::personal_email::{AddressChange, AddressRefusal};
use specflow_store::{OutboxFilter, Store, StoreError};

const PASSWORD: &str = "correct horse battery";

/// The secret of the newest verification message to the account `name`, read from the outbox
/// as the deliverer would read it.
async fn verification_secret(store: &Store, name: &str) -> String {
    let account = store.account(name).await.unwrap().unwrap();
    let filter = OutboxFilter {
        audience: Some(format!("verify:{}", account.account_id)),
        ..OutboxFilter::default()
    };
    let page = store.list_outbox(&filter, None, 100).await.unwrap();
    let newest = page.items.last().expect("a verification message");
    let body: serde_json::Value = serde_json::from_str(&newest.body).unwrap();
    assert_eq!(body["event_type"], "email_verification");
    body["secret"].as_str().unwrap().to_string()
}

/// Creates an account and proves its address `name@example.org`.
async fn person(store: &Store, name: &str, role: Role, committee: Option<&str>) {
    store
        .create_account(name, role, committee, None, PASSWORD)
        .await
        .unwrap();
    let address = format!("{name}@example.org");
    let set = store
        .set_person_email(name, &address, Language::En)
        .await
        .unwrap();
    assert_eq!(set, Ok(AddressChange::VerificationSent));
    let secret = verification_secret(store, name).await;
    let proved = store.verify_person_email(&secret).await.unwrap().unwrap();
    assert_eq!(proved.address, address);
    assert!(proved.verified_at.is_some());
}

conformance!(
    an_address_is_proved_by_its_link_once_and_a_new_one_starts_over,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        store
            .create_account("wang", Role::Secretariat, Some("SH-TC-01"), None, PASSWORD)
            .await
            .unwrap();
        // A malformed address is refused, naming it.
        match store
            .set_person_email("wang", "wang.example.org", Language::Zh)
            .await
        {
            Err(StoreError::InvalidRequest(message)) => {
                assert!(message.contains("wang.example.org"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store
                .set_person_email("nobody", "a@example.org", Language::Zh)
                .await
                .unwrap(),
            Err(AddressRefusal::NoAccount)
        );
        store
            .set_person_email("wang", "wang@example.org", Language::Zh)
            .await
            .unwrap()
            .unwrap();
        // A second message within the minute is refused, saying when.
        match store
            .set_person_email("wang", "wang@example.org", Language::Zh)
            .await
            .unwrap()
        {
            Err(AddressRefusal::TooSoon { retry_at }) => assert!(retry_at > store.clock().now()),
            other => panic!("{other:?}"),
        }
        let first = verification_secret(&store, "wang").await;
        clock.advance(chrono::Duration::minutes(2));
        store
            .set_person_email("wang", "wang@example.net", Language::Zh)
            .await
            .unwrap()
            .unwrap();
        let second = verification_secret(&store, "wang").await;
        // The first link proves nothing now, and its message is not sent.
        assert!(store.pending_verification(&first).await.unwrap().is_none());
        assert!(store.verify_person_email(&first).await.unwrap().is_none());
        let pending = store.pending_verification(&second).await.unwrap().unwrap();
        assert_eq!(pending.address, "wang@example.net");
        assert_eq!(pending.verified_at, None);
        let proved = store.verify_person_email(&second).await.unwrap().unwrap();
        assert_eq!(proved.address, "wang@example.net");
        // Used once.
        assert!(store.verify_person_email(&second).await.unwrap().is_none());
        // The person's channel exists only now, and is not listed with the audiences'.
        let account = store.account("wang").await.unwrap().unwrap();
        let targets = store.webhook_targets().await.unwrap();
        assert_eq!(
            targets[&format!("person:{}", account.account_id)].url,
            "mailto:wang@example.net"
        );
        assert!(store.webhooks().await.unwrap().is_empty());
        // The same address again keeps it proved.
        assert_eq!(
            store
                .set_person_email("wang", "wang@example.net", Language::En)
                .await
                .unwrap(),
            Ok(AddressChange::AlreadyVerified)
        );
        // Removing it takes the channel away.
        assert!(store.remove_person_email("wang").await.unwrap());
        let targets = store.webhook_targets().await.unwrap();
        assert!(!targets.contains_key(&format!("person:{}", account.account_id)));
    }
);

conformance!(
    a_notification_reaches_exactly_the_people_who_chose_it_and_may_see_the_project,
    |kind| async move {
        let Some((store, clock, _keep, _url)) = store(kind).await else {
            return;
        };
        person(&store, "wang", Role::Secretariat, Some("SH-TC-01")).await;
        person(&store, "zhou", Role::Secretariat, Some("SH-TC-02")).await;
        person(&store, "li", Role::Supervisor, None).await;
        person(&store, "gone", Role::Secretariat, Some("SH-TC-01")).await;
        person(&store, "quiet", Role::Secretariat, Some("SH-TC-01")).await;
        store
            .create_account(
                "unproved",
                Role::Secretariat,
                Some("SH-TC-01"),
                None,
                PASSWORD,
            )
            .await
            .unwrap();
        store
            .set_person_email("unproved", "unproved@example.org", Language::Zh)
            .await
            .unwrap()
            .unwrap();
        let cancelled = vec!["project_cancelled".to_string()];
        for name in ["wang", "zhou", "li", "gone", "unproved"] {
            assert!(
                store
                    .set_person_choices(name, &cancelled, false)
                    .await
                    .unwrap()
            );
        }
        // `quiet` chose another kind; `gone` is disabled after choosing.
        store
            .set_person_choices("quiet", &["deadline_missed".to_string()], false)
            .await
            .unwrap();
        store.disable_account("gone").await.unwrap();
        assert!(
            store
                .set_person_choices("wang", &["Not A Kind".to_string()], false)
                .await
                .is_err()
        );
        let project = created_project(&store, 1, "SH-TC-01").await;
        clock.advance(chrono::Duration::hours(1));
        let outcome = store
            .execute(request(
                project,
                bureau(),
                Command::FireAction {
                    action: "cancel".to_string(),
                    reason: Some("merged into another project".to_string()),
                },
            ))
            .await
            .unwrap();
        assert!(
            matches!(outcome, specflow_store::CommandOutcome::Accepted { .. }),
            "{outcome:?}"
        );
        let filter = OutboxFilter {
            project_id: Some(project),
            ..OutboxFilter::default()
        };
        let rows = store.list_outbox(&filter, None, 100).await.unwrap().items;
        let mut people: Vec<String> = rows
            .iter()
            .filter(|row| row.audience.starts_with("person:"))
            .map(|row| row.audience.clone())
            .collect();
        people.sort();
        let id = |name: &'static str| {
            let store = store.clone();
            async move {
                format!(
                    "person:{}",
                    store.account(name).await.unwrap().unwrap().account_id
                )
            }
        };
        let mut expected = vec![id("wang").await, id("li").await];
        expected.sort();
        assert_eq!(people, expected, "{rows:#?}");
        // The audiences' rows are there as before, and each person's row is its own.
        assert!(rows.iter().any(|row| row.audience == "secretariat"));
        let personal = rows.iter().find(|row| row.audience == expected[0]).unwrap();
        assert_eq!(personal.event_type, "project_cancelled");
        assert!(
            personal
                .notification_id
                .ends_with(&expected[0]["person:".len()..])
        );
        let body: serde_json::Value = serde_json::from_str(&personal.body).unwrap();
        assert_eq!(body["project"]["id"], project.to_string());
    }
);

conformance!(
    a_digest_is_written_once_per_person_and_day_whoever_tries,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        person(&store, "wang", Role::Secretariat, Some("SH-TC-01")).await;
        store.set_person_choices("wang", &[], true).await.unwrap();
        let recipients = store.digest_recipients().await.unwrap();
        assert_eq!(recipients.len(), 1);
        assert_eq!(recipients[0].last_sent_on, None);
        assert!(recipients[0].since.is_some());
        let account = recipients[0].account.account_id;
        // A second node on the same database.
        let other = Store::open_with_clock(
            &url,
            specflow_store::StoreOptions::default(),
            std::sync::Arc::new(specflow_store::ManualClock::new(start())),
        )
        .await
        .unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let (one, two) = tokio::join!(
            store.write_digest(account, day, r#"{"event_type":"daily_digest"}"#),
            other.write_digest(account, day, r#"{"event_type":"daily_digest"}"#),
        );
        assert_eq!(
            [one.unwrap(), two.unwrap()]
                .iter()
                .filter(|wrote| **wrote)
                .count(),
            1,
            "one node writes the day's digest"
        );
        let recipients = store.digest_recipients().await.unwrap();
        assert_eq!(recipients[0].last_sent_on, Some(day));
        let filter = OutboxFilter {
            audience: Some(format!("person:{account}")),
            ..OutboxFilter::default()
        };
        let rows = store.list_outbox(&filter, None, 100).await.unwrap().items;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].event_type, "daily_digest");
        // Without the digest chosen, nobody is a recipient.
        store.set_person_choices("wang", &[], false).await.unwrap();
        assert!(store.digest_recipients().await.unwrap().is_empty());
        other.close().await;
    }
);

conformance!(a_robots_minute_is_counted_across_nodes, |kind| async move {
    let Some((store, _clock, _keep, url)) = store(kind).await else {
        return;
    };
    let other = Store::open_with_clock(
        &url,
        specflow_store::StoreOptions::default(),
        std::sync::Arc::new(specflow_store::ManualClock::new(start())),
    )
    .await
    .unwrap();
    let robot = "https://oapi.dingtalk.com/robot/send?access_token=abc";
    let minute = chrono::Duration::minutes(1);
    let now = store.clock().now();
    let mut taken = 0;
    for (index, node) in [&store, &other, &store, &other].into_iter().enumerate() {
        let at = now + chrono::Duration::seconds(i64::try_from(index).unwrap());
        if node
            .take_robot_turn(robot, 3, minute, at)
            .await
            .unwrap()
            .is_none()
        {
            taken += 1;
        }
    }
    assert_eq!(taken, 3, "the two nodes together keep to 3 a minute");
    // The fourth waits until the first send leaves the minute.
    let waiting = other
        .take_robot_turn(robot, 3, minute, now + chrono::Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(waiting, Some(now + minute));
    assert_eq!(
        store
            .take_robot_turn(robot, 3, minute, now + minute)
            .await
            .unwrap(),
        None
    );
    // Another robot has its own minute.
    assert_eq!(
        store
            .take_robot_turn("https://open.feishu.cn/x", 3, minute, now)
            .await
            .unwrap(),
        None
    );
    other.close().await;
});
