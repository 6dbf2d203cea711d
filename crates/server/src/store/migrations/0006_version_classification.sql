-- PhòngHọp server schema, version 6: each document version keeps the classification it
-- was attached with, so that a document made public later does not open its earlier
-- confidential versions to non-members. Never edit after it landed.
--
-- Versions attached before this schema take their document's classification now: their
-- history is not recorded anywhere else.

ALTER TABLE document_versions ADD COLUMN classification TEXT NOT NULL DEFAULT 'public';
UPDATE document_versions
   SET classification = (SELECT d.classification FROM documents d WHERE d.id = document_versions.document_id);
