-- Cost separation, step 1 (docs/METHOD.md section 2): every staged FOCUS charge line gets exactly one
-- cost class from seed cost_classification_rules, keyed by the normalised ChargeCategory and ChargeFrequency
-- (lower case; '-', '_' and spaces removed, so `Usage-based`, `USAGE_BASED` and `usage based` are one key;
-- a missing frequency is the key `none`). The frequency decides when present; without one the category's
-- documented fallback applies. A combination missing from the seed leaves cost_class NULL, which the
-- not_null gate on fct_cost_lines turns into a blocked release rather than a guess.
-- It also derives what attribution and the duplicate gate need: the tags, the IAM principal of a Bedrock charge,
-- the provider's line `Id` and a natural key of the line.

with

lines as (

    select * from {{ ref('stg_billing__focus') }}

),

rules as (

    select * from {{ ref('cost_classification_rules') }}

),

keyed as (

    select
        lines.*,
        lower(trim(lines.charge_category)) as charge_category_key,
        coalesce(
            nullif(replace(replace(replace(lower(trim(lines.charge_frequency)), '-', ''), '_', ''), ' ', ''), ''),
            'none'
        ) as charge_frequency_key,
        cast({{ dbt.date_trunc('month', 'lines.billing_period_start') }} as date) as billing_month,
        nullif(trim({{ json_get_text('lines.tags_json', 'cost_center') }}), '') as cost_center_tag,
        coalesce(
            nullif(trim({{ json_get_text('lines.tags_json', 'openai_project') }}), ''),
            {{ extra_column_text('lines.extra_columns_json', 'x_ProjectId') }}
        ) as openai_project_tag,
        -- the caller of a Bedrock charge: CUR 2.0 `line_item_iam_principal` (an IAM user or role ARN, an
        -- assumed role's session ARN), carried by an export as an extra column
        {{ extra_column_text('lines.extra_columns_json', 'line_item_iam_principal') }} as iam_principal,
        coalesce(
            {{ extra_column_text('lines.extra_columns_json', 'Id') }},
            {{ extra_column_text('lines.extra_columns_json', 'id') }},
            {{ extra_column_text('lines.extra_columns_json', 'ID') }}
        ) as provider_line_id
    from lines

)

select
    keyed.cost_line_id,
    keyed.billed_cost,
    keyed.effective_cost,
    keyed.billing_currency,
    keyed.billing_account_id,
    keyed.billing_period_start,
    keyed.billing_period_end,
    keyed.billing_month,
    keyed.charge_category,
    keyed.charge_class,
    keyed.charge_frequency,
    keyed.charge_description,
    keyed.charge_period_start,
    keyed.charge_period_end,
    keyed.invoice_id,
    keyed.provider_name,
    keyed.publisher_name,
    keyed.resource_id,
    keyed.resource_name,
    keyed.service_category,
    keyed.service_name,
    keyed.sku_id,
    keyed.sku_price_id,
    keyed.sub_account_id,
    keyed.pricing_quantity,
    keyed.ai_system_tag,
    keyed.cost_center_tag,
    keyed.openai_project_tag,
    keyed.iam_principal,
    keyed.provider_line_id,
    keyed.charge_category_key,
    keyed.charge_frequency_key,
    rules.cost_class,
    rules.classification_rule,
    coalesce(keyed.charge_class = 'Correction', false) as is_correction,
    -- support: the charge or its service names a support offering (FOCUS has no support category): one of the
    -- phrases below, never the bare word, so a system called "Support Bot" is not support. Kept in its class
    -- and reported apart in the efficiency ledger.
    coalesce(
        {%- for phrase in ['support plan', 'support fee', 'support contract', 'support subscription',
                           'support services', 'premium support', 'enterprise support', 'business support',
                           'developer support', 'technical support', 'support and maintenance'] %}
            lower(keyed.charge_description) like '%{{ phrase }}%'
            or lower(keyed.service_name) like '%{{ phrase }}%'
            {%- if not loop.last %} or{% endif %}
        {%- endfor %}
        or lower(keyed.service_name) like 'aws support%',
        false
    ) as is_support,
    -- Natural key of a billed line: the provider's line `Id` within its billing account when the export has
    -- one; otherwise the attributes that make a charge (account, periods, category, resource, SKU price,
    -- description, amount, quantity). The same key twice is the same charge billed twice.
    case
        when keyed.provider_line_id is not null
            then {{ surrogate_key(['keyed.billing_account_id', 'keyed.provider_line_id']) }}
        else {{ surrogate_key([
            'keyed.billing_account_id', 'keyed.sub_account_id', 'keyed.billing_period_start',
            'keyed.charge_period_start', 'keyed.charge_period_end', 'keyed.charge_category', 'keyed.charge_class',
            'keyed.charge_frequency', 'keyed.charge_description', 'keyed.resource_id', 'keyed.sku_price_id',
            'keyed.billed_cost', 'keyed.pricing_quantity', 'keyed.tags_json'
        ]) }}
    end as line_natural_key,
    keyed._source_file,
    keyed._file_sha256,
    keyed._line
from keyed
left join rules
    on
        keyed.charge_category_key = rules.charge_category_key
        and keyed.charge_frequency_key = rules.charge_frequency_key
