//! Multi-region groups: a replica is inserted with every version of its
//! material and joins its source's group (the source its primary); one
//! member per region; the replica's alias is unique in its project; a
//! gone source refuses the insert; the primary moves; a member's row
//! goes with its key.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;
use kms_core::ports::{GroupMember, InsertReplicaError};

fn member(k: &KeyRecord, region: &str, group: &str, primary: bool) -> GroupMember {
    GroupMember {
        key_id: k.key_id.clone(),
        project_id: k.project_id.clone(),
        domain_id: k.domain_id.clone(),
        region_id: region.to_owned(),
        group_id: group.to_owned(),
        primary,
    }
}

fn sorted(mut g: Vec<GroupMember>) -> Vec<GroupMember> {
    g.sort_by(|a, b| a.key_id.cmp(&b.key_id));
    g
}

/// Insert, read back, one member per region, alias per project, the
/// primary moved, rows gone with their key.
pub fn groups_replicas_and_primary(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let source = key(1, PROJECT, "source", "0");
    ok(
        s.keys
            .insert_key(&source, &KeyMaterial::from(wrapped(&source.key_id, 1, 1))),
        "insert source",
    );
    ok(
        s.keys.rotate_key(
            PROJECT,
            &source.key_id,
            &wrapped(&source.key_id, 2, 2),
            2,
            Timestamp(5),
        ),
        "rotate source",
    );
    assert_eq!(
        ok(s.keys.key_group(&source.key_id), "group"),
        Vec::new(),
        "a key is in no group until replicated"
    );
    let group = source.key_id.as_str();
    let src = member(&source, "region-a", group, true);
    let replica = KeyRecord {
        current_version: 2,
        ..key(2, OTHER_PROJECT, "replica", "0")
    };
    let versions = [
        wrapped(&replica.key_id, 1, 11),
        wrapped(&replica.key_id, 2, 12),
    ];
    ok(
        s.keys.insert_replica(
            &src,
            &replica,
            &versions,
            &member(&replica, "region-b", group, false),
        ),
        "insert replica",
    );
    assert_eq!(
        ok(
            s.keys.get_key(OTHER_PROJECT, &replica.key_id),
            "get replica"
        )
        .as_deref(),
        Some(&replica),
        "the replica's record round-trips"
    );
    for (v, w) in (1..=2).zip(&versions) {
        assert_eq!(
            ok(s.keys.get_key_material(&replica.key_id, v), "material"),
            Some(w.as_bytes().to_vec()),
            "every version of the replica's material is stored"
        );
    }
    let want = sorted(vec![
        src.clone(),
        member(&replica, "region-b", group, false),
    ]);
    assert_eq!(sorted(ok(s.keys.key_group(&source.key_id), "group")), want);
    assert_eq!(
        sorted(ok(s.keys.key_group(&replica.key_id), "group")),
        want,
        "every member reads the same group"
    );
    // One member per region (the source's own included).
    for (n, region) in [(3, "region-b"), (4, "region-a")] {
        let again = key(n, OTHER_PROJECT, &format!("again-{n}"), "0");
        assert_eq!(
            s.keys.insert_replica(
                &src,
                &again,
                &[wrapped(&again.key_id, 1, 3)],
                &member(&again, region, group, false)
            ),
            Err(InsertReplicaError::RegionTaken),
            "a group has one member per region"
        );
        assert_eq!(
            ok(s.keys.get_key(OTHER_PROJECT, &again.key_id), "get"),
            None
        );
    }
    // The alias is unique in the replica's project.
    let clash = key(5, OTHER_PROJECT, "replica", "0");
    assert_eq!(
        s.keys.insert_replica(
            &src,
            &clash,
            &[wrapped(&clash.key_id, 1, 5)],
            &member(&clash, "region-c", group, false)
        ),
        Err(InsertReplicaError::AliasTaken)
    );
    // A source that does not exist.
    let ghost = key(6, PROJECT, "ghost", "0");
    let orphan = key(7, OTHER_PROJECT, "orphan", "0");
    assert_eq!(
        s.keys.insert_replica(
            &member(&ghost, "region-a", &ghost.key_id, true),
            &orphan,
            &[wrapped(&orphan.key_id, 1, 7)],
            &member(&orphan, "region-b", &ghost.key_id, false)
        ),
        Err(InsertReplicaError::SourceGone)
    );
    assert_eq!(
        ok(s.keys.get_key(OTHER_PROJECT, &orphan.key_id), "get"),
        None
    );
    // A third member joins the same group.
    let third = key(8, OTHER_PROJECT, "third", "0");
    ok(
        s.keys.insert_replica(
            &src,
            &third,
            &[wrapped(&third.key_id, 1, 8)],
            &member(&third, "region-c", group, false),
        ),
        "insert third",
    );
    assert_eq!(ok(s.keys.key_group(&third.key_id), "group").len(), 3);
    // The primary moves.
    assert!(ok(s.keys.set_group_primary(&replica.key_id), "set primary"));
    let g = ok(s.keys.key_group(&source.key_id), "group");
    let primaries: Vec<&str> = g
        .iter()
        .filter(|m| m.primary)
        .map(|m| m.key_id.as_str())
        .collect();
    assert_eq!(primaries, [replica.key_id.as_str()], "exactly one primary");
    assert!(
        !ok(s.keys.set_group_primary(&id(99)), "set primary"),
        "a key in no group has no primary to move"
    );
    // A member's row goes with its key.
    assert!(ok(
        s.keys.set_key_state(
            OTHER_PROJECT,
            &third.key_id,
            KeyState::PendingDeletion,
            Some(Timestamp(10))
        ),
        "schedule deletion"
    ));
    ok(s.keys.purge_deleted_keys(Timestamp(11)), "purge");
    assert_eq!(ok(s.keys.key_group(&source.key_id), "group").len(), 2);
    assert_eq!(ok(s.keys.key_group(&third.key_id), "group"), Vec::new());
}
