#!/usr/bin/env python3
"""An independent verifier of specflow audit logs, written from docs/audit-format.md and
docs/transparency.md alone.

Usage:
  verify-audit.py LOG.jsonl   (or - for standard input)
  verify-audit.py LOG.jsonl --checkpoint FILE --log-verifier KEY [--witness-key KEY ...]
  verify-audit.py --inclusion PROOF.json --log-verifier KEY [--witness-key KEY ...]
  verify-audit.py --consistency PROOF.json --old-checkpoint FILE --log-verifier KEY [--witness-key KEY ...]
  verify-audit.py --self-test

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

An export of a whole database also carries the transparency log after its records (log_leaf,
log_pending and log_checkpoint lines). With --checkpoint, the checkpoint's signed note is
opened with the log's verifier key (and each witness key given, whose cosignature it must
carry), the leaves must rebuild its RFC 9162 root, each leaf's record must be in the file with
the hash the leaf names, once and in its chain's order, later checkpoints in the file must match
the leaves, and every record of the file must be in the tree or listed as waiting.
--inclusion and --consistency check the proofs `GET /api/v1/log/proofs/inclusion` and
`/consistency` answer, against the signed checkpoints they carry.
A KEY is the verifier key text (`name+keyid+base64`) or a file whose first line holds it.

It uses only the Python standard library, so an auditor can read all of it: Ed25519 is
written out below from RFC 8032 section 5.1, and its section 7.1 test vectors are checked
before any signature is trusted.
"""
import argparse
import base64
import binascii
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
    """A line that is not a record (or a log line) in its one canonical form."""


class Refused(Exception):
    """A key, note, checkpoint or proof that does not hold."""


# ---------------------------------------------------------------------------------------------
# Ed25519 verification, RFC 8032 section 5.1 (edwards25519, SHA-512).

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    """Adds two points in extended homogeneous coordinates (X, Y, Z, T), section 5.1.4."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    a_ = (y1 - x1) * (y2 - x2) % P
    b_ = (y1 + x1) * (y2 + x2) % P
    c_ = 2 * t1 * t2 * D % P
    d_ = 2 * z1 * z2 % P
    e, f, g, h = b_ - a_, d_ - c_, d_ + c_, b_ + a_
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        scalar >>= 1
    return result


def point_equal(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def recover_x(y, sign):
    """Section 5.1.3, step 2 to 4: x from y and its sign bit, or None."""
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decode_point(data):
    """Section 5.1.3: a 32-byte encoding to a point, or None."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


BASE_Y = 4 * pow(5, P - 2, P) % P
BASE = (recover_x(BASE_Y, 0), BASE_Y, 1, recover_x(BASE_Y, 0) * BASE_Y % P)


def ed25519_verify(public_key, message, signature):
    """Section 5.1.7: whether `signature` is the key's signature of `message` (all bytes)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = decode_point(public_key)
    r = decode_point(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    # The group equation [8][S]B = [8]R + [8][k]A.
    left = point_multiply(8 * s, BASE)
    right = point_multiply(8, point_add(r, point_multiply(k, a)))
    return point_equal(left, right)


# RFC 8032 section 7.1, TEST 1 (the empty message) and TEST 2 (one byte).
RFC8032_VECTORS = [
    ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
]


def self_test():
    """Checks the RFC 8032 vectors, and that a changed message or signature is refused."""
    for public_key, message, signature in RFC8032_VECTORS:
        public_key, message, signature = (bytes.fromhex(public_key), bytes.fromhex(message),
                                           bytes.fromhex(signature))
        if not ed25519_verify(public_key, message, signature):
            raise SystemExit("self-test failed: an RFC 8032 test vector does not verify")
        if ed25519_verify(public_key, message + b"x", signature):
            raise SystemExit("self-test failed: a changed message verifies")
        changed = signature[:10] + bytes([signature[10] ^ 1]) + signature[11:]
        if ed25519_verify(public_key, message, changed):
            raise SystemExit("self-test failed: a changed signature verifies")


# ---------------------------------------------------------------------------------------------
# Signed notes, keys, checkpoints and cosignatures (C2SP signed-note, tlog-checkpoint,
# tlog-cosignature), as docs/transparency.md writes them.

LOG_KEY_TYPE = 0x01
WITNESS_KEY_TYPE = 0x04


def strict_base64(text):
    """Standard alphabet with padding, strictly: re-encoding must give the same text."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Refused(f"not base64: {text!r}") from error
    if base64.b64encode(data).decode("ascii") != text:
        raise Refused(f"not canonical base64: {text!r}")
    return data


def key_id(name, key_type, public_key):
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()
    return digest[:4]


def parse_verifier_key(text, key_type):
    """`<name>+<key ID, 8 hex>+<base64(type || key)>`: (name, key ID bytes, public key)."""
    # The name holds no "+"; the base64 key may.
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0] or len(parts[1]) != 8:
        raise Refused(f"not a verifier key: {text!r}")
    name, id_hex, encoded = parts
    key = strict_base64(encoded)
    if len(key) != 33 or key[0] != key_type:
        raise Refused(f"not a key of type 0x{key_type:02x}: {text!r}")
    try:
        claimed = bytes.fromhex(id_hex)
    except ValueError as error:
        raise Refused(f"the key ID is not hexadecimal: {text!r}") from error
    if key_id(name, key_type, key[1:]) != claimed:
        raise Refused(f"the key ID does not match the name and key: {text!r}")
    return name, claimed, key[1:]


def key_text(given):
    """A key given as its text, or the first line of the file that holds it."""
    try:
        with open(given, encoding="utf-8") as file:
            return file.readline().strip()
    except OSError:
        return given.strip()


def split_note(note):
    """The note's text (ending in a newline) and its signature lines."""
    if not note.endswith("\n"):
        raise Refused("a signed note ends in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Refused("a signed note holds no control character but the newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise Refused("a signed note has a blank line before its signatures")
    text, signatures = note[:cut + 1], note[cut + 2:]
    lines = signatures[:-1].split("\n") if signatures else []
    if not lines:
        raise Refused("a signed note has at least one signature")
    parsed = []
    for line in lines:
        if not line.startswith("\u2014 "):
            raise Refused(f"not a signature line: {line!r}")
        fields = line[2:].split(" ")
        if len(fields) != 2 or not fields[0]:
            raise Refused(f"not a signature line: {line!r}")
        payload = strict_base64(fields[1])
        if len(payload) < 5:
            raise Refused(f"a signature line too short: {line!r}")
        parsed.append((fields[0], payload[:4], payload[4:]))
    return text, parsed


def open_note(note, log_key, witness_keys):
    """The note's text, when the log's key signed it and every witness given cosigned it."""
    text, signatures = split_note(note)
    log_name, log_id, log_public = log_key
    signed_by_log = False
    cosigned = set()
    for name, signer_id, signature in signatures:
        if (name, signer_id) == (log_name, log_id):
            if not ed25519_verify(log_public, text.encode("utf-8"), signature):
                raise Refused("the log's signature does not verify")
            signed_by_log = True
        for witness_name, witness_id, witness_public in witness_keys:
            if (name, signer_id) != (witness_name, witness_id):
                continue
            if len(signature) != 72:
                raise Refused(f"the cosignature of {name} is not 8 + 64 bytes")
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp >= 2**63:
                raise Refused(f"the cosignature of {name} has a timestamp past 2^63 - 1")
            message = f"cosignature/v1\ntime {timestamp}\n{text}".encode("utf-8")
            if not ed25519_verify(witness_public, message, signature[8:]):
                raise Refused(f"the cosignature of {name} does not verify")
            cosigned.add((witness_name, witness_id))
    if not signed_by_log:
        raise Refused("the checkpoint is not signed by the log's key")
    for witness_name, witness_id, _ in witness_keys:
        if (witness_name, witness_id) not in cosigned:
            raise Refused(f"the checkpoint lacks the cosignature of witness {witness_name}")
    return text


def parse_checkpoint(text, origin):
    """`origin`, the size, the root in base64, then extension lines: (size, root bytes)."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or lines[0] != origin:
        raise Refused(f"not a checkpoint of the log {origin}")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]) or any(not line for line in lines[3:]):
        raise Refused("not a checkpoint: the size or an extension line is malformed")
    root = strict_base64(lines[2])
    if len(root) != 32:
        raise Refused("not a checkpoint: the root is not 32 bytes")
    return int(lines[1]), root


def open_checkpoint(note, log_key, witness_keys):
    return parse_checkpoint(open_note(note, log_key, witness_keys), log_key[0])


# ---------------------------------------------------------------------------------------------
# The Merkle tree, RFC 9162 section 2.1.

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the complete subtrees of a growing tree: its root at any size."""

    def __init__(self):
        self.size = 0
        self.subtrees = []

    def push(self, leaf):
        carried = (1, leaf)
        while self.subtrees and self.subtrees[-1][0] == carried[0]:
            size, left = self.subtrees.pop()
            carried = (size * 2, node_hash(left, carried[1]))
        self.subtrees.append(carried)
        self.size += 1

    def root(self):
        if not self.subtrees:
            return hashlib.sha256(b"").digest()
        root = self.subtrees[-1][1]
        for _, left in reversed(self.subtrees[:-1]):
            root = node_hash(left, root)
        return root


def check_inclusion(leaf_index, tree_size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def check_consistency(first, second, first_root, second_root, path):
    """RFC 9162 section 2.1.4.2; between equal sizes the proof is empty and the roots equal."""
    if first < 1 or first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root] + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# ---------------------------------------------------------------------------------------------
# Records and their chains (docs/audit-format.md).

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


# ---------------------------------------------------------------------------------------------
# The transparency log's lines of an export (docs/audit-format.md).

LEAF_FIELDS = ["index", "kind", "subject", "sequence", "record_hash"]
PENDING_FIELDS = ["kind", "subject", "sequence"]


def canonical_json(value):
    """Compact JSON, keys in their order, non-ASCII as itself: the one text of a log line."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_log_line(line):
    """A log line as (tag, value), or raises NotCanonical."""
    try:
        value = json.loads(line)
    except ValueError as error:
        raise NotCanonical(f"not JSON: {error}") from error
    if not isinstance(value, dict) or len(value) != 1:
        raise NotCanonical("a log line is an object with one member")
    (tag, body), = value.items()
    if tag == "log_checkpoint":
        if not isinstance(body, str):
            raise NotCanonical("log_checkpoint is a string")
    elif tag in ("log_leaf", "log_pending"):
        fields = LEAF_FIELDS if tag == "log_leaf" else PENDING_FIELDS
        if not isinstance(body, dict) or list(body) != fields:
            raise NotCanonical(f"{tag} has exactly the fields {', '.join(fields)}, in that order")
        if body["kind"] not in ("project", "committee") or not isinstance(body["subject"], str):
            raise NotCanonical(f"{tag}: kind is project or committee, subject a string")
        if not is_integer(body["sequence"], 0, 2**64 - 1):
            raise NotCanonical(f"{tag}: sequence is an integer")
        if tag == "log_leaf" and not (is_integer(body["index"], 0, 2**64 - 1)
                                      and isinstance(body["record_hash"], str)
                                      and DIGEST.fullmatch(body["record_hash"])):
            raise NotCanonical("log_leaf: index is an integer, record_hash 64 lowercase hex digits")
    else:
        raise NotCanonical(f"not a log line: {tag}")
    if canonical_json(value) != line:
        raise NotCanonical("the log line is not in its canonical text")
    return tag, body


class ExportedLog:
    """The records' hashes and the log lines of an export, checked against a checkpoint."""

    def __init__(self):
        self.records = {}
        self.leaves = []
        self.pending = set()
        self.checkpoints = []

    def verify(self, size, root, log_key):
        """The faults found against the checkpoint of `size` and `root`, in words."""
        later = {}
        for note in self.checkpoints:
            try:
                later_size, later_root = open_checkpoint(note, log_key, [])
            except Refused:
                continue  # not the log's: evidence neither way
            if later_size > size:
                later[later_size] = later_root
        faults = []
        now, seen, next_sequence = Frontier(), set(), {}
        root_at_size = hashlib.sha256(b"").digest() if size == 0 else None
        last_index = -1
        for leaf in self.leaves:
            index, key = leaf["index"], (leaf["kind"], leaf["subject"], leaf["sequence"])
            name = f"leaf {index}: {key[0]} {key[1]} record {key[2]}"
            if index != last_index + 1:
                # A gap, named once: the leaves after it follow on from this one.
                faults.append(f"leaf {last_index + 1} is missing (the leaf after it has another index)")
            last_index = index
            stored = self.records.get(key)
            if stored is None:
                faults.append(f"{name} was deleted")
            elif stored != leaf["record_hash"]:
                faults.append(f"{name} was rewritten (hash {leaf['record_hash']} when integrated, {stored} now)")
            if key in seen:
                faults.append(f"{name} is in the tree twice")
            seen.add(key)
            expected = next_sequence.get(key[:2], 1)
            if key[2] != expected:
                faults.append(f"{name} is out of order; its chain's next record should be {expected}")
            next_sequence[key[:2]] = key[2] + 1
            # The tree is rebuilt from the records as they are now; a gone record leaves its
            # leaf as integrated, and a hash that is no hash counts as the empty tree's.
            hash_now = leaf["record_hash"] if stored is None else stored
            if not DIGEST.fullmatch(hash_now):
                hash_now = hashlib.sha256(b"").hexdigest()
            now.push(leaf_hash(bytes.fromhex(hash_now)))
            if now.size == size:
                root_at_size = now.root()
            if now.size in later and later[now.size] != now.root():
                faults.append(f"the checkpoint the log signed later at size {now.size} does not match the rebuilt root")
        if now.size < size:
            faults.append(f"the tree has {now.size} leaves, the checkpoint {size}: truncated or rolled back")
        elif root_at_size != root:
            faults.append(f"the root rebuilt from the first {size} leaves is not the checkpoint's")
        for key in sorted(set(self.records) - seen - self.pending):
            faults.append(f"{key[0]} {key[1]} record {key[2]} is in the export but neither in its tree nor listed as waiting")
        waiting = len((set(self.records) - seen) & self.pending)
        return faults, now.size, waiting


# ---------------------------------------------------------------------------------------------
# The commands.

def verify_file(path, against):
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    chains = {}
    broken = {}
    unreadable = 0
    count = 0
    log = ExportedLog()
    for line_number, line in enumerate(stream, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith('{"log_'):
            try:
                tag, body = read_log_line(line)
            except NotCanonical as error:
                unreadable += 1
                report(f"line {line_number}: {error}")
                continue
            if tag == "log_leaf":
                log.leaves.append(body)
            elif tag == "log_pending":
                log.pending.add((body["kind"], body["subject"], body["sequence"]))
            else:
                log.checkpoints.append(body)
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
        if against is not None:
            note_record(log, record)
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
    tree_holds = True
    if against is not None:
        (size, root), log_key = against
        faults, tree_size, waiting = log.verify(size, root, log_key)
        for fault in faults:
            report(f"transparency log: {fault}")
        if not faults:
            print(f"ok transparency log {log_key[0]}: the export agrees with the checkpoint of size {size}; "
                  f"the tree holds {tree_size} records, {waiting} waiting")
        tree_holds = not faults
    elif log.leaves or log.checkpoints:
        print(f"the file carries the transparency log: {len(log.leaves)} leaf(s), "
              f"{len(log.checkpoints)} checkpoint(s) (give --checkpoint and --log-verifier to check them)")
    return 1 if broken or unreadable or not tree_holds else 0


def note_record(log, record):
    """Keeps a record's hash as written, by its place, for the tree's check."""
    for kind in ("project", "committee"):
        subject = record.get(kind + "_id")
        if isinstance(subject, str) and is_integer(record.get("sequence"), 0, 2**64 - 1) \
                and isinstance(record.get("hash"), str):
            log.records[(kind, subject, record["sequence"])] = record["hash"]


def read_proof(path):
    with open(path, encoding="utf-8") as file:
        proof = json.load(file)
    if not isinstance(proof, dict):
        raise Refused("a proof is a JSON object")
    return proof


def proof_checkpoint(proof, log_key, witness_keys):
    note = proof.get("checkpoint")
    if not isinstance(note, str):
        raise Refused("the proof carries no checkpoint (none was signed at that size)")
    return open_checkpoint(note, log_key, witness_keys)


def proof_hashes(proof):
    hashes = proof.get("hashes")
    if not isinstance(hashes, list) or not all(isinstance(text, str) for text in hashes):
        raise Refused("hashes is a list of base64 strings")
    decoded = [strict_base64(text) for text in hashes]
    if any(len(hash_) != 32 for hash_ in decoded):
        raise Refused("a proof hash is not 32 bytes")
    return decoded


def verify_inclusion(path, log_key, witness_keys):
    proof = read_proof(path)
    size, root = proof_checkpoint(proof, log_key, witness_keys)
    leaf_index, tree_size, record = proof.get("leaf_index"), proof.get("tree_size"), proof.get("record_hash")
    if not (is_integer(leaf_index, 0, 2**63) and is_integer(tree_size, 1, 2**63)
            and isinstance(record, str) and DIGEST.fullmatch(record)):
        raise Refused("leaf_index, tree_size and record_hash are malformed")
    if tree_size != size:
        raise Refused(f"the proof is against a tree of {tree_size}, its checkpoint has {size}")
    if not check_inclusion(leaf_index, tree_size, leaf_hash(bytes.fromhex(record)), proof_hashes(proof), root):
        raise Refused(f"the inclusion proof of record {record} at leaf {leaf_index} does not verify")
    print(f"ok inclusion: record {record} is leaf {leaf_index} of the tree of {size} the log signed")


def verify_consistency(path, old_checkpoint, log_key, witness_keys):
    proof = read_proof(path)
    with open(old_checkpoint, encoding="utf-8") as file:
        old_size, old_root = open_checkpoint(file.read(), log_key, [])
    new_size, new_root = proof_checkpoint(proof, log_key, witness_keys)
    if proof.get("from") != old_size or proof.get("to") != new_size:
        raise Refused(f"the proof is from {proof.get('from')} to {proof.get('to')}, "
                      f"the checkpoints are of {old_size} and {new_size}")
    if not check_consistency(old_size, new_size, old_root, new_root, proof_hashes(proof)):
        raise Refused(f"the tree of {new_size} does not extend the tree of {old_size}")
    print(f"ok consistency: the tree of {new_size} extends the kept tree of {old_size}")


def report(message):
    print(f"BROKEN {message}", file=sys.stderr)


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", nargs="?", help="an export (JSON Lines), or - for standard input")
    parser.add_argument("--checkpoint", help="a checkpoint kept outside the database, to check the export against")
    parser.add_argument("--log-verifier", help="the log's verifier key, or a file holding it")
    parser.add_argument("--witness-key", action="append", default=[], help="a witness whose cosignature is required")
    parser.add_argument("--inclusion", help="an inclusion proof as GET /api/v1/log/proofs/inclusion answers it")
    parser.add_argument("--consistency", help="a consistency proof as GET /api/v1/log/proofs/consistency answers it")
    parser.add_argument("--old-checkpoint", help="the checkpoint kept earlier, for --consistency")
    parser.add_argument("--self-test", action="store_true", help="check the Ed25519 code on RFC 8032's vectors")
    options = parser.parse_args(arguments)
    self_test()
    if options.self_test:
        print("ok self-test: RFC 8032 section 7.1 vectors")
        return 0
    needs_keys = options.checkpoint or options.inclusion or options.consistency
    if needs_keys and not options.log_verifier:
        parser.error("--log-verifier is required to check signatures")
    try:
        log_key = parse_verifier_key(key_text(options.log_verifier), LOG_KEY_TYPE) if needs_keys else None
        witness_keys = [parse_verifier_key(key_text(key), WITNESS_KEY_TYPE) for key in options.witness_key]
        if options.inclusion:
            verify_inclusion(options.inclusion, log_key, witness_keys)
            return 0
        if options.consistency:
            if not options.old_checkpoint:
                parser.error("--consistency needs --old-checkpoint")
            verify_consistency(options.consistency, options.old_checkpoint, log_key, witness_keys)
            return 0
        if options.log is None:
            parser.error("give an export to verify, --inclusion or --consistency")
        against = None
        if options.checkpoint:
            with open(options.checkpoint, encoding="utf-8") as file:
                against = (open_checkpoint(file.read(), log_key, witness_keys), log_key)
    except (Refused, OSError, ValueError) as error:
        report(str(error))
        return 1
    return verify_file(options.log, against)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
