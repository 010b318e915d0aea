#!/usr/bin/env python3
"""An independent verifier of specflow audit logs, written from docs/audit-format.md alone.

Usage: verify-audit.py LOG.jsonl   (or - for standard input)
Reads JSON Lines as exported by `specflow audit export` or `specflow simulate --jsonl`,
and committee logs as printed by `specflow committee history --json` (records with a
`committee_id` instead of a `project_id`, hashed under their own format name),
checks every project's and committee's chain (sequence without gaps, links, hashes, time order),
and exits 0 when all verify, 1 naming the first bad record otherwise.
It uses only the Python standard library, so an auditor can read all of it.
"""
import hashlib
import json
import sys

FORMAT = "specflow-audit-v1"
COMMITTEE_FORMAT = "specflow-committee-audit-v1"
FIELDS = ["sequence", "recorded_at", "actor_id", "actor_role", "command_id",
          "event_type", "event_version", "event", "previous_hash"]


def field_bytes(value):
    data = value.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def subject_of(record):
    """The chain a record belongs to, its format name and its subject's id."""
    if "committee_id" in record:
        return ("committee", record["committee_id"]), COMMITTEE_FORMAT, record["committee_id"]
    return ("project", record["project_id"]), FORMAT, record["project_id"]


def record_hash(record):
    _, format_name, subject = subject_of(record)
    parts = [format_name, subject]
    for name in FIELDS:
        value = record[name]
        if value is None:
            value = ""
        parts.append(str(value))
    return hashlib.sha256(b"".join(field_bytes(part) for part in parts)).hexdigest()


def main(path):
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    chains = {}
    count = 0
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        project, _, _ = subject_of(record)
        expected_sequence, previous_hash, previous_time = chains.get(project, (1, "0" * 64, ""))
        where = f"line {line_number}, {project[0]} {project[1]}, record {record['sequence']}"
        if record["sequence"] != expected_sequence:
            return fail(f"{where}: gap, expected sequence {expected_sequence}")
        if record["previous_hash"] != previous_hash:
            return fail(f"{where}: broken link, previous record hashes to {previous_hash}")
        computed = record_hash(record)
        if computed != record["hash"]:
            return fail(f"{where}: hash mismatch, the fields hash to {computed}")
        # Canonical instants have a fixed width, so text order is time order.
        if record["recorded_at"] < previous_time:
            return fail(f"{where}: time goes backwards")
        chains[project] = (expected_sequence + 1, computed, record["recorded_at"])
        count += 1
    for (kind, subject), (next_sequence, head, _) in sorted(chains.items()):
        print(f"ok {kind} {subject}: {next_sequence - 1} records, head {head}")
    print(f"verified {count} records in {len(chains)} chain(s)")
    return 0


def fail(message):
    print(f"BROKEN {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
