"""The current stories: one record per story, its canonical copy as the rule chooses it now.

The exports are append-only: a record that was canonical when filed stays in `articles/` after
a better copy has re-pointed its cluster. This view is built from the state store's clusters
(the copies whose records are exported) and the exported records themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from crawler.dedupe.canonical import Copy, Evidence, choose


def canonical_choices(clusters: Iterable[tuple[str, list]]) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(cluster, canonical record id, reasons, the other copies' ids) of every cluster with an
    exported copy; only exported copies count (the others may yet be forgotten)."""
    for cluster, members in clusters:
        exported = [m for m in members if m.exported]
        if not exported:
            continue
        best, because = choose([Copy(m.id, m.record_id, Evidence.from_dict(m.evidence)) for m in exported])
        yield cluster, best, because, [m.record_id for m in exported if m.record_id != best]


def story_record(record: Mapping, cluster: str, because: list[str], copies: list[str]) -> dict:
    """The canonical record as the stories view gives it: `dedupe` says what holds now."""
    dedupe = dict(record.get("dedupe") or {})
    dedupe.update(cluster=cluster, duplicate_of=None, similarity=None, canonical_because=because, copies=copies)
    return {**record, "dedupe": dedupe}
