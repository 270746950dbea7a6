//! The alias API's aliases.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- aliases

fn alias_record(project: &str, alias: &str, key_n: usize, t: i64) -> AliasRecord {
    AliasRecord {
        domain_id: DOMAIN.to_owned(),
        project_id: project.to_owned(),
        alias: alias.to_owned(),
        key_id: id(key_n),
        create_time: Timestamp(t),
        update_time: Timestamp(t),
    }
}

fn insert_keys(s: &StoreSet, keys: &[(usize, &str)]) {
    for &(n, project) in keys {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert key",
        );
    }
}

fn aliases_of(list: &[AliasRecord]) -> Vec<&str> {
    list.iter().map(|a| a.alias.as_str()).collect()
}

const NOW: Timestamp = Timestamp(1_800_000_000_000);

/// insert_alias stores every field (read back by get_alias); an alias is
/// unique per project (`AliasTaken`), and the same alias may exist in
/// another project; the key must exist in the alias's project
/// (`KeyNotFound`); get_alias is confined to the project.
pub fn alias_round_trip_and_unique_per_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT), (3, OTHER_PROJECT)]);
    let a = alias_record(PROJECT, "alias/app", 1, 1_700_000_000_123);
    ok(s.key_aliases.insert_alias(&a, 50), "insert");
    assert_eq!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/app"), "get"),
        Some(a.clone())
    );
    assert_eq!(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/app", 2, 5), 50),
        Err(AliasWriteError::AliasTaken),
        "an alias is unique in its project, whichever key"
    );
    let other = alias_record(OTHER_PROJECT, "alias/app", 3, 7);
    ok(
        s.key_aliases.insert_alias(&other, 50),
        "same alias elsewhere",
    );
    assert_eq!(
        ok(s.key_aliases.get_alias(OTHER_PROJECT, "alias/app"), "get"),
        Some(other)
    );
    assert_eq!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/app"), "get"),
        Some(a),
        "the other project's alias changed nothing here"
    );
    assert_eq!(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/x", 3, 1), 50),
        Err(AliasWriteError::KeyNotFound),
        "a key of another project"
    );
    assert_eq!(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/x", 9, 1), 50),
        Err(AliasWriteError::KeyNotFound),
        "no such key"
    );
    assert_eq!(ok(s.key_aliases.get_alias(PROJECT, "alias/x"), "get"), None);
}

/// A key carries at most `max_per_key` aliases: an insert or a move past
/// it is refused (`TooMany`) and changes nothing; moving an alias to the
/// key it names is no new alias.
pub fn alias_limit_per_key(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT)]);
    for a in ["alias/a", "alias/b", "alias/c"] {
        ok(
            s.key_aliases
                .insert_alias(&alias_record(PROJECT, a, 1, 1), 3),
            "insert",
        );
    }
    assert_eq!(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/d", 1, 1), 3),
        Err(AliasWriteError::TooMany)
    );
    assert_eq!(ok(s.key_aliases.get_alias(PROJECT, "alias/d"), "get"), None);
    ok(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/e", 2, 1), 3),
        "another key",
    );
    assert_eq!(
        s.key_aliases
            .associate_alias(PROJECT, "alias/e", &id(1), 3, NOW),
        Err(AliasWriteError::TooMany)
    );
    assert_eq!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/e"), "get").map(|a| a.key_id),
        Some(id(2)),
        "the refused move changed nothing"
    );
    let same = ok(
        s.key_aliases
            .associate_alias(PROJECT, "alias/a", &id(1), 3, NOW),
        "move to the key it names",
    );
    assert_eq!((same.key_id, same.update_time), (id(1), NOW));
}

/// associate_alias moves an alias to another key of its project, sets
/// its update time (the create time stays) and returns the record as
/// stored; an unknown alias is `AliasNotFound`, a target outside the
/// project `KeyNotFound`.
pub fn alias_associate_moves_it(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT), (3, OTHER_PROJECT)]);
    ok(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/m", 1, 1_000), 50),
        "insert",
    );
    let moved = ok(
        s.key_aliases
            .associate_alias(PROJECT, "alias/m", &id(2), 50, NOW),
        "move",
    );
    let expect = AliasRecord {
        key_id: id(2),
        update_time: NOW,
        ..alias_record(PROJECT, "alias/m", 1, 1_000)
    };
    assert_eq!(moved, expect);
    assert_eq!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/m"), "get"),
        Some(expect.clone())
    );
    assert_eq!(
        s.key_aliases
            .associate_alias(PROJECT, "alias/none", &id(2), 50, NOW),
        Err(AliasWriteError::AliasNotFound)
    );
    assert_eq!(
        s.key_aliases
            .associate_alias(PROJECT, "alias/m", &id(3), 50, NOW),
        Err(AliasWriteError::KeyNotFound),
        "a key of another project"
    );
    assert_eq!(
        s.key_aliases
            .associate_alias(OTHER_PROJECT, "alias/m", &id(3), 50, NOW),
        Err(AliasWriteError::AliasNotFound),
        "another project's alias is not there"
    );
    assert_eq!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/m"), "get"),
        Some(expect)
    );
}

/// delete_aliases deletes all the aliases named or none: one missing, or
/// (with a key) naming another key, deletes nothing.
pub fn alias_delete_all_or_none(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT), (3, OTHER_PROJECT)]);
    for (a, k, p) in [
        ("alias/a", 1, PROJECT),
        ("alias/b", 1, PROJECT),
        ("alias/c", 2, PROJECT),
        ("alias/a", 3, OTHER_PROJECT),
    ] {
        ok(
            s.key_aliases.insert_alias(&alias_record(p, a, k, 1), 50),
            "insert",
        );
    }
    let names = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        s.key_aliases
            .delete_aliases(PROJECT, None, &names(&["alias/a", "alias/none"])),
        Err(AliasWriteError::AliasNotFound)
    );
    assert_eq!(
        s.key_aliases
            .delete_aliases(PROJECT, Some(&id(1)), &names(&["alias/a", "alias/c"])),
        Err(AliasWriteError::AliasNotFound),
        "alias/c names another key"
    );
    assert!(
        ok(s.key_aliases.get_alias(PROJECT, "alias/a"), "get").is_some(),
        "a refused delete deletes nothing"
    );
    ok(
        s.key_aliases
            .delete_aliases(PROJECT, Some(&id(1)), &names(&["alias/a", "alias/b"])),
        "delete",
    );
    ok(
        s.key_aliases
            .delete_aliases(PROJECT, None, &names(&["alias/c"])),
        "delete without key",
    );
    for a in ["alias/a", "alias/b", "alias/c"] {
        assert_eq!(ok(s.key_aliases.get_alias(PROJECT, a), "get"), None);
    }
    assert!(
        ok(s.key_aliases.get_alias(OTHER_PROJECT, "alias/a"), "get").is_some(),
        "the other project's alias of the same name stays"
    );
}

/// list_aliases lists the project's aliases in byte order, after a
/// marker, at most `limit`, only a key's when asked; aliases of a key
/// gone at `live_at` are not listed, and purging the key deletes them.
pub fn alias_list_order_paging_filter_and_expiry(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT), (3, OTHER_PROJECT)]);
    for (a, k) in [
        ("alias/b", 1),
        ("alias/a", 2),
        ("alias/B", 1),
        ("alias/a-1", 1),
        ("alias/a/x", 2),
    ] {
        ok(
            s.key_aliases
                .insert_alias(&alias_record(PROJECT, a, k, 1), 50),
            "insert",
        );
    }
    ok(
        s.key_aliases
            .insert_alias(&alias_record(OTHER_PROJECT, "alias/other", 3, 1), 50),
        "insert",
    );
    let list = |key: Option<&str>, after: Option<&str>, limit: u64| {
        ok(
            s.key_aliases.list_aliases(PROJECT, key, after, limit, NOW),
            "list",
        )
    };
    assert_eq!(
        aliases_of(&list(None, None, 100)),
        ["alias/B", "alias/a", "alias/a-1", "alias/a/x", "alias/b"],
        "byte order, this project only"
    );
    assert_eq!(aliases_of(&list(None, None, 2)), ["alias/B", "alias/a"]);
    assert_eq!(
        aliases_of(&list(None, Some("alias/a"), 2)),
        ["alias/a-1", "alias/a/x"]
    );
    assert_eq!(
        aliases_of(&list(None, Some("alias/b"), 2)),
        Vec::<&str>::new()
    );
    assert_eq!(
        aliases_of(&list(Some(&id(2)), None, 100)),
        ["alias/a", "alias/a/x"]
    );
    assert_eq!(
        aliases_of(&list(Some(&id(3)), None, 100)),
        Vec::<&str>::new(),
        "another project's key"
    );
    // Key 1 pending deletion, its time passed at NOW: its aliases are
    // gone from the listing; purging deletes them.
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(NOW.0 - 1)),
        ),
        "schedule",
    );
    assert_eq!(aliases_of(&list(None, None, 100)), ["alias/a", "alias/a/x"]);
    assert_eq!(
        aliases_of(&ok(
            s.key_aliases
                .list_aliases(PROJECT, None, None, 100, Timestamp(NOW.0 - 2)),
            "list before the deletion time",
        )),
        ["alias/B", "alias/a", "alias/a-1", "alias/a/x", "alias/b"]
    );
    ok(s.keys.purge_deleted_keys(NOW), "purge");
    assert_eq!(ok(s.key_aliases.get_alias(PROJECT, "alias/b"), "get"), None);
    assert!(ok(s.key_aliases.get_alias(PROJECT, "alias/a"), "get").is_some());
    ok(
        s.key_aliases
            .insert_alias(&alias_record(PROJECT, "alias/b", 2, 1), 50),
        "a purged key's alias is free again",
    );
}

/// 8 threads create one alias for different keys of a project: one wins,
/// the others get `AliasTaken`.
pub fn race_alias_insert(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys: Vec<(usize, &str)> = (0..RACE_THREADS).map(|i| (i, PROJECT)).collect();
    insert_keys(&s, &keys);
    let aliases = &*s.key_aliases;
    let results = race(|i| aliases.insert_alias(&alias_record(PROJECT, "alias/same", i, 1), 50));
    one_winner(&results, &AliasWriteError::AliasTaken, "alias");
    let winner = results.iter().position(Result::is_ok).unwrap_or_default();
    assert_eq!(
        ok(aliases.get_alias(PROJECT, "alias/same"), "get").map(|a| a.key_id),
        Some(id(winner))
    );
}

/// 8 threads each move a distinct alias onto one key that has room for
/// 3 more: exactly 3 moves succeed, the others get `TooMany`.
pub fn race_alias_limit(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(100, PROJECT), (101, PROJECT)]);
    let aliases = &*s.key_aliases;
    for i in 0..RACE_THREADS {
        ok(
            aliases.insert_alias(&alias_record(PROJECT, &format!("alias/r{i}"), 101, 1), 50),
            "insert",
        );
    }
    ok(
        aliases.insert_alias(&alias_record(PROJECT, "alias/there", 100, 1), 50),
        "insert",
    );
    let results =
        race(|i| aliases.associate_alias(PROJECT, &format!("alias/r{i}"), &id(100), 4, NOW));
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 3, "a key with room for 3 takes 3: {results:?}");
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e, &AliasWriteError::TooMany);
        }
    }
    assert_eq!(
        ok(
            aliases.list_aliases(PROJECT, Some(&id(100)), None, 100, NOW),
            "list"
        )
        .len(),
        4
    );
}
