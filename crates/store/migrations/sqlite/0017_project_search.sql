-- Finding projects by what people type (issue 21): crates/store/src/search.rs says how.
-- Keep in step with ../postgres/0017_project_search.sql: same table, same meaning.
--
-- One row per project: its specification number once published, and the grams of its code,
-- titles, drafting unit, committee and number (folded: full-width forms to half-width,
-- lowercase; punctuation dropped), each once, separated by spaces: the bigrams of each field and
-- its Han characters alone. Bigrams rather than trigrams, as a trigram index cannot answer the
-- two-character queries people type most (天平). The writer upserts the row when a project is
-- created or its publication recorded; the store indexes older projects after this migration.
CREATE TABLE project_search (
    project_id            TEXT  NOT NULL PRIMARY KEY,
    specification_number  TEXT,
    grams                 TEXT  NOT NULL
);

-- The grams as FTS5 tokens (`unicode61` reads each gram, letters and digits, as one token), kept
-- in step with `project_search` by triggers, as SQLite documents for an external-content table.
CREATE VIRTUAL TABLE project_search_index USING fts5(
    grams,
    content = 'project_search',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER project_search_inserted AFTER INSERT ON project_search BEGIN
    INSERT INTO project_search_index (rowid, grams) VALUES (new.rowid, new.grams);
END;

CREATE TRIGGER project_search_deleted AFTER DELETE ON project_search BEGIN
    INSERT INTO project_search_index (project_search_index, rowid, grams) VALUES ('delete', old.rowid, old.grams);
END;

CREATE TRIGGER project_search_updated AFTER UPDATE ON project_search BEGIN
    INSERT INTO project_search_index (project_search_index, rowid, grams) VALUES ('delete', old.rowid, old.grams);
    INSERT INTO project_search_index (rowid, grams) VALUES (new.rowid, new.grams);
END;
