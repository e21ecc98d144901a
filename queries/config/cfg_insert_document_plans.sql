-- cfg_insert_document_plans: stores the plans of one configuration version (just inserted into
-- cfg_documents) one row a plan, in document order (migration 026), for rpt_explain_plan.
-- Returns nothing. Parameters: $version BIGINT.
INSERT INTO cfg_document_plans
SELECT version, x_PlanNo, json_extract_string(plan, '$.id'), plan
FROM (
    SELECT d.version,
           unnest(CAST(json_extract(d.document, '$.plans') AS JSON[])) AS plan,
           unnest(range(json_array_length(json_extract(d.document, '$.plans'))::BIGINT)) AS x_PlanNo
    FROM cfg_documents d
    WHERE d.version = $version::BIGINT
      AND json_type(json_extract(d.document, '$.plans')) = 'ARRAY'
);
