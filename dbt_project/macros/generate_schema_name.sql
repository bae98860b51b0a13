{#
    Custom schemas are used verbatim (staging, intermediate, marts, seeds), never prefixed with the
    target schema, so every environment has the same layout; models without one go to target.schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
