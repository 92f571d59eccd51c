//! Ledgers for the backend-parameterised suites: every test written once, run on the embedded
//! sqlite file and on PostgreSQL (a fresh database per test, on the server whose URL
//! `RSSPOT_TEST_PG_URL` names; `.ci/run` starts one). Without that variable the PostgreSQL
//! half fails with a message saying so: it never skips.
#![allow(dead_code)]

use rsspot::state::ledger::LedgerStore;
use secrecy::SecretString;
#[cfg(feature = "postgres")]
use sqlx::Connection as _;

/// The variable naming the PostgreSQL server the tests may create databases on.
pub const PG_URL_VAR: &str = "RSSPOT_TEST_PG_URL";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// The server URL (a maintenance database such as `postgres`), or a panic saying how to get one.
pub fn pg_server_url() -> String {
    std::env::var(PG_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{PG_URL_VAR} is not set: the ledger suite runs against PostgreSQL too. Run the tests \
             through .ci/run (it starts a throw-away server), or start one with \
             `source .ci/postgres.sh && pg_start` and run them in that shell."
        )
    })
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Creates an empty database on the test server and returns its URL.
#[cfg(feature = "postgres")]
pub async fn fresh_pg_database() -> String {
    let server = pg_server_url();
    let name = format!("rsspot_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the PostgreSQL named by {PG_URL_VAR}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    conn.close().await.ok();
    with_database(&server, &name)
}

/// One ledger a test may open any number of times (several stores = several hosts).
pub struct TestLedger {
    pub kind: Kind,
    pub dir: tempfile::TempDir,
    /// The database URL (PostgreSQL only).
    pub url: Option<String>,
}

impl TestLedger {
    pub async fn new(kind: Kind) -> Self {
        let url = match kind {
            Kind::Sqlite => None,
            #[cfg(feature = "postgres")]
            Kind::Postgres => Some(fresh_pg_database().await),
            #[cfg(not(feature = "postgres"))]
            Kind::Postgres => panic!("this test needs the `postgres` feature"),
        };
        TestLedger {
            kind,
            dir: tempfile::tempdir().expect("temp dir"),
            url,
        }
    }

    /// The embedded file's path (its `state.db`; the ledger is `ledger.db` beside it).
    pub fn state_path(&self) -> std::path::PathBuf {
        self.dir.path().join("state.db")
    }

    /// A new store on this ledger.
    pub async fn open(&self) -> LedgerStore {
        self.open_with(4).await
    }

    /// A new store with up to `connections` PostgreSQL connections.
    pub async fn open_with(&self, connections: u32) -> LedgerStore {
        match &self.url {
            None => LedgerStore::open(&LedgerStore::path_beside(&self.state_path()))
                .await
                .expect("open the embedded ledger"),
            Some(url) => LedgerStore::connect_with(&SecretString::from(url.clone()), connections)
                .await
                .expect("connect to the PostgreSQL ledger"),
        }
    }
}

/// Writes `mod sqlite` and `mod postgres`, each with one `#[tokio::test]` per named test
/// function (`async fn NAME(kind: Kind)` in the including file).
#[macro_export]
macro_rules! ledger_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::ledger_support::Kind::Sqlite).await
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::ledger_support::Kind::Postgres).await
                }
            )*
        }
    };
}

#[test]
fn database_names_replace_the_path() {
    assert_eq!(
        with_database("postgres://u@h:5/postgres", "x"),
        "postgres://u@h:5/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/postgres?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
