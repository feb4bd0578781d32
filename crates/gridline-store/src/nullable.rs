//! A nullable `DOUBLE PRECISION` parameter that PostgreSQL accepts whatever came first.
//!
//! sqlx 0.9's Any driver turns a `None::<f64>` into a `float4` NULL (its table of nulls swaps
//! `Real` and `Double`). PostgreSQL prepares a statement with the parameter types of its first
//! execution, so once a NULL came first, every later non-null `float8` of that statement on that
//! connection is refused ("incorrect binary data format in bind parameter N"). Bind nullable
//! doubles through [`NullableDouble`], whose NULL reaches PostgreSQL as a `float8` one.

use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::{Database, Type};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NullableDouble(pub Option<f64>);

impl Type<Any> for NullableDouble {
    fn type_info() -> AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl Encode<'_, Any> for NullableDouble {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(value) => <f64 as Encode<Any>>::encode_by_ref(&value, buf),
            // The swapped table sends the null of `f32` as the null of `f64`.
            None => <Option<f32> as Encode<Any>>::encode_by_ref(&None, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NullableDouble;
    use sqlx::{AnyConnection, Connection, Executor};

    #[tokio::test]
    async fn a_null_double_first_does_not_spoil_the_statement_for_the_values_after_it() {
        let dir = tempfile::tempdir().unwrap();
        for (engine, url) in crate::testing::fresh_databases(dir.path()).await {
            sqlx::any::install_default_drivers();
            let mut conn = AnyConnection::connect(&url).await.unwrap();
            conn.execute("CREATE TABLE doubles (x DOUBLE PRECISION)").await.unwrap();
            // One connection, one prepared statement: the NULL first, then values.
            for value in [None, Some(1.5), None, Some(-2.25)] {
                sqlx::query("INSERT INTO doubles (x) VALUES ($1)").bind(NullableDouble(value)).execute(&mut conn).await.unwrap_or_else(|e| panic!("{engine}: {value:?}: {e}"));
            }
            let stored: Vec<Option<f64>> = sqlx::query_scalar("SELECT x FROM doubles").fetch_all(&mut conn).await.unwrap();
            assert_eq!(stored, [None, Some(1.5), None, Some(-2.25)], "{engine}");
            let _ = conn.close().await;
        }
    }
}
