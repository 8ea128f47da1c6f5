-- Full-text search over messages (issue 16). PostgreSQL: a generated tsvector column with a GIN index.
--
-- The 'simple' configuration: lower-case, no stemming, no stop words. Conversations are in every language, often
-- several in one tenant, and a language-specific configuration would stem and drop words by English (or another
-- one language's) rules, so that a German or French message would match differently from an English one; 'simple'
-- treats every language alike, as SQLite's unicode61 tokenizer does.
--
-- Accents fold with the unaccent extension (shipped with PostgreSQL's contrib modules; a trusted extension, so a
-- database owner may create it). unaccent() itself is only STABLE (it finds its dictionary through search_path), so
-- the generated column calls it through an IMMUTABLE wrapper that names the dictionary and schema explicitly; the
-- query side applies the same function to the user's words (store/postgres/PgSearchStore).
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

CREATE FUNCTION parley_search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- Stored and generated: computed in the same statement as every insert and update of a message, and for the
-- messages already stored when this migration runs (the ALTER rewrites the table once). copy-data never writes it;
-- the target computes it as rows arrive.
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, parley_search_fold(content))) STORED;

-- The tenant is the index's first column (btree_gin, also a trusted contrib extension, indexes a uuid in GIN), so
-- that a search reads only its tenant's matching rows from the table instead of every tenant's and filtering after.
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;
CREATE INDEX messages_search ON messages USING gin (tenant_id, search);
