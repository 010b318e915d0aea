//! Finding projects (issue 21), on both backends: Chinese substrings of two characters and of
//! one, a code prefix typed with full-width or half-width parentheses, English words in either
//! case, ranked with the code first, the match marked, only what the reader may see, and the
//! projects written before the index indexed when asked.

use crate::support::*;
use specflow_store::Principal;
use specflow_store::auth::Role;
use specflow_store::search::{QueryError, SearchField};
use uuid::Uuid;

fn reader(role: Role, committee: Option<&str>) -> Principal {
    Principal {
        token_id: Uuid::new_v4(),
        subject: format!("{role}-reader"),
        role,
        committee: committee.map(str::to_string),
        project_id: None,
    }
}

conformance!(
    projects_are_found_by_chinese_substrings_codes_and_words_within_the_readers_scope,
    |kind| async move {
        let Some((store, _clock, _keep, url)) = store(kind).await else {
            return;
        };
        for (number, committee) in [
            (1, "SH-TC-01"),
            (2, "SH-TC-01"),
            (3, "SH-TC-02"),
            (12, "SH-TC-02"),
        ] {
            created_project(&store, number, committee).await;
        }
        let bureau = reader(Role::Supervisor, None);
        let codes = |hits: &[specflow_store::search::SearchHit]| {
            hits.iter().map(|hit| hit.code.clone()).collect::<Vec<_>>()
        };
        // Two Chinese characters, inside the title: every project, the match marked.
        let hits = store
            .search_projects(&bureau, "规范", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hits.len(), 4, "{hits:#?}");
        let first = &hits[0].best;
        assert_eq!(first.field, SearchField::TitleZh);
        assert_eq!(
            (first.before.as_str(), first.matched.as_str()),
            ("测试", "规范")
        );
        // A code with full-width parentheses, as an IME types it: its prefix first.
        let hits = store
            .search_projects(&bureau, "JJF（沪）-2026-01", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes(&hits), ["JJF(沪)-2026-012"]);
        assert_eq!(hits[0].best.field, SearchField::Code);
        assert_eq!(hits[0].best.matched, "JJF(沪)-2026-01");
        // The exact code ranks before codes it is a prefix of.
        let hits = store
            .search_projects(&bureau, "jjf(沪)-2026-001", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes(&hits), ["JJF(沪)-2026-001"]);
        // English words, in any case; a committee; a drafting unit.
        let hits = store
            .search_projects(&bureau, "SPECIFICATION 3", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes(&hits), ["JJF(沪)-2026-003"]);
        assert_eq!(hits[0].best.field, SearchField::TitleEn);
        let hits = store
            .search_projects(&bureau, "tc-02", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes(&hits), ["JJF(沪)-2026-003", "JJF(沪)-2026-012"]);
        assert_eq!(hits[0].best.field, SearchField::Committee);
        let hits = store
            .search_projects(&bureau, "计量测试", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hits.len(), 4);
        assert_eq!(hits[0].best.field, SearchField::DraftingUnit);
        // One Chinese character is enough; a lone letter, punctuation or an essay are not.
        assert_eq!(
            store
                .search_projects(&bureau, "沪", 20)
                .await
                .unwrap()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            store.search_projects(&bureau, "j", 20).await.unwrap(),
            Err(QueryError::TooShort)
        );
        assert_eq!(
            store.search_projects(&bureau, "（）", 20).await.unwrap(),
            Err(QueryError::TooShort)
        );
        assert_eq!(
            store
                .search_projects(&bureau, &"天".repeat(101), 20)
                .await
                .unwrap(),
            Err(QueryError::TooLong)
        );
        // Grams present but apart are no match.
        assert!(
            store
                .search_projects(&bureau, "规测", 20)
                .await
                .unwrap()
                .unwrap()
                .is_empty()
        );
        // A committee's secretariat sees its committee's projects only; the limit holds.
        let secretariat = reader(Role::Secretariat, Some("SH-TC-01"));
        let hits = store
            .search_projects(&secretariat, "规范", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(codes(&hits), ["JJF(沪)-2026-001", "JJF(沪)-2026-002"]);
        let hits = store
            .search_projects(&secretariat, "JJF(沪)-2026-0", 20)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(
            store
                .search_projects(&bureau, "规范", 1)
                .await
                .unwrap()
                .unwrap()
                .len(),
            1
        );
        // Projects the index has not seen are indexed when asked (as after the migration).
        assert_eq!(store.index_unsearched_projects().await.unwrap(), 0);
        let raw = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("DELETE FROM project_search")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        assert!(
            store
                .search_projects(&bureau, "规范", 20)
                .await
                .unwrap()
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.index_unsearched_projects().await.unwrap(), 4);
        assert_eq!(
            store
                .search_projects(&bureau, "规范", 20)
                .await
                .unwrap()
                .unwrap()
                .len(),
            4
        );
    }
);
