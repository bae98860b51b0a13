{#
    surrogate_key(columns): a stable key (md5 hex) for a row without one, from dbt's cross-database
    dbt.hash and dbt.concat. NULL becomes a marker (kept apart from empty text) and items are separated,
    so ('ab', 'c') and ('a', 'bc') differ. Text forms of timestamps and booleans differ between engines,
    so keys built from them are stable per engine, not across engines.
#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_ai_roi_ledger_null_')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
