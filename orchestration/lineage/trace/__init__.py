"""Row-level lineage: the raw lines behind one row of a mart (``roi-ledger trace``).

A published figure is only auditable when an auditor can walk from it back to the vendor export lines it was
computed from. Marts aggregate (a month of cost lines, a quarter of incidents, every team's delivery history) and the
intermediate models that hold per-record links are not published, so each mart declares in its dbt YAML, next to its
columns, how one of its rows reaches published relations that carry ``_source_file`` / ``_line``. The declaration is
data (dbt ``meta``), so it is versioned with the SQL it describes, parsed into the manifest, and checked by tests
against the manifest and the published file; this module only interprets it, with SQL over the published file.

Declaration (``config: meta:`` of a model in ``marts``)::

    trace_key: [ai_system_id, month]          # the row's key: what `--key` must give
    trace:                                    # steps: relations whose matching rows are the row's inputs
      - relation: marts.fct_cost_lines        # staging.<model>, marts.<model> or seeds.<seed>
        note: cost lines billed in the month  # printed beside the step's count
        match:                                # relation column: condition on the mart row
          ai_system_id: ai_system_id          # a string: equality with that row column
          billing_month: {equals: month}      # the same, spelled out
          cost_class: {value: one_time}

Operators of ``match`` (the whole vocabulary; several may share one column):

- ``equals: COL``: the relation's value equals the row's ``COL``.
- ``in_list: COL``: the relation's value is one item of the row's ``COL``, a ``;``-separated list
  (``separator: ":"`` to split otherwise).
- ``contains: COL``: the relation's column is a ``;``-separated list holding any item of the row's ``COL``.
- ``months: {of: COL, from: N, to: M}``: the relation's date or timestamp lies in the calendar months from N to M
  months after the month of the row's ``COL`` (0 to 0: that month; 0 to 2: its quarter; ``from`` or ``to`` left
  out: unbounded on that side).
- ``value: V`` or ``value: [V, ...]``: the relation's value is one of these constants (``null`` allowed).
- ``not_value: V`` or a list: the relation's value is none of them (NULL passes).

Other keys of a step: ``when: {COL: V or [V, ...]}`` applies the step only to rows with those values (a row of
another kind takes another path); ``then: [steps]`` continues from the matched rows, their columns now being the
"row" (a deployment to the changes it shipped); ``recurse: true`` follows the relation's own ``trace`` even though
it carries ``_source_file`` / ``_line`` (a scenario's seed line is not its ``_line``).

Walking: a relation with ``_source_file`` and ``_line`` ends the path (its rows' own lines); one without them is
followed through its own ``trace`` (or the step's ``then``). Every step runs as one SQL statement over the whole
set of matched rows, so an aggregate row with thousands of inputs costs a few joins, never a Python loop; the
published file is attached read-only (a reader never blocks a run). Seeds are not published: a ``seeds.<seed>``
step reads the seed file under ``dbt_project/`` and its "raw line" is the line of that file. Keys of personal-data
columns (``meta: {pii: true}``) are the published keyed hash (``pii_...``), and both sides of a match are hashed
alike, so identities still join.

The raw content is read from ``DIR/raw/<_source_file>`` as the ingest readers number it
(:mod:`orchestration.ingest.raw_records`), its secrets redacted as on ingest.

Modules: :mod:`~.declarations` (the vocabulary, the catalog of published relations, the checks) and
:mod:`~.walker` (the SQL walk and the raw lines); the command's arguments and its printing are in
:mod:`orchestration.cli`. Import from the modules (this package imports nothing, so the CLI's start-up does not
pay for the walker's imports).
"""
