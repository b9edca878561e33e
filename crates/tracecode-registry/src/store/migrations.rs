//! The schema migrations, embedded in the binary.
//!
//! Built here from `include_str!` rather than by sqlx's `migrate!` macro: the macro needs sqlx's
//! `macros` feature, which compiles sqlx's drivers (and SQLite's C source) a second time for the
//! build host, a minute of CPU on every fresh build (docs/BENCHMARKS.md, "Fresh machine").
//! Versions, descriptions and checksums are derived exactly as sqlx derives them from the files,
//! so databases migrated by either stay compatible; a test compares the two.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// One migration file: its name (`<version>_<description>.sql`) and its SQL.
type File = (&'static str, &'static str);

macro_rules! files {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../migrations/", $dir, "/", $name)))),*]
    };
}

const SQLITE: &[File] = files!("sqlite":
    "0001_units_scans_tokens.sql",
    "0002_events_recalls.sql",
    "0003_brands_bounds_signals.sql",
    "0004_master_data.sql",
    "0005_attempts.sql",
);

const POSTGRES: &[File] = files!("postgres":
    "0001_units_scans_tokens.sql",
    "0002_events_recalls.sql",
    "0003_brands_bounds_signals.sql",
    "0004_master_data.sql",
    "0005_attempts.sql",
);

pub(super) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub(super) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

fn migrator(files: &[File]) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(name, sql)| {
            let (version, rest) = name
                .split_once('_')
                .expect("migration file names are <version>_<description>.sql");
            let version = version.parse().expect("migration versions are integers");
            let description = rest.trim_end_matches(".sql").replace('_', " ");
            Migration::new(
                version,
                Cow::Owned(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What sqlx itself reads from a directory (the same code its `migrate!` macro runs).
    async fn from_directory(dir: &str) -> Migrator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        Migrator::new(path)
            .await
            .expect("the migrations directory reads")
    }

    fn summary(migrator: &Migrator) -> Vec<(i64, String, Vec<u8>, bool, bool)> {
        migrator
            .iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                    m.migration_type == MigrationType::Simple,
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn embedded_migrations_are_what_sqlx_reads_from_the_directories() {
        for (dir, embedded) in [("sqlite", sqlite()), ("postgres", postgres())] {
            let read = from_directory(dir).await;
            assert!(!read.migrations.is_empty(), "{dir}: no migrations read");
            // Every file listed, in order, with the same versions, descriptions and checksums:
            // a new migration file not added to the list fails here.
            assert_eq!(summary(&embedded), summary(&read), "{dir}");
        }
    }
}
