-- Finding projects by what people type (issue 21): crates/store/src/search.rs says how.
-- Keep in step with ../sqlite/0017_project_search.sql: same table, same meaning.
--
-- One row per project: its specification number once published, and the grams of its code,
-- titles, drafting unit, committee and number (folded: full-width forms to half-width,
-- lowercase; punctuation dropped), each once, separated by spaces: the bigrams of each field and
-- its Han characters alone, as an array (a query reads them as they are: splitting the text in
-- each row read cost 15 µs a row). Bigrams rather than pg_trgm's trigrams, as a trigram index cannot
-- answer the two-character queries people type most (天平). The writer upserts the row when a
-- project is created or its publication recorded; the store indexes older projects after this
-- migration.
CREATE TABLE project_search (
    project_id            TEXT  NOT NULL PRIMARY KEY,
    specification_number  TEXT,
    grams                 TEXT[]  NOT NULL
);

-- For `@>` (every gram of the query) when a gram is rare; for a common one the planner reads rows
-- in key order until enough match, which needs the statistics ANALYZE keeps.
CREATE INDEX project_search_grams ON project_search USING GIN (grams);
