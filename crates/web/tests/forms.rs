//! The work forms of a project's page, on SQLite and PostgreSQL: each shown only to the roles
//! the definition names and the scope allows, an unmet guard linked to the form that clears it,
//! a file uploaded as `multipart/form-data`, bad input kept and explained beside its field with
//! nothing written, CSRF refused, and the engine's refusals shown on the form.

use crate::pages::{Page, get, post, send, session, site};
use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use specflow_engine::definition::CommandKind;
use specflow_store::auth::Role;
use specflow_web::pages::csrf_token_for;
use tower::ServiceExt;

const BOUNDARY: &str = "specflow-test-boundary";

/// A `multipart/form-data` post with text fields and one file.
pub(super) fn upload(
    path: &str,
    cookies: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Request<Body> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, content)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Request::post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("cookie", cookies)
        .body(Body::from(body))
        .unwrap()
}

async fn head(store: &specflow_store::Store, project: uuid::Uuid) -> u64 {
    store
        .project_summary(project)
        .await
        .unwrap()
        .unwrap()
        .head_sequence
}

/// The ids of the work forms a page shows.
fn forms_shown(page: &Page) -> Vec<String> {
    page.body
        .match_indices("id=\"form-")
        .map(|(start, _)| {
            let rest = &page.body[start + 9..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

conformance!(
    forms_are_shown_to_the_roles_the_definition_names,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let project = format!("/projects/{}", site.own_project);

        // The drafter uploads, records comments and their dispositions' organisations, asks for an
        // extension; signing off and the bureau's forms are not theirs.
        let drafter = send(&site.app, get(&project, &session(&site.drafter))).await;
        assert_eq!(drafter.status, StatusCode::OK, "{}", drafter.body);
        let shown = forms_shown(&drafter);
        for expected in ["attach", "comment", "consulted", "record-field"] {
            assert!(
                shown.iter().any(|form| form == expected),
                "{expected} in {shown:?}"
            );
        }
        for hidden in [
            "sign-off",
            "publication",
            "fix-plan",
            "waiver",
            "migrate",
            "lift-freeze",
        ] {
            assert!(
                !shown.iter().any(|form| form == hidden),
                "{hidden} in {shown:?}"
            );
        }
        assert!(
            drafter.body.contains("enctype=\"multipart/form-data\""),
            "{}",
            drafter.body
        );
        assert!(
            drafter.body.contains("MiB"),
            "the upload form states its limit"
        );

        // The missing proposal links to the upload form with its kind chosen.
        assert!(
            drafter
                .body
                .contains("?form=attach&amp;kind=project_proposal#form-attach"),
            "{}",
            drafter.body
        );
        let opened = send(
            &site.app,
            get(
                &format!("{project}?form=attach&kind=project_proposal"),
                &session(&site.drafter),
            ),
        )
        .await;
        assert!(
            opened.body.contains("id=\"form-attach\" open"),
            "{}",
            opened.body
        );
        assert!(
            opened
                .body
                .contains("<option value=\"project_proposal\" selected>"),
            "{}",
            opened.body
        );

        // The bureau signs off, records publication, fixes the plan.
        let supervisor = send(&site.app, get(&project, &session(&site.supervisor))).await;
        let shown = forms_shown(&supervisor);
        for expected in ["sign-off", "publication", "fix-plan", "attach"] {
            assert!(
                shown.iter().any(|form| form == expected),
                "{expected} in {shown:?}"
            );
        }
        // Nothing to decide, nothing frozen: those forms wait for something to act on.
        for hidden in [
            "decide-extension",
            "lift-freeze",
            "record-meeting",
            "dispose",
        ] {
            assert!(
                !shown.iter().any(|form| form == hidden),
                "{hidden} in {shown:?}"
            );
        }
    }
);

conformance!(
    an_upload_form_beyond_the_callers_limit_is_429_with_retry_after,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let project = format!("/projects/{}", site.own_project);
        let cookie = session(&site.drafter);
        let csrf = csrf_token_for(&site.drafter);
        let before = head(&site.store, site.own_project).await;
        // The drafter's two uploads in flight (the default per caller), held here.
        let held = (
            site.store.begin_upload("drafter-zhao").unwrap(),
            site.store.begin_upload("drafter-zhao").unwrap(),
        );
        let refused = send(
            &site.app,
            upload(
                &format!("{project}/forms/attach"),
                &cookie,
                &[("csrf", &csrf), ("kind", "project_proposal")],
                Some(("建议书.pdf", b"%PDF-1.4 proposal")),
            ),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            refused.body
        );
        assert_eq!(refused.header("retry-after"), "10");
        assert!(refused.body.contains("个上传正在进行"), "{}", refused.body);
        assert_eq!(head(&site.store, site.own_project).await, before);
        drop(held);
        let done = send(
            &site.app,
            upload(
                &format!("{project}/forms/attach"),
                &cookie,
                &[("csrf", &csrf), ("kind", "project_proposal")],
                Some(("建议书.pdf", b"%PDF-1.4 proposal")),
            ),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }
);

conformance!(
    an_upload_is_stored_and_attached_and_a_bad_one_writes_nothing,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let project = format!("/projects/{}", site.own_project);
        let cookie = session(&site.drafter);
        let csrf = csrf_token_for(&site.drafter);
        let before = head(&site.store, site.own_project).await;

        // No file chosen: the form again, with the kind kept and the reason beside the file.
        let refused = send(
            &site.app,
            upload(
                &format!("{project}/forms/attach"),
                &cookie,
                &[("csrf", &csrf), ("kind", "project_proposal")],
                None,
            ),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("请选择一个非空文件"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("id=\"form-attach\" open"),
            "{}",
            refused.body
        );
        assert_eq!(head(&site.store, site.own_project).await, before);

        // A forged form: refused, nothing written.
        let forged = send(
            &site.app,
            upload(
                &format!("{project}/forms/attach"),
                &cookie,
                &[("csrf", "0123"), ("kind", "project_proposal")],
                Some(("建议书.pdf", b"%PDF-1.4 proposal")),
            ),
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
        assert_eq!(head(&site.store, site.own_project).await, before);

        let done = send(
            &site.app,
            upload(
                &format!("{project}/forms/attach"),
                &cookie,
                &[("csrf", &csrf), ("kind", "project_proposal")],
                Some(("建议书.pdf", b"%PDF-1.4 proposal")),
            ),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.header("location"), format!("{project}?saved=attach"));
        assert_eq!(head(&site.store, site.own_project).await, before + 1);
        let shown = send(&site.app, get(&done.header("location"), &cookie)).await;
        assert!(shown.body.contains("class=\"success\""), "{}", shown.body);
        assert!(shown.body.contains("建议书.pdf"), "{}", shown.body);
        // The proposal is no longer missing, so its link is gone.
        assert!(
            !shown.body.contains("kind=project_proposal#form-attach"),
            "{}",
            shown.body
        );

        // Downloaded from the project's page under its own name, as a PDF.
        let digest = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(b"%PDF-1.4 proposal"))
        };
        let link = format!("{project}/artifacts/{digest}");
        assert!(shown.body.contains(&link), "{}", shown.body);
        let download = site.app.clone().oneshot(get(&link, &cookie)).await.unwrap();
        assert_eq!(download.status(), StatusCode::OK);
        let headers = download.headers().clone();
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E5%BB%BA%E8%AE%AE%E4%B9%A6.pdf"
        );
        let bytes = axum::body::to_bytes(download.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"%PDF-1.4 proposal");
        // Another project's page does not serve it.
        let elsewhere = send(
            &site.app,
            get(
                &format!("/projects/{}/artifacts/{digest}", site.other_project),
                &cookie,
            ),
        )
        .await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    }
);

conformance!(
    a_refused_form_keeps_what_was_typed_and_says_why_beside_it,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let project = format!("/projects/{}", site.own_project);
        let cookie = session(&site.secretariat);
        let csrf = csrf_token_for(&site.secretariat);
        let before = head(&site.store, site.own_project).await;

        // The comment's text is missing: 422, the organisation kept, the reason beside the text.
        let refused = send(
            &site.app,
            post(
                &format!("{project}/forms/comment"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("comment_id", "1"),
                    ("organisation", "上海市计量协会"),
                    ("clause", "5.2"),
                    ("text", "  "),
                ],
            ),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("value=\"上海市计量协会\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"5.2\""), "{}", refused.body);
        assert!(
            refused.body.contains("class=\"field-error\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("此项必填"), "{}", refused.body);
        assert_eq!(head(&site.store, site.own_project).await, before);

        // In English, the same refusal in English.
        let english = send(
            &site.app,
            post(
                &format!("{project}/forms/comment"),
                &format!("{cookie}; specflow_language=en"),
                &[
                    ("csrf", &csrf),
                    ("comment_id", "1"),
                    ("organisation", "SIMT"),
                ],
            ),
        )
        .await;
        assert_eq!(english.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            english.body.contains("This is required"),
            "{}",
            english.body
        );

        // The engine's refusal (no freeze to lift) is shown above the form, with status 422.
        let supervisor = session(&site.supervisor);
        let engine = send(
            &site.app,
            post(
                &format!("{project}/forms/lift-freeze"),
                &supervisor,
                &[
                    ("csrf", &csrf_token_for(&site.supervisor)),
                    ("reason", "计划已调整"),
                ],
            ),
        )
        .await;
        assert_eq!(
            engine.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            engine.body
        );
        assert!(
            engine.body.contains("class=\"form-errors\""),
            "{}",
            engine.body
        );
        assert_eq!(head(&site.store, site.own_project).await, before);

        // A page drawn before someone else's change: refused, the typed values kept.
        let stale = send(
            &site.app,
            post(
                &format!("{project}/forms/consulted"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("sequence", "999"),
                    ("organisations", "上海市计量协会\n华东计量测试中心"),
                ],
            ),
        )
        .await;
        assert_eq!(
            stale.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            stale.body
        );
        assert!(stale.body.contains("华东计量测试中心"), "{}", stale.body);
        assert_eq!(head(&site.store, site.own_project).await, before);

        // Done right: the organisations are recorded, one per line.
        let done = send(
            &site.app,
            post(
                &format!("{project}/forms/consulted"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("organisations", "上海市计量协会\n华东计量测试中心\n"),
                ],
            ),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let state = site
            .store
            .project(site.own_project)
            .await
            .unwrap()
            .unwrap()
            .state;
        assert_eq!(state.organisations_consulted.len(), 2);

        // A comment, then its disposition refused without a reason, then given one.
        let comment = send(
            &site.app,
            post(
                &format!("{project}/forms/comment"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("comment_id", "1"),
                    ("organisation", "上海市计量协会"),
                    ("text", "建议补充不确定度评定示例"),
                ],
            ),
        )
        .await;
        assert_eq!(comment.status, StatusCode::SEE_OTHER, "{}", comment.body);
        let no_reason = send(
            &site.app,
            post(
                &format!("{project}/forms/dispose"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("comment", "1"),
                    ("disposition", "not_accepted"),
                ],
            ),
        )
        .await;
        assert_eq!(
            no_reason.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            no_reason.body
        );
        assert!(
            no_reason.body.contains("不采纳的意见须说明理由"),
            "{}",
            no_reason.body
        );
        let disposed = send(
            &site.app,
            post(
                &format!("{project}/forms/dispose"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("comment", "1"),
                    ("disposition", "not_accepted"),
                    ("reason", "示例见附录B，不再重复"),
                ],
            ),
        )
        .await;
        assert_eq!(disposed.status, StatusCode::SEE_OTHER, "{}", disposed.body);
        // The comment's words and the disposition's reason are on the project's page, not
        // only in its audit log.
        let page = send(&site.app, get(&project, &cookie)).await;
        for expected in [
            "建议补充不确定度评定示例",
            "示例见附录B，不再重复",
            "上海市计量协会",
        ] {
            assert!(page.body.contains(expected), "{expected}: {}", page.body);
        }
        assert!(
            !page.body.contains("comments_page="),
            "one page needs no pager"
        );
    }
);

conformance!(forms_obey_the_apis_authorization, |kind| async move {
    let Some(site) = site(kind).await else {
        return;
    };
    let own = format!("/projects/{}", site.own_project);
    let other = format!("/projects/{}", site.other_project);
    let before = head(&site.store, site.own_project).await;

    // A drafter may not sign off (the definition's roles): refused, nothing written.
    let drafter = session(&site.drafter);
    let refused = send(
        &site.app,
        post(
            &format!("{own}/forms/sign-off"),
            &drafter,
            &[
                ("csrf", &csrf_token_for(&site.drafter)),
                ("subject", "completeness_check"),
            ],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(head(&site.store, site.own_project).await, before);

    // Another project: the same 404 as a missing one.
    let hidden = send(
        &site.app,
        post(
            &format!("{other}/forms/comment"),
            &drafter,
            &[
                ("csrf", &csrf_token_for(&site.drafter)),
                ("comment_id", "1"),
                ("organisation", "x"),
                ("text", "y"),
            ],
        ),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);

    // No such form.
    let unknown = send(
        &site.app,
        post(
            &format!("{own}/forms/teleport"),
            &drafter,
            &[("csrf", &csrf_token_for(&site.drafter))],
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    // The bureau signs off.
    let signed = send(
        &site.app,
        post(
            &format!("{own}/forms/sign-off"),
            &session(&site.supervisor),
            &[
                ("csrf", &csrf_token_for(&site.supervisor)),
                ("subject", "completeness_check"),
            ],
        ),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    assert_eq!(head(&site.store, site.own_project).await, before + 1);
});

conformance!(
    a_project_is_created_from_the_form_with_its_code_proposed,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let cookie = session(&site.secretariat);
        let csrf = csrf_token_for(&site.secretariat);

        // The secretariat's list links to the form; the form offers its own committee only.
        let list = send(&site.app, get("/projects", &cookie)).await;
        assert!(
            list.body.contains("href=\"/projects/new\""),
            "{}",
            list.body
        );
        let form = send(&site.app, get("/projects/new", &cookie)).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(
            form.body.contains("<option value=\"SH-TC-01\""),
            "{}",
            form.body
        );
        assert!(!form.body.contains("SH-TC-02"), "{}", form.body);
        assert!(
            form.body
                .contains("metrology-spec/calibration_specification"),
            "{}",
            form.body
        );

        // A drafter creates nothing: no link, and the form says why.
        let drafter = session(&site.drafter);
        let list = send(&site.app, get("/projects", &drafter)).await;
        assert!(
            !list.body.contains("href=\"/projects/new\""),
            "{}",
            list.body
        );
        let refused = send(&site.app, get("/projects/new", &drafter)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

        let fields = |title_zh: &'static str, committee: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("committee", committee.to_string()),
                (
                    "kind",
                    "metrology-spec/calibration_specification".to_string(),
                ),
                ("title_zh", title_zh.to_string()),
                (
                    "title_en",
                    "Calibration specification for torque wrenches".to_string(),
                ),
                ("drafting_unit", "上海市计量测试技术研究院".to_string()),
                ("code", String::new()),
            ]
        };
        let pairs = |fields: &[(&str, String)]| -> Vec<(String, String)> {
            fields
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect()
        };
        let send_form = |fields: Vec<(String, String)>| {
            let app = site.app.clone();
            let cookie = cookie.clone();
            async move {
                let borrowed: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                send(&app, post("/projects/new", &cookie, &borrowed)).await
            }
        };

        // The Chinese title is missing: kept English title, the reason beside the field.
        let missing = send_form(pairs(&fields("", "SH-TC-01"))).await;
        assert_eq!(
            missing.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            missing.body
        );
        assert!(missing.body.contains("此项必填"), "{}", missing.body);
        assert!(missing.body.contains("torque wrenches"), "{}", missing.body);

        // Another committee's, typed into the form: refused, nothing created.
        let foreign = send_form(pairs(&fields("扭矩扳手校准规范", "SH-TC-02"))).await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);

        let created = send_form(pairs(&fields("扭矩扳手校准规范", "SH-TC-01"))).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let location = created.header("location");
        assert!(location.ends_with("?created=1"), "{location}");
        let page = send(&site.app, get(&location, &cookie)).await;
        assert!(page.body.contains("扭矩扳手校准规范"), "{}", page.body);
        assert!(page.body.contains("class=\"success\""), "{}", page.body);
        // The proposed code follows the definition's format and is not the one already taken.
        assert!(page.body.contains("JJF(沪)-"), "{}", page.body);
        assert!(
            !page.body.contains("JJF(沪)-2026-001 扭矩"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("id=\"project-flags\""), "{}", page.body);

        // The form offers the workflow's flags; a ticked one is shown on the project's page and
        // filters the list.
        assert!(
            form.body
                .contains("name=\"flag\" value=\"metrology-spec/legal_or_livelihood_metrology\""),
            "{}",
            form.body
        );
        assert!(
            form.body.contains("涉及法制计量或民生计量"),
            "{}",
            form.body
        );
        let mut marked = pairs(&fields("出租汽车计价器校准规范", "SH-TC-01"));
        marked.push((
            "flag".to_string(),
            "metrology-spec/legal_or_livelihood_metrology".to_string(),
        ));
        let created = send_form(marked).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let page = send(&site.app, get(&created.header("location"), &cookie)).await;
        assert!(
            page.body
                .contains("id=\"project-flags\">涉及法制计量或民生计量<"),
            "{}",
            page.body
        );
        let list = send(
            &site.app,
            get("/projects?flag=legal_or_livelihood_metrology", &cookie),
        )
        .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(
            list.body.contains("出租汽车计价器校准规范"),
            "{}",
            list.body
        );
        assert!(!list.body.contains("扭矩扳手校准规范"), "{}", list.body);
        assert!(list.body.contains("id=\"filter-flag\""), "{}", list.body);
    }
);

conformance!(
    a_comment_table_is_previewed_then_recorded_whole_from_the_page,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let project = format!("/projects/{}", site.own_project);
        let cookie = session(&site.secretariat);
        let csrf = csrf_token_for(&site.secretariat);
        let before = head(&site.store, site.own_project).await;
        let page = send(&site.app, get(&project, &cookie)).await;
        assert!(
            page.body.contains("id=\"form-comment-table\""),
            "{}",
            page.body
        );

        // A row not accepted without a reason: the preview shows it, 422, nothing recorded.
        let bad = "提出单位,章条,意见内容,处理意见,理由\n上海市计量协会,5.2,补充示例,采纳,\n华东计量测试中心,6.1,删除附录,不采纳,\n";
        let preview = send(
            &site.app,
            upload(
                &format!("{project}/forms/comment-table"),
                &cookie,
                &[("csrf", &csrf)],
                Some(("意见汇总处理表.csv", bad.as_bytes())),
            ),
        )
        .await;
        assert_eq!(
            preview.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains("id=\"comment-table-preview\""),
            "{}",
            preview.body
        );
        assert!(
            preview.body.contains("class=\"row-problem\""),
            "{}",
            preview.body
        );
        assert!(
            !preview.body.contains("id=\"record-comment-table\""),
            "{}",
            preview.body
        );
        assert_eq!(head(&site.store, site.own_project).await, before);

        // Fixed: every row fine, the preview offers to record them all, which records both.
        let fixed = "提出单位,章条,意见内容,处理意见,理由\n上海市计量协会,5.2,补充示例,采纳,\n华东计量测试中心,6.1,删除附录,不采纳,附录为规范性内容\n";
        let preview = send(
            &site.app,
            upload(
                &format!("{project}/forms/comment-table"),
                &cookie,
                &[("csrf", &csrf)],
                Some(("意见汇总处理表.csv", fixed.as_bytes())),
            ),
        )
        .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(
            preview.body.contains("id=\"record-comment-table\""),
            "{}",
            preview.body
        );
        assert_eq!(head(&site.store, site.own_project).await, before);
        let recorded = send(
            &site.app,
            post(
                &format!("{project}/forms/comment-table"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("command_id", &preview.field("command_id")),
                    ("file_name", "意见汇总处理表.csv"),
                    ("table", &preview.field("table")),
                    ("confirmed", "yes"),
                ],
            ),
        )
        .await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
        assert_eq!(
            recorded.header("location"),
            format!("{project}?saved=comment-table")
        );
        let state = site
            .store
            .project(site.own_project)
            .await
            .unwrap()
            .unwrap()
            .state;
        assert_eq!(state.comments.len(), 2);
        assert!(
            state
                .comments
                .iter()
                .all(|entry| entry.disposition.is_some())
        );
    }
);

/// A principal of the table test: name, role, committee, project, and whether it sees the project.
type Principal<'a> = (&'a str, Role, Option<&'a str>, Option<&'a str>, bool);

/// The slugs of the work forms and the kind of command whose roles the definition sets for each.
const FORMS: [(&str, CommandKind); 15] = [
    ("attach", CommandKind::AttachArtifact),
    ("comment", CommandKind::RecordComment),
    ("dispose", CommandKind::DisposeComment),
    ("consulted", CommandKind::RecordOrganisationsConsulted),
    ("sign-off", CommandKind::SignOff),
    ("schedule-meeting", CommandKind::ScheduleMeeting),
    ("record-meeting", CommandKind::RecordMeeting),
    ("request-extension", CommandKind::RequestExtension),
    ("decide-extension", CommandKind::DecideExtension),
    ("lift-freeze", CommandKind::LiftFreeze),
    ("record-field", CommandKind::RecordField),
    ("publication", CommandKind::RecordPublication),
    ("fix-plan", CommandKind::FixPlan),
    ("waiver", CommandKind::RecordWaiver),
    ("migrate", CommandKind::MigrateDefinition),
];

conformance!(
    every_form_is_allowed_and_refused_by_role_and_scope,
    |kind| async move {
        let Some(site) = site(kind).await else {
            return;
        };
        let definition = site
            .store
            .latest_definition("metrology-spec")
            .await
            .unwrap();
        // A session for each kind of principal, each with where it stands to the project.
        let own = site.own_project.to_string();
        let other = site.other_project.to_string();
        // Name, role, committee, project, and whether it may see the project at all.
        let principals: Vec<Principal<'_>> = vec![
            ("t-admin", Role::Admin, None, None, true),
            ("t-supervisor", Role::Supervisor, None, None, true),
            (
                "t-secretariat",
                Role::Secretariat,
                Some("SH-TC-01"),
                None,
                true,
            ),
            (
                "t-secretariat-2",
                Role::Secretariat,
                Some("SH-TC-02"),
                None,
                false,
            ),
            ("t-chair", Role::Chair, Some("SH-TC-01"), None, true),
            ("t-member", Role::Member, Some("SH-TC-01"), None, true),
            ("t-drafter", Role::Drafter, None, Some(own.as_str()), true),
            (
                "t-drafter-2",
                Role::Drafter,
                None,
                Some(other.as_str()),
                false,
            ),
            ("t-auditor", Role::Auditor, None, None, true),
        ];
        let project = format!("/projects/{}", site.own_project);
        for (name, role, committee, scope_project, sees) in principals {
            let (created, _) = site
                .store
                .create_token(name, role, committee, scope_project, None)
                .await
                .unwrap();
            let session_id = site
                .store
                .sign_in_with_token(created.bearer(), "127.0.0.1")
                .await
                .unwrap()
                .session_id()
                .to_string();
            let cookie = session(&session_id);
            let csrf = csrf_token_for(&session_id);
            for (slug, command_kind) in FORMS {
                let before = head(&site.store, site.own_project).await;
                // An empty form: whoever may use it is told what is missing (422); nobody else
                // learns that much.
                let answer = send(
                    &site.app,
                    post(
                        &format!("{project}/forms/{slug}"),
                        &cookie,
                        &[("csrf", &csrf)],
                    ),
                )
                .await;
                let may = definition
                    .roles_for(command_kind)
                    .iter()
                    .any(|allowed| allowed == role.workflow_role());
                let expected = if !sees {
                    StatusCode::NOT_FOUND
                } else if role == Role::Auditor || !may {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                assert_eq!(answer.status, expected, "{name} on {slug}: {}", answer.body);
                assert_eq!(
                    head(&site.store, site.own_project).await,
                    before,
                    "{name} on {slug}"
                );
            }
            // The same forms without the CSRF token: refused before anything else.
            let forged = send(
                &site.app,
                post(
                    &format!("{project}/forms/comment"),
                    &cookie,
                    &[("csrf", "forged")],
                ),
            )
            .await;
            assert_eq!(
                forged.status,
                StatusCode::FORBIDDEN,
                "{name}: {}",
                forged.body
            );
        }
    }
);
