#!/usr/bin/env python3
"""An independent verifier of specflow audit logs, written from docs/audit-format.md alone.

Usage: verify-audit.py LOG.jsonl   (or - for standard input)
Reads JSON Lines as exported by `specflow audit export` or `specflow simulate --jsonl`,
and committee logs as printed by `specflow committee history --json` (records with a
`committee_id` instead of a `project_id`, hashed under their own format name), in any mix.
Each line must hold exactly the documented fields, each in its one canonical text; a chain's
records are checked in the order they appear in the file (chains may interleave).
It checks every project's and committee's chain (sequence without gaps, links, hashes, time
order), reports every broken chain at its first bad record and goes on with the others, and
exits 0 when all verify, 1 otherwise.
It does not replay events against the state the earlier records built (the document's event
schemas say what each event holds); specflow's own verifier does.
It uses only the Python standard library, so an auditor can read all of it.
"""
import datetime
import hashlib
import json
import re
import sys

FORMAT = "specflow-audit-v1"
COMMITTEE_FORMAT = "specflow-committee-audit-v1"
FIELDS = ["sequence", "recorded_at", "actor_id", "actor_role", "command_id",
          "event_type", "event_version", "event", "previous_hash"]
ALL_FIELDS = set(FIELDS) | {"hash"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DIGEST = re.compile(r"[0-9a-f]{64}")
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


class NotCanonical(Exception):
    """A line that is not a record in its one canonical form."""


def field_bytes(value):
    data = value.encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def subject_of(record):
    """The chain a record belongs to, its format name and its subject's id."""
    if "committee_id" in record:
        return ("committee", record["committee_id"]), COMMITTEE_FORMAT, record["committee_id"]
    return ("project", record["project_id"]), FORMAT, record["project_id"]


def is_integer(value, lowest, highest):
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest


def valid_instant(text):
    if not isinstance(text, str) or not INSTANT.fullmatch(text):
        return False
    try:
        datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


def check_canonical(record):
    """Raises NotCanonical naming the first field outside the documented set or its form."""
    subjects = [key for key in ("project_id", "committee_id") if key in record]
    if len(subjects) != 1:
        raise NotCanonical("needs exactly one of project_id and committee_id")
    extra = sorted(set(record) - ALL_FIELDS - set(subjects))
    if extra:
        raise NotCanonical("fields outside the documented set: " + ", ".join(extra))
    missing = sorted(ALL_FIELDS - set(record))
    if missing:
        raise NotCanonical("missing fields: " + ", ".join(missing))
    checks = [
        (subjects[0], lambda value: isinstance(value, str) and UUID.fullmatch(value)),
        ("sequence", lambda value: is_integer(value, 1, 2**63 - 1)),
        ("recorded_at", valid_instant),
        ("actor_id", lambda value: isinstance(value, str)),
        ("actor_role", lambda value: isinstance(value, str)),
        ("command_id", lambda value: value is None or (isinstance(value, str) and UUID.fullmatch(value))),
        ("event_type", lambda value: isinstance(value, str)),
        ("event_version", lambda value: is_integer(value, 0, 2**32 - 1)),
        ("event", lambda value: isinstance(value, str)),
        ("previous_hash", lambda value: isinstance(value, str) and DIGEST.fullmatch(value)),
        ("hash", lambda value: isinstance(value, str) and DIGEST.fullmatch(value)),
    ]
    for name, is_canonical in checks:
        if not is_canonical(record[name]):
            raise NotCanonical(f"{name} is not canonical: {record[name]!r}")


def record_hash(record):
    _, format_name, subject = subject_of(record)
    parts = [format_name, subject]
    for name in FIELDS:
        value = record[name]
        if value is None:
            value = ""
        parts.append(str(value))
    return hashlib.sha256(b"".join(field_bytes(part) for part in parts)).hexdigest()


def check_link(record, expected_sequence, previous_hash, previous_time):
    """The first fault of a canonical record in its chain, or None."""
    if record["sequence"] != expected_sequence:
        return f"gap, expected sequence {expected_sequence}"
    if record["previous_hash"] != previous_hash:
        return f"broken link, previous record hashes to {previous_hash}"
    computed = record_hash(record)
    if computed != record["hash"]:
        return f"hash mismatch, the fields hash to {computed}"
    # Canonical instants have a fixed width, so text order is time order.
    if record["recorded_at"] < previous_time:
        return "time goes backwards"
    return None


def main(path):
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    chains = {}
    broken = {}
    unreadable = 0
    count = 0
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            unreadable += 1
            report(f"line {line_number}: not JSON: {error}")
            continue
        if not isinstance(record, dict):
            unreadable += 1
            report(f"line {line_number}: not a JSON object")
            continue
        try:
            check_canonical(record)
        except NotCanonical as error:
            chain = None
            for kind in ("project", "committee"):
                if isinstance(record.get(kind + "_id"), str):
                    chain = (kind, record[kind + "_id"])
            if chain is None:
                unreadable += 1
                report(f"line {line_number}: {error}")
            elif chain not in broken:
                broken[chain] = f"line {line_number}, {chain[0]} {chain[1]}, record {record.get('sequence')}: {error}"
            continue
        chain, _, _ = subject_of(record)
        if chain in broken:
            continue
        expected_sequence, previous_hash, previous_time = chains.get(chain, (1, "0" * 64, ""))
        fault = check_link(record, expected_sequence, previous_hash, previous_time)
        if fault:
            broken[chain] = f"line {line_number}, {chain[0]} {chain[1]}, record {record['sequence']}: {fault}"
            continue
        chains[chain] = (expected_sequence + 1, record["hash"], record["recorded_at"])
        count += 1
    for (kind, subject), (next_sequence, head, _) in sorted(chains.items()):
        if (kind, subject) not in broken:
            print(f"ok {kind} {subject}: {next_sequence - 1} records, head {head}")
    for chain in sorted(broken):
        report(broken[chain])
    print(f"verified {count} records in {len(set(chains) | set(broken))} chain(s)")
    return 1 if broken or unreadable else 0


def report(message):
    print(f"BROKEN {message}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
