#!/bin/sh
# email_drain_check.sh - the email outbox end to end against a local SMTP
# sink (python3-aiosmtpd storing a Maildir), on a throwaway database:
#
#   1. N messages queued, one `agentnexus-cron deliver`: every message
#      arrives exactly once (Message-ID = outbox id) and is marked sent;
#      prints messages/s.
#   2. Four deliver processes at once on N more: still exactly once.
#   3. Sink down: deliver fails, counts the attempt, backs off; sink up:
#      nothing is sent before next_attempt_at, then it arrives once.
#   4. max_attempts reached: dead, audited (email_failed), resend brings
#      it back and it arrives.
#   5. A message flagged scrub_after_send: delivered with its code, body
#      redacted in the database afterwards.
#   6. A lease left by a dead worker: claimable again once it runs out.
#   7. One session, three verdicts: accepted; 550 on RCPT, dead at once and
#      audited as approval_email_failed about the evaluation; 451 on RCPT,
#      retried later.
#   8. STARTTLS + AUTH against a TLS 1.3-capable server: an untrusted
#      certificate is refused; a trusted one (SSL_CERT_FILE) and
#      percent-decoded credentials log in once per batch and deliver, two
#      TLS sessions in one process.
#
# usage: tests/tools/email_drain_check.sh BUILD_DIR [N]
# env:   PGHOST (a socket directory, default /tmp/pgt), PGUSER (postgres),
#        ANX_MAIL_PORT (26025)
set -eu

BUILD=${1:?usage: email_drain_check.sh BUILD_DIR [N]}
N=${2:-1000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PGHOST=${PGHOST:-/tmp/pgt}
PGUSER=${PGUSER:-postgres}
PORT=${ANX_MAIL_PORT:-26025}
DB=anx_mailcheck_$$
WORK=$(mktemp -d /tmp/anx-mailcheck.XXXXXX)
MAILDIR=$WORK/mail
SINK_PID=

export DATABASE_URL="postgresql:///$DB?host=$PGHOST&user=$PGUSER"
export SMTP_URL="smtp://127.0.0.1:$PORT"
export MAIL_FROM="AgentNexus <noreply@agentnexus.test>"
export APP_URL=https://anx.example.com
export ANX_TEMPLATE_DIR=$SRC/templates
export ANX_SQL_DIR=$SRC/sql
export LOG_LEVEL=warn

CRON=$BUILD/agentnexus-cron
BENCH=$BUILD/tests/bench_email

q() { psql -X -q -At -h "$PGHOST" -U "$PGUSER" -d "$DB" -c "$1"; }
fail() {
	echo "FAIL: $*" >&2
	tail -5 "$WORK/deliver.log" "$WORK/sink.log" >&2 2>/dev/null || true
	exit 1
}
ok() { echo "ok - $*"; }

sink_start() {
	PYTHONPATH=$WORK /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$PORT" \
		-c "${SINK_HANDLER:-aiosmtpd.handlers.Mailbox}" "$MAILDIR" \
		>>"$WORK/sink.log" 2>&1 &
	SINK_PID=$!
	for _ in $(seq 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),1)" \
			2>/dev/null && return 0
		sleep 0.1
	done
	fail "SMTP sink did not start (see $WORK/sink.log)"
}
sink_stop() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}
cleanup() {
	sink_stop
	psql -X -q -h "$PGHOST" -U "$PGUSER" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
	if [ -n "${ANX_KEEP_WORK:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

# Counts messages per Message-ID in the Maildir and compares with the
# outbox: prints "<delivered> <duplicates> <missing>" for ids in file $1.
tally() {
	python3 - "$MAILDIR" "$1" <<'EOF'
import collections, email, os, sys
maildir, idsfile = sys.argv[1], sys.argv[2]
seen = collections.Counter()
for sub in ("new", "cur"):
    d = os.path.join(maildir, sub)
    if not os.path.isdir(d):
        continue
    for f in os.listdir(d):
        with open(os.path.join(d, f), "rb") as fh:
            m = email.message_from_binary_file(fh)
        seen[m["Message-ID"].strip("<>").split("@")[0]] += 1
want = [l.strip() for l in open(idsfile) if l.strip()]
dups = sum(1 for i in want if seen[i] > 1)
missing = sum(1 for i in want if seen[i] == 0)
print(sum(1 for i in want if seen[i] >= 1), dups, missing)
EOF
}

psql -X -q -h "$PGHOST" -U "$PGUSER" -d postgres -c "CREATE DATABASE $DB" >/dev/null
"$CRON" migrate >/dev/null 2>&1 || fail "migrate"
sink_start

# 1. Throughput, exactly once.
"$BENCH" enqueue "$N" >/dev/null
q "SELECT id FROM email_outbox ORDER BY created_at" >"$WORK/ids1"
start=$(date +%s.%N)
"$CRON" deliver 2>>"$WORK/deliver.log" || fail "deliver exited non-zero"
end=$(date +%s.%N)
set -- $(tally "$WORK/ids1")
[ "$1" = "$N" ] && [ "$2" = 0 ] && [ "$3" = 0 ] || fail "round 1: delivered=$1 dup=$2 missing=$3"
[ "$(q "SELECT count(*) FROM email_outbox WHERE status = 'sent' AND attempts = 1")" = "$N" ] ||
	fail "round 1: not all marked sent after one attempt"
rate=$(python3 -c "print('%.0f' % ($N / ($end - $start)))")
ok "$N messages delivered exactly once by one deliver in $(python3 -c "print('%.2f' % ($end - $start))") s: $rate messages/s"

# 2. Four workers at once.
"$BENCH" enqueue "$N" >/dev/null
q "SELECT id FROM email_outbox WHERE status = 'pending'" >"$WORK/ids2"
start=$(date +%s.%N)
pids=
for i in 1 2 3 4; do
	"$CRON" deliver 2>>"$WORK/deliver.log" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent deliver exited non-zero"; done
end=$(date +%s.%N)
set -- $(tally "$WORK/ids2")
[ "$1" = "$N" ] && [ "$2" = 0 ] && [ "$3" = 0 ] || fail "round 2: delivered=$1 dup=$2 missing=$3"
rate=$(python3 -c "print('%.0f' % ($N / ($end - $start)))")
ok "$N more delivered exactly once by 4 concurrent deliver processes: $rate messages/s"

# 3. Sink down, backoff, sink up.
sink_stop
"$BENCH" enqueue 3 >/dev/null
q "SELECT id FROM email_outbox WHERE status = 'pending'" >"$WORK/ids3"
"$CRON" deliver 2>>"$WORK/deliver.log" || fail "deliver with the sink down exited non-zero"
[ "$(q "SELECT count(*) FROM email_outbox WHERE status = 'pending' AND attempts = 1
	AND last_error IS NOT NULL AND lease_until IS NULL
	AND next_attempt_at > now() AND next_attempt_at <= now() + interval '10 seconds'")" = 3 ] ||
	fail "round 3: failures not recorded with a 1..10 s backoff: $(q "SELECT attempts, last_error, next_attempt_at - now() FROM email_outbox WHERE status = 'pending'")"
ok "sink down: attempt counted, error recorded ($(q "SELECT DISTINCT last_error FROM email_outbox WHERE status = 'pending'")), retry within 10 s"
sink_start
"$CRON" deliver 2>>"$WORK/deliver.log"
if [ "$(q "SELECT count(*) FROM email_outbox WHERE status = 'pending' AND next_attempt_at > now()")" = 3 ]; then
	set -- $(tally "$WORK/ids3")
	[ "$1" = 0 ] || fail "round 3: sent before next_attempt_at"
	ok "sink up: nothing sent before next_attempt_at"
fi
wait_s=$(q "SELECT ceil(greatest(0, extract(epoch FROM max(next_attempt_at) - now())))::int FROM email_outbox WHERE status = 'pending'")
sleep "${wait_s:-0}"
"$CRON" deliver 2>>"$WORK/deliver.log"
set -- $(tally "$WORK/ids3")
[ "$1" = 3 ] && [ "$2" = 0 ] && [ "$3" = 0 ] || fail "round 3: delivered=$1 dup=$2 missing=$3"
[ "$(q "SELECT count(*) FROM email_outbox WHERE status = 'sent' AND attempts = 2")" = 3 ] ||
	fail "round 3: not sent on the second attempt"
ok "after ${wait_s}s: delivered exactly once on attempt 2"

# 4. Dead letter, audit, resend.
sink_stop
"$BENCH" enqueue 1 >/dev/null
id=$(q "SELECT id FROM email_outbox WHERE status = 'pending'")
q "UPDATE email_outbox SET max_attempts = 2 WHERE id = '$id'"
"$CRON" deliver 2>>"$WORK/deliver.log"
q "UPDATE email_outbox SET next_attempt_at = now() WHERE id = '$id'"
"$CRON" deliver 2>>"$WORK/deliver.log"
[ "$(q "SELECT status || ' ' || attempts FROM email_outbox WHERE id = '$id'")" = "dead 2" ] ||
	fail "round 4: not dead after max_attempts: $(q "SELECT status, attempts FROM email_outbox WHERE id = '$id'")"
[ "$(q "SELECT count(*) FROM audit_events WHERE event_type = 'email_failed' AND subject_id = '$id'
	AND data->>'attempts' = '2'")" = 1 ] || fail "round 4: no audit event"
grep -q '"event":"email_dead"' "$WORK/deliver.log" || fail "round 4: no warn log"
ok "dead after max_attempts, audited, logged"
sink_start
echo "$id" >"$WORK/ids4"
"$BENCH" resend "$id" >/dev/null
"$CRON" deliver 2>>"$WORK/deliver.log"
set -- $(tally "$WORK/ids4")
[ "$1" = 1 ] && [ "$2" = 0 ] || fail "round 4: resend delivered=$1 dup=$2"
[ "$(q "SELECT status || ' ' || attempts FROM email_outbox WHERE id = '$id'")" = "sent 1" ] ||
	fail "round 4: resent message not marked sent"
ok "resend: delivered once"

# 5. Scrub after send.
ws=$(q "SELECT id FROM workspaces LIMIT 1")
id=$(q "INSERT INTO email_outbox (workspace_id, kind, to_address, subject, text_body, html_body, scrub_after_send)
	VALUES ('$ws', 'otp', 'approver@example.test', 'Your code', 'Your code is 314159', '<p>314159</p>', true) RETURNING id")
echo "$id" >"$WORK/ids5"
"$CRON" deliver 2>>"$WORK/deliver.log"
set -- $(tally "$WORK/ids5")
[ "$1" = 1 ] || fail "round 5: OTP message not delivered"
grep -rlq "314159" "$MAILDIR/new" || fail "round 5: the code did not reach the mailbox"
[ "$(q "SELECT text_body || '|' || html_body FROM email_outbox WHERE id = '$id'")" = \
	"[redacted after delivery]|[redacted after delivery]" ] || fail "round 5: bodies not scrubbed"
ok "scrub_after_send: delivered, then redacted"

# 6. A lease left behind by a worker that died mid-send.
id=$(q "INSERT INTO email_outbox (kind, to_address, subject, text_body, attempts, lease_until, next_attempt_at)
	VALUES ('generic', 'late@example.test', 'Late', 'x', 1, now() + interval '2 seconds', now() + interval '2 seconds') RETURNING id")
echo "$id" >"$WORK/ids6"
"$CRON" deliver 2>>"$WORK/deliver.log"
set -- $(tally "$WORK/ids6")
[ "$1" = 0 ] || fail "round 6: sent while leased"
sleep 2.2
"$CRON" deliver 2>>"$WORK/deliver.log"
set -- $(tally "$WORK/ids6")
[ "$1" = 1 ] || fail "round 6: not sent after the lease ran out"
ok "expired lease: claimed again and delivered once"

# 7. Per-message verdicts within one session.
sink_stop
cat >"$WORK/picky.py" <<'PY'
from aiosmtpd.handlers import Mailbox

class Picky(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
PY
SINK_HANDLER=picky.Picky sink_start
ws=$(q "SELECT id FROM workspaces LIMIT 1")
ev=$(q "INSERT INTO evaluations (id, workspace_id, created_at, action, reason, decision, status, action_hash)
	VALUES (gen_random_uuid(), '$ws', now(), 'payments.send', 'r', 'approval_required', 'pending', 'h') RETURNING id")
# Evaluations carry their own analytics delta (sql/0011: no insert trigger).
q "INSERT INTO analytics_deltas (workspace_id, day, decision, status, action, matched_rule, n)
	VALUES ('$ws', (now() AT TIME ZONE 'UTC')::date, 'approval_required', 'pending', 'payments.send', '', 1)" >/dev/null
for to in good bounce busy; do
	q "INSERT INTO email_outbox (workspace_id, evaluation_id, kind, to_address, subject, text_body)
		VALUES ('$ws', '$ev', 'approval_request', '$to@example.test', 'Verdict $to', 'x') RETURNING id" >"$WORK/ids7-$to"
done
"$CRON" deliver 2>>"$WORK/deliver.log"
st() { q "SELECT status || ' ' || attempts FROM email_outbox WHERE id = '$(cat "$WORK/ids7-$1")'"; }
[ "$(st good)" = "sent 1" ] || fail "round 7: good: $(st good)"
[ "$(st bounce)" = "dead 1" ] || fail "round 7: bounce: $(st bounce)"
[ "$(st busy)" = "pending 1" ] || fail "round 7: busy: $(st busy)"
set -- $(tally "$WORK/ids7-good")
[ "$1" = 1 ] || fail "round 7: accepted message not in the mailbox"
[ "$(q "SELECT count(*) FROM audit_events WHERE event_type = 'approval_email_failed'
	AND subject_type = 'evaluation' AND subject_id = '$ev'
	AND data->>'error' LIKE 'smtp RCPT 550%'")" = 1 ] || fail "round 7: no approval_email_failed event"
ok "one session, three verdicts: accepted sent; $(q "SELECT last_error FROM email_outbox WHERE id = '$(cat "$WORK/ids7-bounce")'") dead and audited; $(q "SELECT last_error FROM email_outbox WHERE id = '$(cat "$WORK/ids7-busy")'") retried"

# 8. STARTTLS and AUTH: a server with a self-signed certificate for
#    localhost that requires STARTTLS and then AUTH (OpenSSL underneath,
#    so it sends TLS 1.3 session tickets if asked for TLS 1.3). Untrusted,
#    nothing is sent; trusted through SSL_CERT_FILE, the percent-decoded
#    credentials log in over TLS, once per batch.
sink_stop
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
		-days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1
	cat >"$WORK/tls_sink.py" <<'PY'
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

work, port = sys.argv[1], int(sys.argv[2])

def auth(server, session, envelope, mechanism, data):
    ok = (isinstance(data, LoginPassword) and data.login == b"us@er"
          and data.password == b"p:ss w%rd" and session.ssl is not None)
    with open(work + "/auth.log", "a") as f:
        f.write("%s ok=%s tls=%s\n" % (mechanism, ok, session.ssl is not None))
    return AuthResult(success=ok)

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(work + "/cert.pem", work + "/key.pem")
c = Controller(Mailbox(work + "/mail"), hostname="127.0.0.1", port=port, tls_context=ctx,
               require_starttls=True, authenticator=auth, auth_required=True,
               auth_require_tls=True)
c.start()
try:
    time.sleep(300)
finally:
    c.stop()
PY
	/usr/bin/python3 "$WORK/tls_sink.py" "$WORK" "$PORT" >>"$WORK/sink.log" 2>&1 &
	SINK_PID=$!
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" \
			2>/dev/null && break
		sleep 0.1
	done
	"$BENCH" enqueue 150 >/dev/null
	q "SELECT id FROM email_outbox WHERE status = 'pending' AND to_address LIKE 'approver+%'" >"$WORK/ids8"
	export SMTP_URL="smtp://us%40er:p%3Ass%20w%25rd@localhost:$PORT"
	"$CRON" deliver 2>>"$WORK/deliver.log"
	[ "$(q "SELECT count(*) FROM email_outbox WHERE status = 'pending'
		AND last_error = 'tls: invalid server certificate'")" -ge 100 ] ||
		fail "round 8: an untrusted certificate was accepted"
	ok "STARTTLS: an untrusted server certificate is refused"
	q "UPDATE email_outbox SET next_attempt_at = now() WHERE status = 'pending'" >/dev/null
	start=$(date +%s.%N)
	SSL_CERT_FILE=$WORK/cert.pem "$CRON" deliver 2>>"$WORK/deliver.log"
	end=$(date +%s.%N)
	set -- $(tally "$WORK/ids8")
	[ "$1" = 150 ] && [ "$2" = 0 ] || fail "round 8: delivered=$1 dup=$2 over TLS"
	[ "$(grep -c "ok=True tls=True" "$WORK/auth.log")" = 2 ] ||
		fail "round 8: expected two authenticated TLS logins (two batches): $(cat "$WORK/auth.log")"
	ok "STARTTLS (TLS 1.2) + AUTH $(head -1 "$WORK/auth.log" | cut -d' ' -f1) with percent-decoded credentials: 150 delivered once in 2 sessions by one process, $(python3 -c "print('%.0f' % (150 / ($end - $start)))") messages/s"
	export SMTP_URL="smtp://127.0.0.1:$PORT"
	sink_stop
else
	echo "skip - STARTTLS and AUTH (no openssl)"
fi

grep -q 's3cret\|p%3Ass\|smtp://[^"]*:[^"]*@' "$WORK/deliver.log" && fail "a credential reached the log"
echo "all email outbox checks passed"
