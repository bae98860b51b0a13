-- Money completeness (blocking): every raw file's money, totalled by ingest from the file's own text, landed and
-- reached its destination (fct_cost_lines for FOCUS costs, the usage records fct_ai_usage sums for LiteLLM spend,
-- staging for the other money fields) per file, money field and currency. Quarantined amounts, amounts quarantined
-- as differing repeats and missing amounts (absolute values added) above var money_unlanded_max, an amount that
-- cannot be read exactly, or a rejected file fail the gate; each failing row names the file, the field, the
-- currency and the amounts.

select
    dataset,
    source_file,
    column_name,
    currency,
    incomplete_reason
from {{ ref('fct_money_completeness') }}
where not is_complete
