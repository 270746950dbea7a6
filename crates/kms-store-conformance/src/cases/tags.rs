//! Key tags.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- tags

pub(crate) fn tag(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// update_key_tags creates, replaces (same tag key) and removes tags
/// (absent ones ignored); get_key_tags returns them sorted by tag key;
/// both are confined to the project; a key with no tags has an empty list.
pub fn key_tags_update_and_get(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![])
    );
    ok(
        s.key_tags.update_key_tags(
            PROJECT,
            &id(1),
            &[tag("team", "x"), tag("env", "prod"), tag("empty", "")],
            &[],
            10,
        ),
        "create",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("empty", ""), tag("env", "prod"), tag("team", "x")])
    );
    ok(
        s.key_tags.update_key_tags(
            PROJECT,
            &id(1),
            &[tag("env", "dev")],
            &["team".to_owned(), "absent".to_owned()],
            10,
        ),
        "replace and remove",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("empty", ""), tag("env", "dev")])
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(OTHER_PROJECT, &id(1)), "get"),
        None
    );
    assert_eq!(ok(s.key_tags.get_key_tags(PROJECT, &id(2)), "get"), None);
    assert_eq!(
        s.key_tags
            .update_key_tags(OTHER_PROJECT, &id(1), &[tag("k", "v")], &[], 10),
        Err(TagWriteError::NotFound)
    );
    assert_eq!(
        s.key_tags
            .update_key_tags(PROJECT, &id(2), &[tag("k", "v")], &[], 10),
        Err(TagWriteError::NotFound)
    );
}

/// A write that would leave more than `max_tags` tags changes nothing;
/// replacing values at the limit is fine.
pub fn key_tags_limit_is_atomic(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    let three = [tag("a", "1"), tag("b", "2"), tag("c", "3")];
    ok(
        s.key_tags.update_key_tags(PROJECT, &id(1), &three, &[], 3),
        "at the limit",
    );
    assert_eq!(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("a", "9"), tag("d", "4")], &[], 3),
        Err(TagWriteError::TooMany)
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(three.to_vec()),
        "a refused write changes nothing, not even the replaced value"
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("a", "9")], &[], 3),
        "replacing at the limit",
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("d", "4")], &["b".to_owned()], 3),
        "adding one while removing one",
    );
    assert_eq!(
        ok(s.key_tags.get_key_tags(PROJECT, &id(1)), "get"),
        Some(vec![tag("a", "9"), tag("c", "3"), tag("d", "4")])
    );
}

/// list_keys_by_tags: every filter must match (AND), a filter's values
/// are alternatives (OR), no values means any value; the alias substring;
/// oldest first with each key's tags; paging and total; the project only;
/// keys gone at `live_at` excluded.
pub fn list_keys_by_tags_filters(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    for (n, alias, tags) in [
        (1, "app-one", vec![tag("env", "prod"), tag("team", "a")]),
        (2, "app-two", vec![tag("env", "dev"), tag("team", "a")]),
        (3, "db", vec![tag("env", "prod")]),
        (4, "app-three", vec![]),
    ] {
        ok(
            s.keys.insert_key(
                &key(n, PROJECT, alias, "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert",
        );
        ok(
            s.key_tags.update_key_tags(PROJECT, &id(n), &tags, &[], 10),
            "tag",
        );
    }
    ok(
        s.keys.insert_key(
            &key(9, OTHER_PROJECT, "app-x", "0"),
            &KeyMaterial::from(wrapped(&id(9), 1, 1)),
        ),
        "insert other",
    );
    ok(
        s.key_tags
            .update_key_tags(OTHER_PROJECT, &id(9), &[tag("env", "prod")], &[], 10),
        "tag other",
    );
    let f = |k: &str, vs: &[&str]| TagFilter {
        key: k.to_owned(),
        values: vs.iter().map(|v| (*v).to_owned()).collect(),
    };
    let run = |tags: &[TagFilter], alias: Option<&str>, offset: u64, limit: u64| {
        let (total, page) = ok(
            s.key_tags
                .list_keys_by_tags(PROJECT, tags, alias, &query(None, t, offset, limit)),
            "list by tags",
        );
        (
            total,
            page.iter()
                .map(|(k, _)| k.key_id.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        run(&[], None, 0, 100),
        (4, vec![id(1), id(2), id(3), id(4)])
    );
    assert_eq!(
        run(&[f("env", &["prod"])], None, 0, 100),
        (2, vec![id(1), id(3)])
    );
    assert_eq!(
        run(&[f("env", &["prod", "dev"])], None, 0, 100),
        (3, vec![id(1), id(2), id(3)])
    );
    assert_eq!(
        run(&[f("team", &[])], None, 0, 100),
        (2, vec![id(1), id(2)])
    );
    assert_eq!(
        run(&[f("env", &["prod"]), f("team", &[])], None, 0, 100),
        (1, vec![id(1)])
    );
    assert_eq!(run(&[f("env", &["none"])], None, 0, 100), (0, vec![]));
    assert_eq!(
        run(&[], Some("app"), 0, 100),
        (3, vec![id(1), id(2), id(4)])
    );
    assert_eq!(run(&[], Some("%"), 0, 100), (0, vec![]), "no wildcard");
    assert_eq!(run(&[], None, 1, 2), (4, vec![id(2), id(3)]));
    let (_, page) = ok(
        s.key_tags
            .list_keys_by_tags(PROJECT, &[f("env", &["prod"])], None, &query(None, t, 0, 1)),
        "page",
    );
    assert_eq!(page[0].0, key(1, PROJECT, "app-one", "0"));
    assert_eq!(page[0].1, vec![tag("env", "prod"), tag("team", "a")]);
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(t + 10)),
        ),
        "schedule",
    );
    let (total, _) = ok(
        s.key_tags.list_keys_by_tags(
            PROJECT,
            &[f("env", &["prod"])],
            None,
            &query(None, t + 10, 0, 100),
        ),
        "after deletion time",
    );
    assert_eq!(total, 1, "a gone key is not listed");
}

/// purge_deleted_keys deletes exactly the keys pending deletion whose
/// deletion time is at or before the instant (any project), with their
/// material and tags, freeing their aliases and their dedicated keystore.
pub fn purge_deleted_keys_frees_alias_and_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    ok(
        s.keystores
            .insert_keystore(&keystore(50, DOMAIN, "ks", None)),
        "keystore",
    );
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "doomed", &id(50)),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(2, OTHER_PROJECT, "later", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(3, PROJECT, "kept", "0"),
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "insert",
    );
    ok(
        s.key_tags
            .update_key_tags(PROJECT, &id(1), &[tag("k", "v")], &[], 10),
        "tag",
    );
    for (n, project, at) in [(1, PROJECT, t), (2, OTHER_PROJECT, t + 1)] {
        ok(
            s.keys.set_key_state(
                project,
                &id(n),
                KeyState::PendingDeletion,
                Some(Timestamp(at)),
            ),
            "schedule",
        );
    }
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t - 1)), "early"), 0);
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t)), "purge"), 1);
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    assert!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(2)), "get").is_some(),
        "not yet due"
    );
    assert!(
        ok(s.keys.get_key(PROJECT, &id(3)), "get").is_some(),
        "not pending"
    );
    ok(
        s.keys.insert_key(
            &key(4, PROJECT, "doomed", "0"),
            &KeyMaterial::from(wrapped(&id(4), 1, 4)),
        ),
        "the alias is free again",
    );
    assert_eq!(
        ok(
            s.keystores.delete_keystore(DOMAIN, &id(50)),
            "delete keystore"
        ),
        DeleteKeystoreOutcome::Deleted,
        "the keystore holds no key any more"
    );
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t + 1)), "purge"), 1);
    assert_eq!(ok(s.keys.get_key(OTHER_PROJECT, &id(2)), "get"), None);
}

/// list_project_tags: the project's tag keys, sorted, each with its
/// distinct values, sorted; other projects' and gone keys' tags excluded.
pub fn list_project_tags_groups_values(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    for (n, project, tags) in [
        (1, PROJECT, vec![tag("env", "prod"), tag("team", "a")]),
        (2, PROJECT, vec![tag("env", "dev"), tag("team", "a")]),
        (3, PROJECT, vec![tag("old", "x")]),
        (4, OTHER_PROJECT, vec![tag("secret", "y")]),
    ] {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert",
        );
        ok(
            s.key_tags.update_key_tags(project, &id(n), &tags, &[], 10),
            "tag",
        );
    }
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(3),
            KeyState::PendingDeletion,
            Some(Timestamp(t)),
        ),
        "schedule",
    );
    let strs = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        ok(
            s.key_tags.list_project_tags(PROJECT, Timestamp(t - 1)),
            "before"
        ),
        vec![
            ("env".to_owned(), strs(&["dev", "prod"])),
            ("old".to_owned(), strs(&["x"])),
            ("team".to_owned(), strs(&["a"])),
        ]
    );
    assert_eq!(
        ok(s.key_tags.list_project_tags(PROJECT, Timestamp(t)), "after"),
        vec![
            ("env".to_owned(), strs(&["dev", "prod"])),
            ("team".to_owned(), strs(&["a"])),
        ],
        "a gone key's tags are not listed"
    );
    assert_eq!(
        ok(
            s.key_tags.list_project_tags("nobody", Timestamp(t)),
            "empty"
        ),
        vec![]
    );
}
