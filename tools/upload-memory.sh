#!/usr/bin/env bash
# Peak resident memory of `specflow serve` while concurrent large uploads arrive.
#
#   tools/upload-memory.sh BINARY [UPLOADS] [MEBIBYTES] [DATABASE_URL]
#
# Starts BINARY (`specflow`) on a fresh SQLite database (or DATABASE_URL, which must be empty)
# on a free loopback port, makes one secretariat token per upload (so the per-caller limit does
# not refuse any), creates a project, then sends UPLOADS different files of MEBIBYTES MiB at once
# with curl and prints each answer's status and the server's peak resident set (VmHWM from
# /proc, which the kernel keeps, so no sampling can miss the peak). The server is started with
# --max-concurrent-uploads UPLOADS so that every upload runs together; a binary without that
# flag (before it existed) is started without it. Nothing here is timed: it is a measurement,
# not a test. Needs curl and Linux's /proc.
set -euo pipefail

binary=$(realpath "$1")
uploads=${2:-8}
mebibytes=${3:-40}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
database=${4:-sqlite://$work/specflow.db}
port=$((18300 + RANDOM % 500))

limits=()
if "$binary" serve --help | grep -q -- --max-concurrent-uploads; then
  limits=(--max-concurrent-uploads "$uploads" --max-concurrent-uploads-per-caller 1)
fi
"$binary" serve --database "$database" --listen "127.0.0.1:$port" --no-scheduler "${limits[@]}" \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done

tokens=()
for index in $(seq "$uploads"); do
  tokens+=("$("$binary" token create --database "$database" --name "sec-$index" \
    --role secretariat --committee SH-TC-01 2>/dev/null)")
done
project=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/projects" \
  -H "authorization: Bearer ${tokens[0]}" -H 'content-type: application/json' \
  -d '{"code":"JJF(沪)-2026-901","title":{"zh":"内存测量","en":"memory measurement"},"specification_kind":"calibration_specification","committee":"SH-TC-01","drafting_unit":"上海市计量测试技术研究院","definition_id":"metrology-spec"}' |
  sed -E 's/.*"project_id":"([^"]+)".*/\1/')

for index in $(seq "$uploads"); do
  head -c $((mebibytes * 1024 * 1024)) /dev/urandom >"$work/file-$index"
done
idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")

senders=()
for index in $(seq "$uploads"); do
  curl -s -o "$work/answer-$index" -w '%{http_code}\n' -X POST \
    "http://127.0.0.1:$port/api/v1/projects/$project/artifacts?kind=project_proposal&file_name=f$index.bin" \
    -H "authorization: Bearer ${tokens[$((index - 1))]}" \
    -H 'content-type: application/octet-stream' \
    --data-binary "@$work/file-$index" >"$work/status-$index" &
  senders+=($!)
done
wait "${senders[@]}"

echo "statuses: $(cat "$work"/status-* | sort | uniq -c | tr -s ' \n' ' ')"
echo "resident before uploads: $((idle / 1024)) MiB"
echo "peak resident (VmHWM): $(($(awk '/VmHWM/ {print $2}' "/proc/$server/status") / 1024)) MiB"
