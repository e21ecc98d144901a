-- Migration 026: every configuration version keeps its plans apart from its document, one row a
-- plan, so that "why this price" reads the plan a run priced with by (version, plan id) instead
-- of parsing the whole document (a 7,000-customer document is megabytes of JSON: ~15 ms a read,
-- docs/performance.md). cfg_insert_document_plans fills it with each new version; the versions
-- already stored get their plans from their documents here, in document order (x_PlanNo).
CREATE TABLE cfg_document_plans (
    version     BIGINT NOT NULL,     -- cfg_documents.version
    x_PlanNo    INTEGER NOT NULL,    -- the plan's place in the document's `plans`, from 0
    plan_id     VARCHAR,             -- the plan's `id`
    definition  JSON NOT NULL        -- the plan exactly as the document holds it
);

INSERT INTO cfg_document_plans
SELECT version, x_PlanNo, json_extract_string(plan, '$.id'), plan
FROM (
    SELECT d.version,
           unnest(CAST(json_extract(d.document, '$.plans') AS JSON[])) AS plan,
           unnest(range(json_array_length(json_extract(d.document, '$.plans'))::BIGINT)) AS x_PlanNo
    FROM cfg_documents d
    WHERE json_type(json_extract(d.document, '$.plans')) = 'ARRAY'
);
