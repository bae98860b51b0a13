{#
    AWS IAM references and identity keys. IAM user names are unique only within an account, so an IAM
    identity is keyed on the account and the user, never on the name alone: two accounts' `<root_account>`
    rows (or two `deploy` users) are two identities.

    References (credential report `arn`, identity inventory `aws_iam_user`; lower-cased first where the
    caller matches on them):
    - an IAM user ARN, arn:<partition>:iam::<account>:user/<optional path/><name>, or the root ARN,
      arn:<partition>:iam::<account>:root (partitions aws, aws-us-gov, aws-cn, aws-iso, ...);
    - `<account>:<user name>` (12 digits, a colon, the name);
    - anything else is taken as a bare user name.
    An account id is 12 digits and unique across partitions (a GovCloud or China account has its own id),
    so the key does not carry the partition.
#}


{% macro aws_iam__arn_pattern() -%}
    {{ return('^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(root|user/([^/]+/)*[^/]+)$') }}
{%- endmacro %}

{% macro aws_iam__root_arn_pattern() -%}
    {{ return('^arn:aws(-[a-z]+)*:iam::[0-9]{12}:root$') }}
{%- endmacro %}

{% macro aws_iam__role_arn_pattern() -%}
    {{ return('^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([^/]+/)*[^/]+$') }}
{%- endmacro %}

{% macro aws_iam__assumed_role_arn_pattern() -%}
    {{ return('^arn:aws(-[a-z]+)*:sts::[0-9]{12}:assumed-role/[^/]+/[^/]+$') }}
{%- endmacro %}

{% macro aws_iam__qualified_pattern() -%}
    {{ return('^[0-9]{12}:[^:/]+$') }}
{%- endmacro %}


{#
    aws_iam_account_id(expr): the 12-digit account id of an IAM user or root ARN, or of `<account>:<user>`;
    NULL for a bare user name or text of neither shape.
#}
{% macro aws_iam_account_id(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__arn_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 5) }}
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__qualified_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 1) }}
    end
{%- endmacro %}


{# aws_iam_partition(expr): the partition of an IAM user or root ARN (`aws`, `aws-us-gov`, `aws-cn`, ...), else NULL. #}
{% macro aws_iam_partition(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__arn_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 2) }}
    end
{%- endmacro %}


{#
    aws_iam_user_name(expr): the user name of a reference: `<root_account>` for a root ARN (as the credential
    report names the root row), the last path segment of a user ARN, the part after the colon of
    `<account>:<user>`, else the text itself (a bare name).
#}
{% macro aws_iam_user_name(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__root_arn_pattern()) }}
            then '<root_account>'
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__arn_pattern()) }}
            then {{ ai_roi_ledger.spine_regexp_extract(expr, '/([^/]+)$') }}
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__qualified_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 2) }}
        else {{ expr }}
    end
{%- endmacro %}


{#
    aws_iam_is_user_name(expr): the text can be an IAM user name as the credential report writes it,
    lower-cased (letters, digits and + = , . @ _ -; or `<root_account>`).
#}
{% macro aws_iam_is_user_name(expr) -%}
    coalesce(
        {{ ai_roi_ledger.spine_regexp_like(expr, '^[a-z0-9+=,.@_-]+$') }} or {{ expr }} = '<root_account>',
        false
    )
{%- endmacro %}


{#
    aws_iam_user_key(account_id, user_name): the identity key of an IAM user, `<account>:<user name>`
    (`123456789012:<root_account>` for the root). NULL when either part is NULL.
#}
{% macro aws_iam_user_key(account_id, user_name) -%}
    ({{ account_id }} || ':' || {{ user_name }})
{%- endmacro %}


{#
    aws_iam_key_account_id(key) / aws_iam_key_user_name(key): the two parts of an `aws_iam_user` key. A key
    without an account (an inventory bare name that matched no single account) has a NULL account and is
    the name itself.
#}
{% macro aws_iam_key_account_id(key) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(key, '^[0-9]{12}:') }} then {{ dbt.split_part(key, "':'", 1) }}
    end
{%- endmacro %}

{% macro aws_iam_key_user_name(key) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(key, '^[0-9]{12}:') }} then {{ dbt.split_part(key, "':'", 2) }}
        else {{ key }}
    end
{%- endmacro %}


{#
    aws_iam_role_key(expr): the identity key of an IAM role, `<account>:<role name>`, from a role ARN (the
    inventory's reference; the last path segment is the name) or an STS assumed-role ARN (a caller as Bedrock
    and CloudTrail log it: `arn:aws:sts::<account>:assumed-role/<role name>/<session>`, the session dropped);
    NULL for text of neither shape.
#}
{% macro aws_iam_role_key(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__role_arn_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 5) }} || ':' || {{ ai_roi_ledger.spine_regexp_extract(expr, '/([^/]+)$') }}
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__assumed_role_arn_pattern()) }}
            then {{ dbt.split_part(expr, "':'", 5) }} || ':'
                || {{ ai_roi_ledger.spine_regexp_extract(expr, ':assumed-role/([^/]+)/') }}
    end
{%- endmacro %}


{#
    aws_iam_caller_key_type(expr) / aws_iam_caller_key(expr): the identity key of a caller ARN as an AWS log
    names it: an IAM user (`aws_iam_user`, `<account>:<user name>` lower-cased as the credential report writes
    it) or a role, assumed or not (`aws_iam_role`, aws_iam_role_key); else the ARN itself (`aws_caller_arn`).
#}
{% macro aws_iam_caller_key_type(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__arn_pattern()) }} then 'aws_iam_user'
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__role_arn_pattern()) }}
            or {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__assumed_role_arn_pattern()) }}
            then 'aws_iam_role'
        when {{ expr }} is not null then 'aws_caller_arn'
    end
{%- endmacro %}

{% macro aws_iam_caller_key(expr) -%}
    case
        when {{ ai_roi_ledger.spine_regexp_like(expr, ai_roi_ledger.aws_iam__arn_pattern()) }}
            then {{ ai_roi_ledger.aws_iam_user_key(ai_roi_ledger.aws_iam_account_id(expr),
                                                   'lower(' ~ ai_roi_ledger.aws_iam_user_name(expr) ~ ')') }}
        else coalesce({{ ai_roi_ledger.aws_iam_role_key(expr) }}, {{ expr }})
    end
{%- endmacro %}
