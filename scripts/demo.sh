#!/usr/bin/env bash
# The main job, in one command: set up the machine, build, and show the core at
# work on the demo shop's notice. (Later issues grow this into the full demo:
# consentd, the banner site and the backend that checks consent.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null

ctl=build/release/server/consentctl
notice=demo/notice.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now=$(date +%s)
step() { printf '\n== %s\n' "$1"; }

step "1. The shop's notice is valid; receipts will name this exact text by its hash"
"$ctl" notice validate "$notice"
hash=$("$ctl" notice hash "$notice")

step "2. A notice that tries to pre-check a purpose cannot be published (Planet49)"
sed 's/"id": "analytics",/"id": "analytics", "default": true,/' "$notice" > "$work/prechecked.json"
"$ctl" notice validate "$work/prechecked.json" || echo "(rejected, exit $?)"

step "3. A visitor from Austria sees the German banner, every consent switch off"
printf '{"notice":%s,"now":%s,"languages":["de-AT","en"]}' "$(cat "$notice")" "$now" > "$work/view.json"
"$ctl" core banner.view "$work/view.json" | grep -E '"(language|title|checked|id|prompt)"'

step "4. They grant analytics only; the core records one state per purpose"
request() { # method, extra JSON members
  printf '{"notice":%s,"request":{"decision_id":"%s","subject_id":"demo-visitor-0001","notice_id":"bike-shop","notice_version":3,"notice_hash":"%s","language":"de","method":"%s"%s}}' \
    "$(cat "$notice")" "dec-$1-$RANDOM$RANDOM" "$hash" "$1" "$2"
}
request custom ',"choices":{"analytics":true}' > "$work/grant.json"
"$ctl" core decision.make "$work/grant.json" > "$work/grant-decision.json"
grep -A4 '"purposes"' "$work/grant-decision.json"

check() { # purpose, state file
  printf '{"notice":%s,"now":%s,"purpose":"%s","state":%s}' "$(cat "$notice")" "$now" "$1" "$(cat "$2")" > "$work/check.json"
  printf '   may we use %-10s -> %s\n' "$1" "$("$ctl" core policy.is_allowed "$work/check.json" | tr -d '\n ')"
}
printf '{"decision":%s,"decided_at":%s,"receipt_id":"demo-receipt-1"}' "$(cat "$work/grant-decision.json")" "$now" > "$work/apply.json"
"$ctl" core state.apply "$work/apply.json" > "$work/state.json"
check analytics "$work/state.json"
check marketing "$work/state.json"

step "5. They withdraw analytics: the very next check says no"
request withdraw ',"purposes":["analytics"]' > "$work/withdraw.json"
"$ctl" core decision.make "$work/withdraw.json" > "$work/withdraw-decision.json"
printf '{"state":%s,"decision":%s,"decided_at":%s,"receipt_id":"demo-receipt-2"}' \
  "$(cat "$work/state.json")" "$(cat "$work/withdraw-decision.json")" "$now" > "$work/apply2.json"
"$ctl" core state.apply "$work/apply2.json" > "$work/state2.json"
check analytics "$work/state2.json"

step "6. Now the same through consentd: a real server on its own SQLite file"
bin=build/release/server
db="$work/consent.db"; keys="$work/keys"
"$bin/consentctl" init --database="$db" --keys="$keys" --site=bike-shop --origin=https://velo.example
"$bin/consentctl" notice publish "$notice" --site=bike-shop --database="$db" --keys="$keys"
api_key=$("$bin/consentctl" apikey create --site=bike-shop --database="$db" 2>/dev/null)
"$bin/consentd" --database="$db" --keys="$keys" --port=0 > "$work/consentd.out" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q listening "$work/consentd.out" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$work/consentd.out")
echo "consentd is up at $base"
subject=b_ZGVtby12aXNpdG9yLTAwMQ
decide() { # decision id, method, extra members
  curl -s -X POST "$base/v1/sites/bike-shop/decisions" -H 'Content-Type: application/json' -H 'Origin: https://velo.example' \
    -d "{\"decision_id\":\"$1\",\"subject_id\":\"$subject\",\"notice_id\":\"bike-shop\",\"notice_version\":3,\"notice_hash\":\"$hash\",\"language\":\"en\",\"method\":\"$2\"$3}"
}
ask() { printf '   backend asks: may we use %-10s -> %s\n' "$1" \
  "$(curl -s -H "Authorization: Bearer $api_key" "$base/v1/sites/bike-shop/subjects/$subject/purposes/$1")"; }
echo "   visitor grants marketing:"
decide "dec-demo-$RANDOM$RANDOM" custom ',"choices":{"marketing":true}' | head -c 160; echo "…"
ask marketing
echo "   the visitor's unsubscribe link withdraws it on the server:"
curl -s -X POST -H "Authorization: Bearer $api_key" -H "Content-Type: application/json" -d "{}" "$base/v1/sites/bike-shop/subjects/$subject/withdrawals" | head -c 120; echo "…"
ask marketing
echo "   anyone can check the receipts with the served public keys: $(curl -s "$base/.well-known/jwks.json" | head -c 100)…"

echo
echo "Done. Run every test with: ./scripts/test.sh"
