//! Self-service: sessions and password change over the wire.

use crate::helpers::{PASSWORD, delete, get, login, post_form, server_with_alice, text, token};

#[test]
fn sessions_can_be_listed_and_ended() {
    let (_data, server, client) = server_with_alice();
    let phone = login(&server, &client, "alice");
    let laptop = login(&server, &client, "alice");
    let access = text(&laptop, "access_token");
    let list = get(&server.url("/account/sessions"), Some(&access)).json();
    let sessions = list["sessions"].as_array().expect("list").clone();
    assert_eq!(sessions.len(), 2);
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone's session");
    let ended = delete(
        &server.url(&format!("/account/sessions/{}", text(other, "id"))),
        &access,
    );
    assert_eq!(ended.status, 204);
    assert_eq!(
        get(
            &server.url("/userinfo"),
            Some(&text(&phone, "access_token"))
        )
        .status,
        401
    );
    assert_eq!(get(&server.url("/userinfo"), Some(&access)).status, 200);
}

#[test]
fn a_password_change_ends_other_sessions() {
    let (_data, server, client) = server_with_alice();
    let other = login(&server, &client, "alice");
    let me = login(&server, &client, "alice");
    let bearer = format!("Bearer {}", text(&me, "access_token"));
    let changed = post_form(
        &server.url("/account/password"),
        Some(&bearer),
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
        ],
    );
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(
        get(
            &server.url("/userinfo"),
            Some(&text(&other, "access_token"))
        )
        .status,
        401
    );
    let old = token(
        &server,
        &client,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(old.status, 400);
    let new = token(
        &server,
        &client,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "a brand new password"),
        ],
    );
    assert_eq!(new.status, 200);
}
