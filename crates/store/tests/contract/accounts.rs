//! Users and passwords.

use tessera_core::{Store, StoreError};

use crate::fixtures::{NOW, at, client, is_conflict, is_live, open_session, seed, user};

pub async fn create_then_find_case_insensitively<S: Store>(store: S) {
    let alice = user("u1", "Alice");
    store.create_user(&alice).await.unwrap();
    assert_eq!(
        store.user_by_name("aLICE").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_id(&"u1".into()).await.unwrap(), Some(alice));
    assert_eq!(store.user_by_name("bob").await.unwrap(), None);
    assert_eq!(store.user_by_id(&"u2".into()).await.unwrap(), None);

    let unicode = user("u2", "ÉLODIE");
    store.create_user(&unicode).await.unwrap();
    assert_eq!(store.user_by_name("élodie").await.unwrap(), Some(unicode));
}

pub async fn duplicate_username_conflicts<S: Store>(store: S) {
    store.create_user(&user("u1", "alice")).await.unwrap();
    assert!(is_conflict(store.create_user(&user("u2", "ALICE")).await));
    assert!(is_conflict(store.create_user(&user("u1", "bob")).await));
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

pub async fn list_users_by_username<S: Store>(store: S) {
    for (id, name) in [("u1", "carol"), ("u2", "Alice"), ("u3", "bob")] {
        store.create_user(&user(id, name)).await.unwrap();
    }
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["Alice", "bob", "carol"]);
}

pub async fn set_password_ends_other_sessions<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    open_session(&store, "s2", "u1", b"t2").await;
    open_session(&store, "s3", "u1", b"t3").await;
    store
        .set_password(&"u1".into(), "new-hash", at(10), Some(&"s2".into()))
        .await
        .unwrap();

    let alice = store.user_by_id(&"u1".into()).await.unwrap().unwrap();
    assert_eq!(
        (alice.password_hash.as_str(), alice.password_changed_at),
        ("new-hash", at(10))
    );
    assert!(
        store
            .session_by_id(&"s2".into())
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    for ended in ["s1", "s3"] {
        let session = store.session_by_id(&ended.into()).await.unwrap().unwrap();
        assert_eq!(session.revoked_at, Some(at(10)));
    }
    let live: Vec<_> = store.sessions_of(&"u1".into(), at(10)).await.unwrap();
    assert_eq!(
        live.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
}

pub async fn set_password_without_keep_ends_all<S: Store>(store: S) {
    seed(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    open_session(&store, "s1", "u1", b"t1").await;
    open_session(&store, "s2", "u2", b"t2").await;
    store
        .set_password(&"u1".into(), "new-hash", at(10), None)
        .await
        .unwrap();
    assert!(!is_live(&store, "s1", at(10)).await);
    assert!(
        is_live(&store, "s2", at(10)).await,
        "another user's session stays"
    );
}

pub async fn rehash_password_keeps_sessions<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    store
        .rehash_password(&"u1".into(), "upgraded")
        .await
        .unwrap();
    let alice = store.user_by_id(&"u1".into()).await.unwrap().unwrap();
    assert_eq!(
        (alice.password_hash.as_str(), alice.password_changed_at),
        ("upgraded", NOW)
    );
    assert!(is_live(&store, "s1", NOW).await);
}

pub async fn set_disabled_ends_all_sessions<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    open_session(&store, "s2", "u1", b"t2").await;
    store.set_disabled(&"u1".into(), true, at(5)).await.unwrap();
    assert!(
        store
            .user_by_id(&"u1".into())
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(
        store
            .sessions_of(&"u1".into(), at(5))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .session_by_id(&"s1".into())
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(at(5))
    );

    store
        .set_disabled(&"u1".into(), false, at(6))
        .await
        .unwrap();
    assert!(
        !store
            .user_by_id(&"u1".into())
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(
        store
            .sessions_of(&"u1".into(), at(6))
            .await
            .unwrap()
            .is_empty(),
        "ended stays ended"
    );
}

pub async fn delete_user_removes_everything_of_theirs<S: Store>(store: S) {
    seed(&store).await;
    store.create_user(&user("u2", "bob")).await.unwrap();
    open_session(&store, "s1", "u1", b"t1").await;
    open_session(&store, "s2", "u2", b"t2").await;
    store.delete_user(&"u1".into()).await.unwrap();

    assert_eq!(store.user_by_id(&"u1".into()).await.unwrap(), None);
    assert_eq!(store.user_by_name("alice").await.unwrap(), None);
    assert!(!is_live(&store, "s1", NOW).await);
    assert_eq!(store.session_by_refresh(b"t1").await.unwrap(), None);
    assert!(is_live(&store, "s2", NOW).await);
    assert_eq!(
        store.delete_user(&"u1".into()).await,
        Err(StoreError::NotFound)
    );
    store.create_user(&user("u3", "alice")).await.unwrap();
}

pub async fn unknown_user_is_not_found<S: Store>(store: S) {
    store.create_client(&client("c1")).await.unwrap();
    assert_eq!(
        store.set_password(&"nobody".into(), "h", NOW, None).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.rehash_password(&"nobody".into(), "h").await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.set_disabled(&"nobody".into(), true, NOW).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_user(&"nobody".into()).await,
        Err(StoreError::NotFound)
    );
}

/// Names and ids come from requests: one with a NUL finds nothing (PostgreSQL text cannot
/// even hold it), and writes by such an id find nothing to change.
pub async fn nul_in_lookups_finds_nothing<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    assert_eq!(store.user_by_name("alice\0").await.unwrap(), None);
    assert_eq!(store.user_by_id(&"u1\0".into()).await.unwrap(), None);
    assert_eq!(store.client_by_id(&"c1\0".into()).await.unwrap(), None);
    assert_eq!(store.session_by_id(&"s1\0".into()).await.unwrap(), None);
    assert!(
        store
            .sessions_of(&"u1\0".into(), NOW)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.revoke_session(&"s1\0".into(), NOW).await.unwrap());
    assert!(!store.is_revoked(&"j\0".into()).await.unwrap());
    assert_eq!(
        store.set_disabled(&"u1\0".into(), true, NOW).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_user(&"u1\0".into()).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_client(&"c1\0".into()).await,
        Err(StoreError::NotFound)
    );
    store
        .set_password(&"u1".into(), "new-hash", at(1), Some(&"s1\0".into()))
        .await
        .unwrap();
    assert!(!is_live(&store, "s1", at(1)).await, "keeps no session");
}

/// A session read (and so perhaps cached) before its user is deleted is gone after.
pub async fn delete_user_ends_sessions_already_read<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    assert!(is_live(&store, "s1", NOW).await);
    store.delete_user(&"u1".into()).await.unwrap();
    assert!(!is_live(&store, "s1", NOW).await);
    assert_eq!(store.user_by_id(&"u1".into()).await.unwrap(), None);
}

pub async fn search_users_by_prefix_and_pages<S: Store>(store: S) {
    let names = [
        "alf", "Alice", "ALINA", "al_x", "al%y", "bob", "Élodie", "élan",
    ];
    for (i, name) in names.into_iter().enumerate() {
        store
            .create_user(&user(&format!("u{i}"), name))
            .await
            .unwrap();
    }
    let found = |users: Vec<tessera_core::model::User>| -> Vec<String> {
        users.into_iter().map(|u| u.username).collect()
    };
    let all = found(store.search_users("AL", None, 10).await.unwrap());
    assert_eq!(all, ["al%y", "al_x", "alf", "Alice", "ALINA"]);
    let first = found(store.search_users("al", None, 2).await.unwrap());
    assert_eq!(first, ["al%y", "al_x"]);
    let next = found(store.search_users("al", Some("AL_X"), 2).await.unwrap());
    assert_eq!(next, ["alf", "Alice"]);
    let last = found(store.search_users("al", Some("alice"), 2).await.unwrap());
    assert_eq!(last, ["ALINA"]);
    assert!(
        store
            .search_users("al", Some("alina"), 2)
            .await
            .unwrap()
            .is_empty()
    );
    // LIKE wildcards are literal.
    assert_eq!(
        found(store.search_users("al_", None, 10).await.unwrap()),
        ["al_x"]
    );
    assert_eq!(
        found(store.search_users("al%", None, 10).await.unwrap()),
        ["al%y"]
    );
    assert_eq!(
        found(store.search_users("É", None, 10).await.unwrap()),
        ["élan", "Élodie"]
    );
    assert_eq!(
        store.search_users("", None, 100).await.unwrap().len(),
        names.len()
    );
    assert!(store.search_users("zz", None, 10).await.unwrap().is_empty());
    assert!(
        store
            .search_users("a\0", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn set_roles_replaces_roles_and_keeps_sessions<S: Store>(store: S) {
    seed(&store).await;
    open_session(&store, "s1", "u1", b"t1").await;
    let roles = vec!["auditor".to_owned(), "orders:admin".to_owned()];
    store.set_roles(&"u1".into(), &roles).await.unwrap();
    // Read twice: a cache in front of the table must not answer the old roles.
    for _ in 0..2 {
        let by_id = store.user_by_id(&"u1".into()).await.unwrap().unwrap();
        assert_eq!(by_id.roles, roles);
        let by_name = store.user_by_name("ALICE").await.unwrap().unwrap();
        assert_eq!(by_name.roles, roles);
    }
    assert!(is_live(&store, "s1", NOW).await);
    store.set_roles(&"u1".into(), &[]).await.unwrap();
    assert!(
        store
            .user_by_id(&"u1".into())
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );
    assert_eq!(
        store.set_roles(&"nobody".into(), &roles).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.set_roles(&"u1\0".into(), &roles).await,
        Err(StoreError::NotFound)
    );
}

pub async fn someone_else_has_role_reads_exact_enabled_holders<S: Store>(store: S) {
    // u1 alice has admin and reader (the fixture).
    store.create_user(&user("u1", "alice")).await.unwrap();
    let u1 = "u1".into();
    assert!(!store.someone_else_has_role("admin", &u1).await.unwrap());
    // Near misses: a longer name, another case, LIKE's wildcards, a quote.
    let lookalikes = [
        "xadmin",
        "admin2",
        "ADMIN",
        "adm_n",
        "%",
        "ad%in",
        "\"admin\"",
        "a\\dmin",
    ];
    for (i, role) in lookalikes.iter().enumerate() {
        let mut other = user(&format!("x{i}"), &format!("look{i}"));
        other.roles = vec![(*role).to_owned()];
        store.create_user(&other).await.unwrap();
    }
    assert!(!store.someone_else_has_role("admin", &u1).await.unwrap());
    assert!(
        !store
            .someone_else_has_role("adm_n", &"x3".into())
            .await
            .unwrap()
    );
    assert!(store.someone_else_has_role("adm_n", &u1).await.unwrap());
    assert!(store.someone_else_has_role("%", &u1).await.unwrap());
    // More than a page of accounts whose stored list contains the text `"admin"` without
    // holding the role (`\"admin` is stored as `"\\\"admin"`), before the holder.
    for i in 0..450 {
        let mut filler = user(&format!("f{i:03}"), &format!("filler{i:03}"));
        filler.roles = vec!["\\\"admin".into()];
        store.create_user(&filler).await.unwrap();
    }
    let mut bob = user("z_bob", "bob");
    bob.roles = vec!["reader".into(), "admin".into()];
    store.create_user(&bob).await.unwrap();
    assert!(store.someone_else_has_role("admin", &u1).await.unwrap());
    assert!(
        store
            .someone_else_has_role("admin", &"z_bob".into())
            .await
            .unwrap()
    );
    store
        .set_disabled(&"z_bob".into(), true, NOW)
        .await
        .unwrap();
    assert!(!store.someone_else_has_role("admin", &u1).await.unwrap());
    assert!(
        store
            .someone_else_has_role("admin", &"nobody".into())
            .await
            .unwrap()
    );
    assert!(
        !store
            .someone_else_has_role("admin\0", &"nobody".into())
            .await
            .unwrap()
    );
}
