"""Model <-> JSON. The one place that turns frozen dataclasses into plain data and back, at every stage
boundary: the journal, the results document, stored runs and each family's observation facts.

Encoding is generic (dataclasses, enums, tuples, dates, mappings). Decoding is driven by
the dataclasses' type hints, so a stored run, a journal line or a results file comes back
as the same typed objects; unknown keys are an error. The generic codec is :mod:`secaudit.codec` (a facts
type's ``to_dict``/``from_dict`` are usually its ``fields_to_dict``/``fields_from_dict`` with a schema
version); here observation facts are decoded by probe kind, with the facts type registered for that kind
(:mod:`secaudit.observations.registry`, its ``from_dict``).
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any, Iterator, Mapping

from secaudit import codec
from secaudit.codec import to_jsonable
from secaudit.model import Message, Observation, ObservationStatus, Results
from secaudit.observations import registry as facts_registry

RESULTS_SCHEMA = "secaudit/results/v2"
RESULTS_SCHEMA_FILE = "results-v2.schema.json"
# Documents of earlier versions that still read (a stored run, a results file): version -> its schema file.
# v1 -> v2: findings' references became the catalogue's clauses at the system's level; controls gained
# `requirements`. A v1 document reads as it was written (its references are the v1 free-text strings).
READABLE_SCHEMAS = {"secaudit/results/v1": "results-v1", RESULTS_SCHEMA: "results-v2"}


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from plain data; observations decode their facts by probe kind."""
    return codec.from_jsonable(tp, data, _DECODERS)


def fields_from_dict(cls: type, data: Any, schema: str | None = None) -> Any:
    """Rebuild dataclass ``cls`` from plain data by its type hints (see :func:`secaudit.codec.fields_from_dict`)."""
    return codec.fields_from_dict(cls, data, schema, decoders=_DECODERS)


def observation_to_dict(obs: Observation) -> dict[str, Any]:
    return to_jsonable(obs)


def observation_from_dict(data: Mapping[str, Any]) -> Observation:
    kind = data["kind"]
    facts = data.get("facts")
    facts_type = facts_registry.facts_types().get(kind)
    if facts is not None and facts_type is not None and hasattr(facts_type, "from_dict"):
        facts = facts_type.from_dict(facts)
    return Observation(
        probe_id=data["probe_id"], kind=kind, target=data["target"], status=ObservationStatus(data["status"]),
        facts=facts, error=data.get("error"), started_at=data.get("started_at", ""),
        duration_s=float(data.get("duration_s", 0.0)), worker=str(data.get("worker") or ""),
        reason=fields_from_dict(Message, data["reason"]) if data.get("reason") else None,
    )


_DECODERS: codec.Decoders = {Observation: observation_from_dict}


# Fields written only when they hold something: a document without them reads as before (v2 readers that
# predate them, the v1 schema) and means the same -- no stored assessment was known when it was written.
OMITTED_WHEN_EMPTY = frozenset({"assessments"})


def results_to_dict(results: Results) -> dict[str, Any]:
    body = to_jsonable(results)
    return {"schema": RESULTS_SCHEMA, **{k: v for k, v in body.items() if k not in OMITTED_WHEN_EMPTY or v}}


def results_from_dict(data: Mapping[str, Any]) -> Results:
    if data.get("schema") not in READABLE_SCHEMAS:
        raise ValueError(f"not a {RESULTS_SCHEMA} document (schema: {data.get('schema')!r})")
    body = {k: v for k, v in data.items() if k != "schema"}
    return from_jsonable(Results, body)


def results_chunks(results: Results) -> Iterator[str]:
    """The results document as text, streamed: one finding or observation at a time, one per line.

    Building the whole run as one nested dict costs about ten times its JSON size in Python
    objects (hundreds of MB for 1,000 endpoints); encoding item by item keeps memory flat."""
    def dumps(value: Any) -> str:
        return json.dumps(to_jsonable(value), ensure_ascii=False)

    yield "{\n" + f'  "schema": {json.dumps(RESULTS_SCHEMA)}'
    for f in dataclasses.fields(results):
        value = getattr(results, f.name)
        if f.name in OMITTED_WHEN_EMPTY and not value:
            continue
        if isinstance(value, tuple):
            yield f',\n  "{f.name}": ['
            for i, item in enumerate(value):
                yield ("," if i else "") + "\n    " + dumps(item)
            yield "\n  ]" if value else "]"
        else:
            yield f',\n  "{f.name}": ' + dumps(value)
    yield "\n}\n"


def results_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the results document, with ``run.only`` limited to the
    probe families registered here (the file itself allows any family name)."""
    text = resources.files("secaudit").joinpath("schemas", RESULTS_SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    only = _run_properties(schema)["only"]["items"]
    only.pop("pattern", None)
    only["enum"] = list(facts_registry.kinds())
    return schema


def _run_properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    run = schema["properties"]["run"]
    if "$ref" in run:
        run = schema["$defs"][run["$ref"].rsplit("/", 1)[1]]
    return run["properties"]
