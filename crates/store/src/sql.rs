//! Statements built piece by piece with their values, the placeholders numbered as values are
//! bound: `$1, $2, …` on both backends.
//!
//! sqlx's `QueryBuilder<Any>` would be the tool, but it writes every placeholder as `?`, which
//! PostgreSQL refuses (sqlx issue #3000, open in 0.8: the `Any` driver learns its backend only
//! when the query runs, after the text is written). SQLite takes `$N` as well as `?`, so this
//! builder writes `$N` for both: it is the part of `QueryBuilder` the store needs (`push`,
//! `push_bind`, `push_values` for multi-row inserts, `push_list` for `IN (…)`), and no statement
//! numbers its placeholders by hand.
//!
//! Several statements joined by `;` in one builder are numbered across, which is what SQLite's
//! driver expects of a multi-statement call.

use sqlx::any::{Any, AnyArguments, AnyQueryResult, AnyRow};
use sqlx::error::BoxDynError;
use sqlx::{Arguments, Encode, Executor, Type};

/// A statement being written, with the values bound so far.
pub(crate) struct Statement {
    sql: String,
    arguments: AnyArguments<'static>,
    /// The first value that could not be bound; the statement fails with it when run.
    error: Option<BoxDynError>,
}

impl Statement {
    /// A statement starting with `sql`.
    pub(crate) fn new(sql: impl Into<String>) -> Statement {
        Statement {
            sql: sql.into(),
            arguments: AnyArguments::default(),
            error: None,
        }
    }

    /// Appends SQL text as it is.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Statement {
        self.sql.push_str(sql);
        self
    }

    /// Binds a value and appends its placeholder, `$N` for the N-th value bound.
    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut Statement
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        if let Err(error) = self.arguments.add(value)
            && self.error.is_none()
        {
            self.error = Some(error);
        }
        // The placeholder is written even when the value failed, so the text stays numbered as
        // it would be; the statement is refused when run.
        let number = self.arguments.len().max(1);
        self.sql.push('$');
        self.sql.push_str(&number.to_string());
        self
    }

    /// Appends values as placeholders separated by `, ` (the inside of `IN (…)`).
    pub(crate) fn push_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Statement
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(value);
        }
        self
    }

    /// Appends rows for `VALUES`: `(…), (…)`, each row's values bound by `push_row`.
    pub(crate) fn push_values<I, F>(&mut self, rows: I, mut push_row: F) -> &mut Statement
    where
        I: IntoIterator,
        F: FnMut(&mut Tuple<'_>, I::Item),
    {
        for (index, row) in rows.into_iter().enumerate() {
            if index > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            let mut tuple = Tuple {
                statement: self,
                first: true,
            };
            push_row(&mut tuple, row);
            self.sql.push(')');
        }
        self
    }

    /// The text written so far.
    #[cfg(test)]
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    /// Runs the statement; its values move into the query, so a statement runs once.
    pub(crate) async fn execute<'c, E>(
        &mut self,
        executor: E,
    ) -> Result<AnyQueryResult, sqlx::Error>
    where
        E: Executor<'c, Database = Any>,
    {
        let arguments = self.take_arguments()?;
        sqlx::query_with(&self.sql, arguments)
            .execute(executor)
            .await
    }

    /// Runs the statement and reads every row; its values move into the query, so a statement
    /// runs once.
    pub(crate) async fn fetch_all<'c, E>(&mut self, executor: E) -> Result<Vec<AnyRow>, sqlx::Error>
    where
        E: Executor<'c, Database = Any>,
    {
        let arguments = self.take_arguments()?;
        sqlx::query_with(&self.sql, arguments)
            .fetch_all(executor)
            .await
    }

    /// The values bound, or the first that could not be (as the driver reports an encoding
    /// failure).
    fn take_arguments(&mut self) -> Result<AnyArguments<'static>, sqlx::Error> {
        match self.error.take() {
            Some(error) => Err(sqlx::Error::Encode(error)),
            None => Ok(std::mem::take(&mut self.arguments)),
        }
    }
}

/// One row of [`Statement::push_values`]: its values, separated by `, `.
pub(crate) struct Tuple<'a> {
    statement: &'a mut Statement,
    first: bool,
}

impl Tuple<'_> {
    /// Binds the row's next value.
    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        if !self.first {
            self.statement.sql.push_str(", ");
        }
        self.first = false;
        self.statement.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows_lists_and_statements() {
        let mut statement = Statement::new("INSERT INTO t (a, b) VALUES ");
        statement.push_values([(1_i64, "x"), (2, "y")], |row, (number, text)| {
            row.push_bind(number).push_bind(text.to_string());
        });
        statement.push("; UPDATE t SET a = ");
        statement.push_bind(0_i64);
        statement.push(" WHERE b IN (");
        statement.push_list(["x".to_string(), "y".to_string()]);
        statement.push(")");
        assert_eq!(
            statement.sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4); UPDATE t SET a = $5 WHERE b IN ($6, $7)"
        );
    }
}
