//! Issue 17, item 5: the schema is distributable by construction. Read from the catalogue of the
//! migrated database: every tenant table (a table with a `school_id` column) can be sharded by
//! `school_id` on Citus — its primary key, unique constraints and indexes, exclusion constraints
//! and foreign keys to other tenant tables all carry `school_id` — and every other table is on a
//! short named list of global tables, so a new global table is a conscious decision
//! (docs/SCALE.md says what each becomes on Citus).

use std::collections::BTreeSet;

/// Tables that are not sharded by school, each with the reason (docs/SCALE.md «Global tables»).
const GLOBAL_TABLES: &[(&str, &str)] = &[
    (
        "school",
        "the tenants themselves: a reference table on Citus",
    ),
    (
        "account",
        "a person may work or study in several schools: a reference table",
    ),
    (
        "session",
        "found by the hashed cookie before any school is known: local on the coordinator",
    ),
    (
        "account_event",
        "the security log: a failed login has no school and lock-outs count a login or an \
         address across schools; its school_id is the school entered, nullable, not a tenant key",
    ),
    (
        "readiness_probe",
        "one row /readyz writes: local on the coordinator",
    ),
    ("_sqlx_migrations", "the migrations' own ledger"),
];

/// Global tables that carry a school's id as a plain (nullable) attribute, not as a tenant key.
const GLOBAL_WITH_SCHOOL_ID: &[&str] = &["account_event"];

async fn strings(pool: &sqlx::PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

/// Base tables of schema `public`, each with whether it has a `school_id` column.
async fn tables(pool: &sqlx::PgPool) -> Vec<(String, bool)> {
    sqlx::query_as(
        "SELECT c.relname::text,
                EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'school_id'
                          AND a.attnum > 0 AND NOT a.attisdropped)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_tenant_tables_keys_and_foreign_keys_begin_with_the_school_so_citus_can_shard_it() {
    let app = crate::helpers::spawn_app().await;
    let all = tables(&app.pool).await;
    let global: BTreeSet<&str> = GLOBAL_TABLES.iter().map(|(t, _)| *t).collect();
    let tenant: Vec<&str> = all
        .iter()
        .filter(|(t, has)| *has && !global.contains(t.as_str()))
        .map(|(t, _)| t.as_str())
        .collect();
    assert!(
        tenant.len() > 40,
        "the catalogue lists the tenant tables: {tenant:?}"
    );
    let mut faults: Vec<String> = Vec::new();

    // Tenant tables without a primary key, or whose primary key lacks school_id.
    for table in strings(
        &app.pool,
        "SELECT c.relname::text
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute s ON s.attrelid = c.oid AND s.attname = 'school_id' AND NOT s.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                           WHERE k.conrelid = c.oid AND k.contype = 'p'
                             AND s.attnum = ANY (k.conkey))
         ORDER BY 1",
    )
    .await
    {
        if !global.contains(table.as_str()) {
            faults.push(format!("{table}: the primary key lacks school_id (or is missing)"));
        }
    }

    // Unique and exclusion constraints, and unique indexes (also partial and expression ones),
    // whose key columns do not include school_id as a plain column.
    for (table, index) in sqlx::query_as::<_, (String, String)>(
        "SELECT c.relname::text, i.relname::text
         FROM pg_index x
         JOIN pg_class c ON c.oid = x.indrelid
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute s ON s.attrelid = c.oid AND s.attname = 'school_id' AND NOT s.attisdropped
         WHERE n.nspname = 'public'
           AND (x.indisunique OR x.indisexclusion)
           AND NOT (s.attnum = ANY (x.indkey::int2[]))
         ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    {
        if !global.contains(table.as_str()) {
            faults.push(format!(
                "{table}: the unique index or constraint {index} lacks school_id"
            ));
        }
    }

    // Foreign keys between two tenant tables must match school_id to school_id, at the same
    // place of both column lists (Citus's rule for co-located tables).
    for (table, constraint, target) in sqlx::query_as::<_, (String, String, String)>(
        "SELECT c.relname::text, k.conname::text, t.relname::text
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_class t ON t.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute s ON s.attrelid = c.oid AND s.attname = 'school_id' AND NOT s.attisdropped
         JOIN pg_attribute ts ON ts.attrelid = t.oid AND ts.attname = 'school_id' AND NOT ts.attisdropped
         WHERE n.nspname = 'public' AND k.contype = 'f'
           AND NOT EXISTS (SELECT 1 FROM generate_subscripts(k.conkey, 1) p
                           WHERE k.conkey[p] = s.attnum AND k.confkey[p] = ts.attnum)
         ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    {
        let (from_global, to_global) = (
            global.contains(table.as_str()),
            global.contains(target.as_str()),
        );
        if !from_global && !to_global {
            faults.push(format!(
                "{table}: the foreign key {constraint} to {target} does not match school_id to school_id"
            ));
        }
    }

    // A global table may not point at a tenant table: a reference or local table cannot refer
    // to a sharded one.
    for (table, constraint, target) in sqlx::query_as::<_, (String, String, String)>(
        "SELECT c.relname::text, k.conname::text, t.relname::text
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_class t ON t.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND k.contype = 'f'
         ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    {
        if global.contains(table.as_str()) && tenant.contains(&target.as_str()) {
            faults.push(format!(
                "{table}: a global table, its foreign key {constraint} points at the tenant table {target}"
            ));
        }
    }

    // The distribution column itself: a row without a school cannot be placed on a shard.
    for table in strings(
        &app.pool,
        "SELECT c.relname::text
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute s ON s.attrelid = c.oid AND s.attname = 'school_id' AND NOT s.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT s.attnotnull
         ORDER BY 1",
    )
    .await
    {
        if !global.contains(table.as_str()) {
            faults.push(format!("{table}: school_id may be NULL"));
        }
    }

    assert!(
        faults.is_empty(),
        "tables Citus could not shard by school_id:\n{}",
        faults.join("\n")
    );
}

#[tokio::test]
async fn every_table_without_a_school_is_on_the_named_list_of_global_tables() {
    let app = crate::helpers::spawn_app().await;
    let all = tables(&app.pool).await;
    let global: BTreeSet<&str> = GLOBAL_TABLES.iter().map(|(t, _)| *t).collect();
    let unlisted: Vec<&str> = all
        .iter()
        .filter(|(t, has)| !has && !global.contains(t.as_str()))
        .map(|(t, _)| t.as_str())
        .collect();
    assert!(
        unlisted.is_empty(),
        "new tables without school_id — shard them by school, or add them to GLOBAL_TABLES with \
         the reason and to docs/SCALE.md: {unlisted:?}"
    );
    // The list names only tables that exist, and only the named ones carry a school as an
    // attribute.
    for (name, reason) in GLOBAL_TABLES {
        let found = all.iter().find(|(t, _)| t == name);
        let Some((_, has_school)) = found else {
            panic!("GLOBAL_TABLES names {name} ({reason}), which is not in the database");
        };
        assert_eq!(
            *has_school,
            GLOBAL_WITH_SCHOOL_ID.contains(name),
            "{name}: a global table with a school_id column must be named in GLOBAL_WITH_SCHOOL_ID"
        );
    }
}
