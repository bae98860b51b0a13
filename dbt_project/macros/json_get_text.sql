{#
    json_get_text(json_col, path): the value at a dotted key path ('subject', 'metadata.team') of a JSON text
    column, as text (objects and arrays as JSON text, JSON null as NULL). path '' is the whole value, so a
    bare scalar (OPA's result `true`) reads as 'true'. Keys are plain names (no dots, quotes or brackets); a
    key of digits only is an array index ('0.model': the first item's model).
    - DuckDB: json_extract_string, NULL (not an error) for text that is not valid JSON.
    - PostgreSQL: #>> on a json cast (text that is not valid JSON raises).
    - Spark: get_json_object (NULL for invalid JSON).
    - other adapters: SQL:2016 json_value.
#}
{% macro json_get_text(json_col, path) -%}
    {{ return(adapter.dispatch('json_get_text', 'ai_roi_ledger')(json_col, path)) }}
{%- endmacro %}

{% macro _json_path_keys(path) -%}
    {%- set keys = (path | trim).split('.') if (path | trim) else [] -%}
    {%- for key in keys -%}
        {%- if not modules.re.match('^[A-Za-z0-9_@$-]+$', key) -%}
            {{ exceptions.raise_compiler_error("json_get_text: unsupported key " ~ key ~ " in path " ~ path) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{% macro _json_dollar_path(path) -%}
    {%- set parts = [] -%}
    {%- for key in ai_roi_ledger._json_path_keys(path) -%}
        {%- do parts.append('[' ~ key ~ ']' if modules.re.match('^[0-9]+$', key) else '.' ~ key) -%}
    {%- endfor -%}
    {{ return('$' ~ parts | join('')) }}
{%- endmacro %}

{% macro default__json_get_text(json_col, path) -%}
    json_value({{ json_col }}, '{{ ai_roi_ledger._json_dollar_path(path) }}')
{%- endmacro %}

{% macro duckdb__json_get_text(json_col, path) -%}
    case when json_valid({{ json_col }}) then json_extract_string({{ json_col }}, '{{ ai_roi_ledger._json_dollar_path(path) }}') end
{%- endmacro %}

{% macro postgres__json_get_text(json_col, path) -%}
    (cast({{ json_col }} as json) #>> '{{ "{" ~ ai_roi_ledger._json_path_keys(path) | join(",") ~ "}" }}')
{%- endmacro %}

{% macro spark__json_get_text(json_col, path) -%}
    get_json_object({{ json_col }}, '{{ ai_roi_ledger._json_dollar_path(path) }}')
{%- endmacro %}


{#
    json_get_texts(json_col, paths) and json_texts_item(texts, paths, i): several key paths of one JSON text
    column, read from one parse where the adapter can. Select json_get_texts once (a column of a CTE), then read
    the i-th path (0-based) with json_texts_item; each value is what json_get_text gives for that path.
    - DuckDB: one json_extract_string with a list of paths, so the text is validated and parsed once, not once
      per path (LiteLLM's metadata, 10.6M rows at the large bench scale: 1.6 s for four paths against 4.5 s,
      json_valid aside; the same values on every row, checked there).
    - other adapters: json_get_texts is the text itself, and json_texts_item reads its path with json_get_text.
#}
{% macro json_get_texts(json_col, paths) -%}
    {{ return(adapter.dispatch('json_get_texts', 'ai_roi_ledger')(json_col, paths)) }}
{%- endmacro %}

{% macro default__json_get_texts(json_col, paths) -%}
    {{ json_col }}
{%- endmacro %}

{% macro duckdb__json_get_texts(json_col, paths) -%}
    case when json_valid({{ json_col }}) then json_extract_string({{ json_col }}, [
        {%- for path in paths -%}
            '{{ ai_roi_ledger._json_dollar_path(path) }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ]) end
{%- endmacro %}

{% macro json_texts_item(texts, paths, i) -%}
    {{ return(adapter.dispatch('json_texts_item', 'ai_roi_ledger')(texts, paths, i)) }}
{%- endmacro %}

{% macro default__json_texts_item(texts, paths, i) -%}
    {{ ai_roi_ledger.json_get_text(texts, paths[i]) }}
{%- endmacro %}

{% macro duckdb__json_texts_item(texts, paths, i) -%}
    {{ texts }}[{{ i + 1 }}]
{%- endmacro %}


{#
    extra_column_text(extra_json, column): the trimmed text of a column a CSV export carries beyond its contract
    (`_extra`, as landed: the contract's null sentinels are not applied there), NULL for an empty value or one
    of the registry's null tokens (orchestration/dataset_model.py NULL_TOKENS: '', NULL, null, None).
#}
{% macro extra_column_text(extra_json, column) -%}
    case
        when trim({{ ai_roi_ledger.json_get_text(extra_json, column) }}) not in ('', 'NULL', 'null', 'None')
            then trim({{ ai_roi_ledger.json_get_text(extra_json, column) }})
    end
{%- endmacro %}
