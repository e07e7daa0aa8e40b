# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are used by the scripts that source this file.)
# scripts/lib.sh — shared by scripts/run, stop, test, bench and stack. Source it; do
# not run it. Callers use `set -euo pipefail`.
#
# A "stack" is one complete local deployment: a private PostgreSQL 15 cluster, the
# FastCGI pool (spawn-fcgi + multiwatch + agentnexus-fcgi), `agentnexus-cron deliver
# --watch`, an SMTP sink writing a Maildir, and nginx (HTTP + HTTPS). Three stacks
# exist, each under its own directory with its own ports, so they can run side by
# side:
#
#   name   directory   HTTP / HTTPS / SMTP ports (override)                env file
#   dev    var/        8080 / 8443 / 8025  (ANX_HTTP_PORT, ANX_HTTPS_PORT,   var/dev.env
#                                           ANX_SMTP_PORT)
#   test   var/test/   18080/18443/18025   (ANX_TEST_HTTP_PORT, …)          var/test/stack.env
#   bench  var/bench/  28080/28443/28025   (ANX_BENCH_HTTP_PORT, …)         var/bench/stack.env
#
# Inside a stack directory: pg/ (cluster), run/ (pid files, sockets), log/, mail/
# (Maildir), nginx/ (rendered config, temp files), tls/ (self-signed cert),
# state.env (generated secrets and demo keys, kept across runs).
#
# As root, PostgreSQL runs as `postgres` and everything else the stack starts
# (FastCGI workers, cron, SMTP sink, nginx workers) as `www-data` (ANX_APP_USER);
# as any other user, everything runs as that user.

ANX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ANX_PG_BIN=${ANX_PG_BIN:-/usr/lib/postgresql/15/bin}
ANX_DB_NAME=agentnexus
ANX_DB_ROLE=agentnexus

# Configuration variables of DESIGN.md "Configuration" (+ LOG_LEVEL). Whatever the
# caller exports reaches every process a stack starts; the stack fills in the rest.
ANX_CONFIG_VARS=(APP_ENV APP_URL DATABASE_URL SMTP_URL MAIL_FROM APPROVAL_OTP_SECRET
	INTEGRATION_WEBHOOK_HMAC_SECRET CRON_SECRET RATE_LIMIT_PER_API_KEY_PER_MINUTE
	MCP_ALLOWED_ORIGINS COMPLIANCE_EXPORT_ADMIN_ONLY WEBHOOK_URL_POLICY LOG_LEVEL)

# Debian 12 packages. "pkg:cmd" means: skip pkg when cmd is already on PATH (nodejs
# and npm may come from elsewhere, e.g. NodeSource, which conflicts with Debian's npm).
ANX_PKGS_RUN=(build-essential cmake pkg-config git openssl curl ca-certificates
	libfcgi-dev spawn-fcgi multiwatch libpq-dev postgresql postgresql-contrib
	libjson-c-dev libgnutls28-dev libcurl4-gnutls-dev libesmtp-dev nginx-light:nginx
	libargon2-dev libcmark-dev libzip-dev libhpdf-dev libcmocka-dev python3-aiosmtpd)
ANX_PKGS_TEST=(nodejs:node npm:npm clang-format cppcheck valgrind chromium
	fonts-liberation poppler-utils unzip libfcgi-bin:cgi-fcgi)
ANX_PKGS_BENCH=(wrk)

anx_say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
anx_warn() { printf 'warning: %s\n' "$*" >&2; }
anx_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Prints N random bytes as 2N hex characters.
anx_rand_hex() {
	if command -v openssl >/dev/null 2>&1; then
		openssl rand -hex "$1"
	else
		od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
		echo
	fi
}

# ---------------------------------------------------------------------------
# Packages, users, build

# anx_install_packages SPEC... — installs the missing ones; apt-get update only runs
# when something is missing. ANX_SKIP_INSTALL=1 skips the whole step.
anx_install_packages() {
	[ "${ANX_SKIP_INSTALL:-0}" = 1 ] && return 0
	local spec pkg cmd missing=()
	command -v dpkg-query >/dev/null 2>&1 || {
		anx_warn "not a Debian system: install the equivalent of: ${*%%:*}"
		return 0
	}
	for spec in "$@"; do
		pkg=${spec%%:*}
		cmd=
		[[ $spec == *:* ]] && cmd=${spec#*:}
		if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
		if dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii'; then
			continue
		fi
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			anx_die "missing packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
		sudo=(sudo -n)
	fi
	anx_say "installing Debian packages: ${missing[*]}"
	# Keep maintainer scripts from starting the system-wide postgresql/nginx
	# services: this project runs its own instances.
	local policy=/usr/sbin/policy-rc.d added_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null &&
			"${sudo[@]}" chmod 755 "$policy" && added_policy=1
	fi
	local rc=0
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
	if [ $rc = 0 ]; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" || rc=$?
	fi
	[ $added_policy = 1 ] && "${sudo[@]}" rm -f "$policy"
	[ $rc = 0 ] || anx_die "apt-get failed (exit $rc) installing: ${missing[*]}"
}

# Sets ANX_IS_ROOT, ANX_APP_USER, ANX_PG_USER, and the command prefixes ANX_AS_APP /
# ANX_AS_PG (arrays; empty when not root) that run a program as those users while
# keeping the environment.
anx_users() {
	if [ "$(id -u)" = 0 ]; then
		ANX_IS_ROOT=1
		ANX_APP_USER=${ANX_APP_USER:-www-data}
		ANX_PG_USER=postgres
		id "$ANX_APP_USER" >/dev/null 2>&1 || anx_die "user $ANX_APP_USER does not exist"
		id "$ANX_PG_USER" >/dev/null 2>&1 || anx_die "user postgres does not exist (is postgresql installed?)"
		ANX_AS_APP=(setpriv --reuid="$ANX_APP_USER" --regid="$(id -g "$ANX_APP_USER")" --init-groups)
		ANX_AS_PG=(setpriv --reuid="$ANX_PG_USER" --regid="$(id -g "$ANX_PG_USER")" --init-groups
			env HOME="$(getent passwd "$ANX_PG_USER" | cut -d: -f6)")
	else
		ANX_IS_ROOT=0
		ANX_APP_USER=$(id -un)
		ANX_PG_USER=$ANX_APP_USER
		ANX_AS_APP=()
		ANX_AS_PG=()
	fi
}

# Runs a command as the PostgreSQL user from /, a directory it can always enter.
anx_as_pg() { (cd / && "${ANX_AS_PG[@]}" "$@"); }

# anx_build DIR [CMAKE_ARGS...] — configures (quietly unless it fails) and builds;
# returns 1 on failure.
anx_build() {
	local dir=$1 log
	shift
	log=$(mktemp)
	anx_say "building ${dir#"$ANX_ROOT"/} $*"
	if ! cmake -S "$ANX_ROOT" -B "$dir" -Wno-dev "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		anx_warn "cmake configure failed in $dir"
		return 1
	fi
	rm -f "$log"
	cmake --build "$dir" -j "$(nproc)" || { anx_warn "build failed in $dir"; return 1; }
}

# Installs the npm devDependencies (tests) when package-lock.json changed since the
# last install.
anx_npm_deps() {
	local stamp=$ANX_ROOT/node_modules/.anx-lock-sha256 sum
	sum=$(sha256sum "$ANX_ROOT/package-lock.json" | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
	anx_say "npm ci (test dependencies)"
	(cd "$ANX_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || anx_die "npm ci failed"
	echo "$sum" >"$stamp"
}

# As root, makes sure the service users can reach and read the checkout: grants o+x
# on ancestors that lack it (e.g. a clone under /root, mode 700) and o+rX inside the
# directories the app reads. Says what it changed.
anx_grant_access() {
	[ "$ANX_IS_ROOT" = 1 ] || return 0
	local d=$ANX_ROOT
	while [ "$d" != / ]; do
		if [ -z "$(find "$d" -maxdepth 0 -perm -o=x)" ]; then
			chmod o+x "$d"
			anx_say "granted o+x on $d so $ANX_APP_USER and $ANX_PG_USER can reach the checkout"
		fi
		d=$(dirname "$d")
	done
	local sub
	for sub in templates docs static sql; do
		[ -d "$ANX_ROOT/$sub" ] || continue
		if [ -n "$(find "$ANX_ROOT/$sub" \( -type d ! -perm -o=rx \) -o \( -type f ! -perm -o=r \) | head -1)" ]; then
			chmod -R o+rX "$ANX_ROOT/$sub"
			anx_say "granted o+rX under $sub/ so $ANX_APP_USER can read it"
		fi
	done
}

# ---------------------------------------------------------------------------
# Stack layout

# anx_stack_config NAME — sets every ANX_* path and port for stack NAME (dev, test,
# bench) and exports them.
anx_stack_config() {
	ANX_STACK_NAME=$1
	case $1 in
	dev)
		ANX_STACK_DIR=$ANX_ROOT/var
		ANX_HTTP_PORT=${ANX_HTTP_PORT:-8080}
		ANX_HTTPS_PORT=${ANX_HTTPS_PORT:-8443}
		ANX_SMTP_PORT=${ANX_SMTP_PORT:-8025}
		ANX_ENV_FILE=$ANX_STACK_DIR/dev.env
		;;
	test)
		ANX_STACK_DIR=$ANX_ROOT/var/test
		ANX_HTTP_PORT=${ANX_TEST_HTTP_PORT:-18080}
		ANX_HTTPS_PORT=${ANX_TEST_HTTPS_PORT:-18443}
		ANX_SMTP_PORT=${ANX_TEST_SMTP_PORT:-18025}
		ANX_ENV_FILE=$ANX_STACK_DIR/stack.env
		;;
	bench)
		ANX_STACK_DIR=$ANX_ROOT/var/bench
		ANX_HTTP_PORT=${ANX_BENCH_HTTP_PORT:-28080}
		ANX_HTTPS_PORT=${ANX_BENCH_HTTPS_PORT:-28443}
		ANX_SMTP_PORT=${ANX_BENCH_SMTP_PORT:-28025}
		ANX_ENV_FILE=$ANX_STACK_DIR/stack.env
		;;
	*) anx_die "unknown stack '$1' (dev, test or bench)" ;;
	esac
	ANX_SOURCE_DIR=$ANX_ROOT
	ANX_BUILD_DIR=${ANX_BUILD_DIR:-$ANX_ROOT/build}
	ANX_WORKERS=${ANX_WORKERS:-4}
	ANX_LOG_DIR=$ANX_STACK_DIR/log
	ANX_RUN_DIR=$ANX_STACK_DIR/run
	ANX_PG_DATA=$ANX_STACK_DIR/pg
	ANX_MAILDIR=$ANX_STACK_DIR/mail
	ANX_NGINX_DIR=$ANX_STACK_DIR/nginx
	ANX_TLS_DIR=$ANX_STACK_DIR/tls
	ANX_STATE_FILE=$ANX_STACK_DIR/state.env
	ANX_BASE_URL=http://127.0.0.1:$ANX_HTTP_PORT
	ANX_HTTPS_URL=https://127.0.0.1:$ANX_HTTPS_PORT
	# Unix socket paths are limited to 107 bytes: use a short directory in /tmp
	# when the checkout is deep.
	ANX_SOCK_DIR=$ANX_RUN_DIR
	if [ ${#ANX_SOCK_DIR} -gt 80 ]; then
		ANX_SOCK_DIR=/tmp/anx-$(printf '%s' "$ANX_STACK_DIR" | sha256sum | cut -c1-12)
	fi
	ANX_PG_SOCKET_DIR=$ANX_SOCK_DIR/pg
	ANX_FCGI_SOCKET=$ANX_SOCK_DIR/fcgi.sock
	ANX_BENCH_SOCKET=$ANX_SOCK_DIR/bench-hello.sock
	ANX_FCGI_PIDFILE=$ANX_RUN_DIR/fcgi.pid
	ANX_FCGI_LOG=$ANX_LOG_DIR/fcgi.log
	ANX_CRON_LOG=$ANX_LOG_DIR/cron.log
	ANX_NGINX_ACCESS_LOG=$ANX_LOG_DIR/nginx-access.log
	ANX_STACK_CTL=$ANX_ROOT/scripts/stack
	export ANX_STACK_NAME ANX_STACK_DIR ANX_SOURCE_DIR ANX_BUILD_DIR ANX_WORKERS \
		ANX_HTTP_PORT ANX_HTTPS_PORT ANX_SMTP_PORT ANX_BASE_URL ANX_HTTPS_URL \
		ANX_LOG_DIR ANX_MAILDIR
}

# Sets ANX_FCGI_BIN / ANX_CRON_BIN (overridable) from ANX_BUILD_DIR.
anx_binaries() {
	ANX_FCGI_BIN=${ANX_FCGI_BIN:-$ANX_BUILD_DIR/agentnexus-fcgi}
	ANX_CRON_BIN=${ANX_CRON_BIN:-$ANX_BUILD_DIR/agentnexus-cron}
	local b
	for b in "$ANX_FCGI_BIN" "$ANX_CRON_BIN"; do
		[ -x "$b" ] || anx_die "$b is missing: build first (cmake --build ${ANX_BUILD_DIR#"$ANX_ROOT"/})"
	done
	if [ "$ANX_IS_ROOT" = 1 ]; then chmod o+rx "$ANX_FCGI_BIN" "$ANX_CRON_BIN"; fi
}

# Loads an env file written by anx_write_env (ours, trusted) and sets the stack up
# from it, so scripts/stack can act on a running stack.
anx_stack_from_env() {
	[ -f "$1" ] || anx_die "no stack env file $1 (start the stack first)"
	set -a
	# shellcheck disable=SC1090
	. "$1"
	set +a
	anx_stack_config "$ANX_STACK_NAME"
}

# ---------------------------------------------------------------------------
# Processes

# Prints the pid recorded in PIDFILE if that process is alive and its command line
# contains PATTERN (so a stale file whose pid was reused is not trusted).
anx_pid_of() {
	local file=$1 pattern=$2 pid cmd
	[ -f "$file" ] || return 1
	pid=$(tr -dc '0-9' <"$file")
	[ -n "$pid" ] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmd == *"$pattern"* ]] || return 1
	echo "$pid"
}

# Pids of PID's children.
anx_children() {
	local parent=$1 p stat rest
	for p in /proc/[0-9]*; do
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		[ "${2:-}" = "$parent" ] && echo "${p#/proc/}"
	done
	return 0
}

# 0 if PID exists and is not a zombie.
anx_alive() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${stat##*) }
	[ "${rest%% *}" != Z ]
}

# anx_wait_gone SECONDS PID... — waits until none of the pids is alive.
anx_wait_gone() {
	local deadline=$((SECONDS + $1)) p left
	shift
	while :; do
		left=0
		for p in "$@"; do anx_alive "$p" && left=1; done
		[ $left = 0 ] && return 0
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# anx_stop_pid PIDFILE PATTERN LABEL — SIGTERM, then SIGKILL after 15 s; also stops
# the process's children that outlive it (multiwatch's workers).
anx_stop_pid() {
	local file=$1 pattern=$2 label=$3 pid kids
	if ! pid=$(anx_pid_of "$file" "$pattern"); then
		rm -f "$file"
		return 0
	fi
	kids=$(anx_children "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	if ! anx_wait_gone 15 "$pid"; then
		anx_warn "$label (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		anx_wait_gone 5 "$pid" || true
	fi
	local k
	for k in $kids; do
		anx_alive "$k" || continue
		kill -TERM "$k" 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	[ -z "$kids" ] || anx_wait_gone 10 $kids || {
		for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
	}
	rm -f "$file"
}

# Fails if something listens on 127.0.0.1:PORT.
anx_port_free() {
	if (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; then
		anx_die "port $1 is already in use (stack $ANX_STACK_NAME; choose another with the port variables, see README)"
	fi
}

# ---------------------------------------------------------------------------
# State: generated secrets, kept in state.env across runs.

anx_state_load() {
	ANX_PG_PASSWORD='' ANX_DEMO_PASSWORD='' ANX_GEN_CRON_SECRET='' ANX_GEN_OTP_SECRET=''
	ANX_AGENT_KEY='' ANX_ADMIN_KEY='' ANX_WEBHOOK_SECRET=''
	if [ -f "$ANX_STATE_FILE" ]; then
		# shellcheck disable=SC1090
		. "$ANX_STATE_FILE"
	fi
	local changed=0
	[ -n "$ANX_PG_PASSWORD" ] || { ANX_PG_PASSWORD=$(anx_rand_hex 24); changed=1; }
	[ -n "$ANX_DEMO_PASSWORD" ] || { ANX_DEMO_PASSWORD=demo-$(anx_rand_hex 8); changed=1; }
	[ -n "$ANX_GEN_CRON_SECRET" ] || { ANX_GEN_CRON_SECRET=$(anx_rand_hex 32); changed=1; }
	[ -n "$ANX_GEN_OTP_SECRET" ] || { ANX_GEN_OTP_SECRET=$(anx_rand_hex 32); changed=1; }
	[ $changed = 0 ] || anx_state_save
}

anx_state_save() {
	local k
	(
		umask 077
		for k in ANX_PG_PASSWORD ANX_DEMO_PASSWORD ANX_GEN_CRON_SECRET ANX_GEN_OTP_SECRET \
			ANX_AGENT_KEY ANX_ADMIN_KEY ANX_WEBHOOK_SECRET; do
			anx_env_line "$k" "${!k:-}"
		done >"$ANX_STATE_FILE.tmp"
	)
	mv "$ANX_STATE_FILE.tmp" "$ANX_STATE_FILE"
}

# KEY='value' with single quotes escaped: readable by sh, bash and the e2e harness.
anx_env_line() {
	local q="'\\''"
	printf "%s='%s'\n" "$1" "${2//\'/$q}"
}

# Percent-encodes a path for use inside a URL query.
anx_urlencode() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# Exports the configuration every process of the stack sees: the caller's values
# win, except the ones that describe this stack itself (database, ports, paths).
anx_stack_env() {
	export APP_ENV=${APP_ENV:-development}
	DATABASE_URL="postgresql://$ANX_DB_ROLE:$ANX_PG_PASSWORD@/$ANX_DB_NAME?host=$(anx_urlencode "$ANX_PG_SOCKET_DIR")"
	export DATABASE_URL
	if [ "$ANX_STACK_NAME" = dev ]; then
		export APP_URL=${APP_URL:-$ANX_BASE_URL}
		export SMTP_URL=${SMTP_URL:-smtp://127.0.0.1:$ANX_SMTP_PORT}
	else
		# Tests follow emailed links and read the sink: always this stack's.
		export APP_URL=$ANX_BASE_URL
		export SMTP_URL=smtp://127.0.0.1:$ANX_SMTP_PORT
	fi
	export MAIL_FROM=${MAIL_FROM:-noreply@example.test}
	export CRON_SECRET=${CRON_SECRET:-$ANX_GEN_CRON_SECRET}
	export APPROVAL_OTP_SECRET=${APPROVAL_OTP_SECRET:-$ANX_GEN_OTP_SECRET}
	export LOG_LEVEL=${LOG_LEVEL:-info}
	export ANX_TEMPLATE_DIR=$ANX_ROOT/templates
	export ANX_DOCS_DIR=$ANX_ROOT/docs
	export ANX_SQL_DIR=$ANX_ROOT/sql
	export ANX_STATIC_DIR=$ANX_ROOT/static
	# nginx limit_req (see nginx/dev.conf.in). The test stack is generous so that
	# suites are never throttled by accident; a rate-limit test uses its own key.
	local key_rate=600 ip_rate=1200 key_burst=100 ip_burst=200 login_rate=30 login_burst=10
	case $ANX_STACK_NAME in
	test) key_rate=6000 ip_rate=12000 key_burst=500 ip_burst=1000 login_rate=6000 login_burst=1000 ;;
	bench) key_rate=1000000 ip_rate=6000000 key_burst=100000 ip_burst=100000 login_rate=6000000 login_burst=100000 ;;
	esac
	export RATE_LIMIT_PER_API_KEY_PER_MINUTE=${RATE_LIMIT_PER_API_KEY_PER_MINUTE:-$key_rate}
	export ANX_RATE_LIMIT_PER_IP_PER_MINUTE=${ANX_RATE_LIMIT_PER_IP_PER_MINUTE:-$ip_rate}
	export ANX_RATE_LIMIT_KEY_BURST=${ANX_RATE_LIMIT_KEY_BURST:-$key_burst}
	export ANX_RATE_LIMIT_IP_BURST=${ANX_RATE_LIMIT_IP_BURST:-$ip_burst}
	export ANX_RATE_LIMIT_LOGIN_PER_MINUTE=${ANX_RATE_LIMIT_LOGIN_PER_MINUTE:-$login_rate}
	export ANX_RATE_LIMIT_LOGIN_BURST=${ANX_RATE_LIMIT_LOGIN_BURST:-$login_burst}
}

# Writes the stack's env file (shell syntax; var/dev.env for dev, stack.env else).
anx_write_env() {
	local k psql_admin
	psql_admin="$ANX_PG_BIN/psql -X -h $ANX_PG_SOCKET_DIR -U $ANX_PG_USER -d $ANX_DB_NAME"
	[ "$ANX_IS_ROOT" = 1 ] && psql_admin="${ANX_AS_PG[*]} $psql_admin"
	ANX_PSQL="psql -X -v ON_ERROR_STOP=1 -d $DATABASE_URL"
	ANX_PSQL_ADMIN=$psql_admin
	ANX_OWNER_EMAIL=owner@example.test
	ANX_DEMO_USERS="owner@example.test manager@example.test finance1@example.test finance2@example.test"
	ANX_CHROMIUM=$(command -v chromium || true)
	(
		umask 077
		exec >"$ANX_ENV_FILE.tmp"
		echo "# Written by scripts/lib.sh for the '$ANX_STACK_NAME' stack on $(date -u +%FT%TZ). Shell syntax:"
		echo "#   set -a; . ${ANX_ENV_FILE#"$ANX_ROOT"/}; set +a"
		for k in ANX_BASE_URL ANX_HTTPS_URL ANX_AGENT_KEY ANX_ADMIN_KEY ANX_OWNER_EMAIL \
			ANX_DEMO_PASSWORD ANX_DEMO_USERS ANX_WEBHOOK_SECRET ANX_MAILDIR "${ANX_CONFIG_VARS[@]}" \
			ANX_STACK_NAME ANX_STACK_DIR ANX_SOURCE_DIR ANX_BUILD_DIR ANX_HTTP_PORT ANX_HTTPS_PORT \
			ANX_SMTP_PORT ANX_WORKERS ANX_LOG_DIR ANX_FCGI_LOG ANX_CRON_LOG ANX_NGINX_ACCESS_LOG \
			ANX_RUN_DIR ANX_FCGI_PIDFILE ANX_FCGI_SOCKET ANX_FCGI_BIN ANX_CRON_BIN ANX_PG_DATA \
			ANX_PG_SOCKET_DIR ANX_PSQL ANX_PSQL_ADMIN ANX_STACK_CTL ANX_CHROMIUM \
			ANX_TEMPLATE_DIR ANX_DOCS_DIR ANX_SQL_DIR ANX_STATIC_DIR ANX_RATE_LIMIT_PER_IP_PER_MINUTE \
			ANX_RATE_LIMIT_KEY_BURST ANX_RATE_LIMIT_IP_BURST ANX_RATE_LIMIT_LOGIN_PER_MINUTE \
			ANX_RATE_LIMIT_LOGIN_BURST ANX_SANITIZE ANX_ASAN_DIR; do
			if [ -n "${!k+x}" ]; then anx_env_line "$k" "${!k}"; fi
		done
	)
	mv "$ANX_ENV_FILE.tmp" "$ANX_ENV_FILE"
}

# ---------------------------------------------------------------------------
# Components

# Creates the stack's directories with owners that let each service write where it
# must and nowhere else.
anx_stack_dirs() {
	local d
	for d in "$ANX_STACK_DIR" "$ANX_RUN_DIR" "$ANX_LOG_DIR" "$ANX_NGINX_DIR" "$ANX_NGINX_DIR/tmp" "$ANX_SOCK_DIR"; do
		mkdir -p "$d"
		chmod 0755 "$d"
	done
	mkdir -p "$ANX_TLS_DIR" "$ANX_PG_SOCKET_DIR" "$ANX_MAILDIR"/{tmp,new,cur}
	chmod 0700 "$ANX_TLS_DIR"
	chmod 0755 "$ANX_PG_SOCKET_DIR"
	local f
	for f in fcgi.log cron.log postgres.log; do touch "$ANX_LOG_DIR/$f"; done
	if [ "$ANX_IS_ROOT" = 1 ]; then
		chown "$ANX_PG_USER:" "$ANX_PG_SOCKET_DIR" "$ANX_LOG_DIR/postgres.log"
		chown -R "$ANX_APP_USER:" "$ANX_MAILDIR"
		chown "$ANX_APP_USER:" "$ANX_LOG_DIR/fcgi.log" "$ANX_LOG_DIR/cron.log"
	fi
}

# Self-signed certificate for 127.0.0.1 / localhost, made once.
anx_tls_ensure() {
	[ -s "$ANX_TLS_DIR/cert.pem" ] && [ -s "$ANX_TLS_DIR/key.pem" ] && return 0
	anx_say "making a self-signed TLS certificate in ${ANX_TLS_DIR#"$ANX_ROOT"/}/"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
		-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$ANX_TLS_DIR/key.pem" -out "$ANX_TLS_DIR/cert.pem" >/dev/null 2>&1 ||
		anx_die "openssl could not make a certificate"
	chmod 0600 "$ANX_TLS_DIR/key.pem"
}

anx_pg_running() {
	[ -f "$ANX_PG_DATA/PG_VERSION" ] && anx_as_pg "$ANX_PG_BIN/pg_ctl" -D "$ANX_PG_DATA" status >/dev/null 2>&1
}

# initdb (first run only), then pg_hba.conf and the runtime settings.
anx_pg_init() {
	if [ ! -f "$ANX_PG_DATA/PG_VERSION" ]; then
		anx_say "initdb ${ANX_PG_DATA#"$ANX_ROOT"/}"
		rm -rf "$ANX_PG_DATA"
		mkdir -m 0700 "$ANX_PG_DATA"
		[ "$ANX_IS_ROOT" = 1 ] && chown "$ANX_PG_USER:" "$ANX_PG_DATA"
		anx_as_pg "$ANX_PG_BIN/initdb" -D "$ANX_PG_DATA" -U "$ANX_PG_USER" -E UTF8 --no-locale \
			--auth-local=peer --auth-host=reject >"$ANX_LOG_DIR/initdb.log" 2>&1 ||
			{ cat "$ANX_LOG_DIR/initdb.log" >&2; anx_die "initdb failed"; }
		cat >>"$ANX_PG_DATA/postgresql.conf" <<-'EOF'

			# --- AgentNexus local stack (scripts/lib.sh) ---
			listen_addresses = ''
			unix_socket_permissions = 0777
			password_encryption = 'scram-sha-256'
			max_connections = 100
			shared_buffers = 128MB
			timezone = 'UTC'
			log_timezone = 'UTC'
			log_line_prefix = '%m [%p] %q%u@%d '
			log_min_duration_statement = 1000
			include_if_exists = 'anx-runtime.conf'
		EOF
	fi
	# Only local (unix socket) connections: the superuser by peer, the rest by SCRAM.
	printf 'local all %s peer\nlocal all all scram-sha-256\n' "$ANX_PG_USER" >"$ANX_PG_DATA/pg_hba.conf"
	# The socket directory is absolute, so it is written on every start (the
	# checkout may have moved).
	printf "unix_socket_directories = '%s'\n" "$ANX_PG_SOCKET_DIR" >"$ANX_PG_DATA/anx-runtime.conf"
	[ "$ANX_IS_ROOT" = 1 ] && chown "$ANX_PG_USER:" "$ANX_PG_DATA/pg_hba.conf" "$ANX_PG_DATA/anx-runtime.conf"
	return 0
}

anx_pg_start() {
	anx_pg_running && return 0
	anx_as_pg "$ANX_PG_BIN/pg_ctl" -D "$ANX_PG_DATA" -l "$ANX_LOG_DIR/postgres.log" -w -t 60 start >/dev/null ||
		{ tail -n 20 "$ANX_LOG_DIR/postgres.log" >&2; anx_die "PostgreSQL did not start"; }
}

anx_pg_stop() {
	anx_pg_running || return 0
	anx_as_pg "$ANX_PG_BIN/pg_ctl" -D "$ANX_PG_DATA" -m fast -w -t 60 stop >/dev/null ||
		anx_warn "pg_ctl stop failed"
}

anx_psql_admin() {
	anx_as_pg "$ANX_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$ANX_PG_SOCKET_DIR" -U "$ANX_PG_USER" "$@"
}

# The login role (password from state.env; reset every start, so a lost state file
# heals) and its database.
anx_db_ensure() {
	anx_psql_admin -d postgres >/dev/null <<-EOF
		SELECT 'CREATE ROLE $ANX_DB_ROLE LOGIN' WHERE NOT EXISTS
		  (SELECT 1 FROM pg_roles WHERE rolname = '$ANX_DB_ROLE') \gexec
		ALTER ROLE $ANX_DB_ROLE WITH LOGIN PASSWORD '$ANX_PG_PASSWORD';
		SELECT 'CREATE DATABASE $ANX_DB_NAME OWNER $ANX_DB_ROLE' WHERE NOT EXISTS
		  (SELECT 1 FROM pg_database WHERE datname = '$ANX_DB_NAME') \gexec
	EOF
}

# Runs an agentnexus-cron subcommand as the app user, logging to cron.log.
anx_cron() {
	ANX_LOG_FILE=$ANX_CRON_LOG "${ANX_AS_APP[@]}" "$ANX_CRON_BIN" "$@"
}

anx_migrate() {
	anx_cron migrate >>"$ANX_LOG_DIR/cron.stderr.log" 2>&1 ||
		{ tail -n 20 "$ANX_LOG_DIR/cron.stderr.log" "$ANX_CRON_LOG" >&2; anx_die "agentnexus-cron migrate failed"; }
}

# First run: creates the Demo workspace and records the keys it prints. Later runs:
# seed-demo prints nothing and the keys already in state.env stay.
anx_seed() {
	local out line k v
	out=$(anx_cron seed-demo --password "$ANX_DEMO_PASSWORD" 2>>"$ANX_LOG_DIR/cron.stderr.log") ||
		{ tail -n 20 "$ANX_LOG_DIR/cron.stderr.log" >&2; anx_die "agentnexus-cron seed-demo failed"; }
	while IFS= read -r line; do
		case $line in
		ANX_AGENT_KEY=* | ANX_ADMIN_KEY=* | ANX_WEBHOOK_SECRET=*)
			k=${line%%=*}
			v=${line#*=}
			v=${v#[\"\']}
			v=${v%[\"\']}
			printf -v "$k" '%s' "$v"
			;;
		esac
	done <<<"$out"
	if [ -n "$out" ]; then
		anx_say "seeded the Demo workspace"
		anx_state_save
	elif [ -z "$ANX_AGENT_KEY" ]; then
		anx_warn "the Demo workspace exists but its keys are not in ${ANX_STATE_FILE#"$ANX_ROOT"/}; to reseed: scripts/stop && rm -rf ${ANX_STACK_DIR#"$ANX_ROOT"/}/pg && scripts/run"
	fi
}

anx_smtp_start() {
	anx_port_free "$ANX_SMTP_PORT"
	# The sink accepts an absent or complete Maildir; anx_stack_dirs made it complete.
	setsid "${ANX_AS_APP[@]}" /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$ANX_SMTP_PORT" \
		-c aiosmtpd.handlers.Mailbox "$ANX_MAILDIR" </dev/null >>"$ANX_LOG_DIR/smtp.log" 2>&1 &
	echo $! >"$ANX_RUN_DIR/smtp.pid"
}

anx_cron_start() {
	ANX_LOG_FILE=$ANX_CRON_LOG setsid "${ANX_AS_APP[@]}" "$ANX_CRON_BIN" deliver --watch \
		</dev/null >>"$ANX_LOG_DIR/cron.stderr.log" 2>&1 &
	echo $! >"$ANX_RUN_DIR/cron.pid"
}

# anx_pool_start NAME SOCKET BINARY — spawn-fcgi creates the socket (group-writable,
# owned by the app user), drops to the app user and execs multiwatch, which keeps
# ANX_WORKERS copies of BINARY alive. -n keeps spawn-fcgi in the foreground so its
# pid is multiwatch's and the workers' stderr reaches log/NAME.stderr.log.
anx_pool_start() {
	local name=$1 sock=$2 bin=$3 own=()
	[ "$ANX_IS_ROOT" = 1 ] && own=(-U "$ANX_APP_USER" -G "$ANX_APP_USER" -u "$ANX_APP_USER" -g "$ANX_APP_USER")
	ANX_LOG_FILE=$ANX_FCGI_LOG setsid spawn-fcgi -n -s "$sock" -M 0660 "${own[@]}" -d "$ANX_ROOT" -- \
		"$(command -v multiwatch)" -f "$ANX_WORKERS" -- "$bin" </dev/null >>"$ANX_LOG_DIR/$name.stderr.log" 2>&1 &
	echo $! >"$ANX_RUN_DIR/$name.pid"
}

# anx_render_template IN OUT — replaces @ANX_…@ / @RATE_…@ with the variable's value
# (an unset variable is an error) and keeps #@BENCH_BEGIN@…#@BENCH_END@ blocks only
# when ANX_BENCH=1.
anx_render_template() {
	local in=$1 out=$2 line name skip=0
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'#@BENCH_BEGIN@') [ "${ANX_BENCH:-0}" = 1 ] || skip=1; continue ;;
		'#@BENCH_END@') skip=0; continue ;;
		esac
		[ $skip = 1 ] && continue
		while [[ $line =~ @((ANX|RATE)_[A-Z0-9_]*)@ ]]; do
			name=${BASH_REMATCH[1]}
			[ -n "${!name+x}" ] || anx_die "$in: no value for @$name@"
			line=${line//@"$name"@/${!name}}
		done
		printf '%s\n' "$line"
	done <"$in" >"$out.tmp"
	mv "$out.tmp" "$out"
}

anx_nginx_start() {
	anx_port_free "$ANX_HTTP_PORT"
	anx_port_free "$ANX_HTTPS_PORT"
	ANX_NGINX_USER_LINE=
	[ "$ANX_IS_ROOT" = 1 ] && ANX_NGINX_USER_LINE="user $ANX_APP_USER;"
	ANX_NGINX_WORKERS=${ANX_NGINX_WORKERS:-$(nproc)}
	# Upstream keep-alive is off unless ANX_FCGI_KEEPALIVE=1: measured here it did not
	# raise throughput and made p99 several times worse (a kept connection pins its
	# worker). When on, idle connections stay below the FastCGI worker count (see
	# the upstream block in nginx/dev.conf.in).
	local keep=$(((ANX_WORKERS - 1) / ANX_NGINX_WORKERS))
	if [ "${ANX_FCGI_KEEPALIVE:-0}" = 1 ] && [ $keep -gt 0 ]; then
		ANX_FCGI_KEEPALIVE_LINE="keepalive $keep;"
		ANX_FCGI_KEEP_CONN=on
	else
		ANX_FCGI_KEEPALIVE_LINE="# no upstream keep-alive (ANX_FCGI_KEEPALIVE=1 turns it on)"
		ANX_FCGI_KEEP_CONN=off
	fi
	ANX_HSTS_MAX_AGE=${ANX_HSTS_MAX_AGE:-0}
	ANX_NGINX_ACCESS_LOG_BUFFER=
	[ "$ANX_STACK_NAME" = bench ] && ANX_NGINX_ACCESS_LOG_BUFFER="buffer=256k flush=2s"
	anx_render_template "$ANX_ROOT/nginx/dev.conf.in" "$ANX_NGINX_DIR/nginx.conf"
	local ngx args=(-p "$ANX_NGINX_DIR/" -c "$ANX_NGINX_DIR/nginx.conf" -e "$ANX_LOG_DIR/nginx-error.log")
	ngx=$(command -v nginx || echo /usr/sbin/nginx)
	"$ngx" -t -q "${args[@]}" || anx_die "nginx rejected ${ANX_NGINX_DIR#"$ANX_ROOT"/}/nginx.conf"
	"$ngx" "${args[@]}" || anx_die "nginx did not start (see ${ANX_LOG_DIR#"$ANX_ROOT"/}/nginx-error.log)"
	# The daemonised master writes its pid file a moment after the parent returns.
	local i
	for i in $(seq 50); do
		anx_pid_of "$ANX_RUN_DIR/nginx.pid" "$ANX_NGINX_DIR" >/dev/null && return 0
		sleep 0.1
	done
	anx_die "nginx did not write ${ANX_RUN_DIR#"$ANX_ROOT"/}/nginx.pid"
}

# name|pid file|command-line pattern of every long-running component.
anx_components() {
	printf '%s\n' "nginx|$ANX_RUN_DIR/nginx.pid|$ANX_NGINX_DIR" \
		"fcgi|$ANX_RUN_DIR/fcgi.pid|multiwatch" \
		"cron|$ANX_RUN_DIR/cron.pid|deliver" \
		"smtp|$ANX_RUN_DIR/smtp.pid|aiosmtpd"
	[ "${ANX_BENCH:-0}" = 1 ] && echo "bench-hello|$ANX_RUN_DIR/bench-hello.pid|multiwatch"
	return 0
}

# Prints the components that are down (logs' last lines too); fails if any is.
anx_check_alive() {
	local name file pattern down=0 log
	while IFS='|' read -r name file pattern; do
		anx_pid_of "$file" "$pattern" >/dev/null && continue
		down=1
		anx_warn "$name is not running"
		for log in "$ANX_LOG_DIR/$name.stderr.log" "$ANX_LOG_DIR/$name.log"; do
			[ -s "$log" ] && tail -n 15 "$log" | sed "s|^|  $name: |" >&2
		done
		[ "$name" = nginx ] && [ -s "$ANX_LOG_DIR/nginx-error.log" ] &&
			tail -n 15 "$ANX_LOG_DIR/nginx-error.log" | sed 's|^|  nginx: |' >&2
	done < <(anx_components)
	anx_pg_running || { down=1; anx_warn "postgresql is not running"; }
	return $down
}

# Polls /api/health?deep=1 until 200 (ANX_START_TIMEOUT seconds, default 90).
anx_wait_healthy() {
	local deadline=$((SECONDS + ${ANX_START_TIMEOUT:-90})) code=
	while :; do
		code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$ANX_BASE_URL/api/health?deep=1" || true)
		[ "$code" = 200 ] && return 0
		anx_check_alive || return 1
		if [ $SECONDS -ge $deadline ]; then
			anx_warn "$ANX_BASE_URL/api/health?deep=1 still answers '$code' after ${ANX_START_TIMEOUT:-90} s"
			tail -n 5 "$ANX_LOG_DIR/nginx-error.log" "$ANX_FCGI_LOG" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.25
	done
}

anx_stack_running() {
	anx_pid_of "$ANX_RUN_DIR/nginx.pid" "$ANX_NGINX_DIR" >/dev/null
}

# Starts the whole stack and waits until it is healthy. Reuses the cluster, the
# certificate and state.env when present.
anx_stack_start() {
	anx_binaries
	anx_grant_access
	anx_stack_dirs
	anx_state_load
	anx_stack_env
	anx_tls_ensure
	anx_pg_init
	anx_say "starting the '$ANX_STACK_NAME' stack: PostgreSQL"
	anx_pg_start
	anx_db_ensure
	anx_migrate
	anx_seed
	anx_say "starting the SMTP sink, cron deliver, $ANX_WORKERS FastCGI workers, nginx"
	anx_smtp_start
	anx_cron_start
	anx_pool_start fcgi "$ANX_FCGI_SOCKET" "$ANX_FCGI_BIN"
	if [ "${ANX_BENCH:-0}" = 1 ]; then
		local hello
		hello=$(anx_bench_hello_bin)
		anx_pool_start bench-hello "$ANX_BENCH_SOCKET" "$hello"
	fi
	# Give spawn-fcgi a moment to create the sockets before nginx connects.
	local i
	for i in $(seq 50); do
		[ -S "$ANX_FCGI_SOCKET" ] && break
		sleep 0.1
	done
	anx_nginx_start
	anx_write_env
	anx_wait_healthy || anx_die "the '$ANX_STACK_NAME' stack did not become healthy (logs: ${ANX_LOG_DIR#"$ANX_ROOT"/}/)"
	# A component that dies right after starting (e.g. cron) shows up here.
	sleep 0.3
	anx_check_alive || anx_die "a component of the '$ANX_STACK_NAME' stack died (logs: ${ANX_LOG_DIR#"$ANX_ROOT"/}/)"
}

anx_bench_hello_bin() {
	local b
	if [ -n "${ANX_BENCH_HELLO_BIN:-}" ]; then echo "$ANX_BENCH_HELLO_BIN"; return 0; fi
	for b in "$ANX_BUILD_DIR/tests/bench_hello_fcgi" "$ANX_BUILD_DIR/bench_hello_fcgi"; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	anx_die "bench_hello_fcgi is not built (expected in ${ANX_BUILD_DIR#"$ANX_ROOT"/}/tests/)"
}

# Stops everything of the stack, in reverse order; safe on a stack that is partly
# or not at all running, and on stale pid files.
anx_stack_stop() {
	anx_stop_pid "$ANX_RUN_DIR/nginx.pid" "$ANX_NGINX_DIR" nginx
	anx_stop_pid "$ANX_RUN_DIR/bench-hello.pid" multiwatch bench-hello
	anx_stop_pid "$ANX_RUN_DIR/fcgi.pid" multiwatch "FastCGI pool"
	anx_stop_pid "$ANX_RUN_DIR/cron.pid" deliver "cron deliver"
	anx_stop_pid "$ANX_RUN_DIR/smtp.pid" aiosmtpd "SMTP sink"
	[ -d "$ANX_PG_DATA" ] && anx_pg_stop
	rm -f "$ANX_FCGI_SOCKET" "$ANX_BENCH_SOCKET"
	return 0
}

anx_stack_status() {
	local name file pattern pid
	while IFS='|' read -r name file pattern; do
		if pid=$(anx_pid_of "$file" "$pattern"); then
			printf '%-12s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-12s stopped\n' "$name"
		fi
	done < <(ANX_BENCH=1 anx_components)
	if anx_pg_running; then printf '%-12s running\n' postgresql; else printf '%-12s stopped\n' postgresql; fi
}

# anx_check_production_nginx DIR — `nginx -t` on nginx/production.conf with its
# host-specific paths (certificate, logs, install dir, socket) pointed into DIR, so
# the example cannot rot unnoticed.
anx_check_production_nginx() {
	local dir=$1 ngx
	rm -rf "$dir"
	mkdir -p "$dir/logs" "$dir/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=agentnexus.example.com -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
	sed -e "s|/etc/letsencrypt/live/agentnexus.example.com/fullchain.pem|$dir/cert.pem|" \
		-e "s|/etc/letsencrypt/live/agentnexus.example.com/privkey.pem|$dir/key.pem|" \
		-e "s|/var/log/nginx/|$dir/logs/|g" -e "s|/srv/agentnexus|$ANX_ROOT|g" \
		-e "s|/run/agentnexus/fcgi.sock|$dir/fcgi.sock|" "$ANX_ROOT/nginx/production.conf" >"$dir/site.conf"
	cat >"$dir/nginx.conf" <<-CONF
		pid $dir/nginx.pid;
		error_log $dir/logs/error.log;
		events { }
		http {
			include /etc/nginx/mime.types;
			client_body_temp_path $dir/tmp/client_body;
			fastcgi_temp_path $dir/tmp/fastcgi;
			proxy_temp_path $dir/tmp/proxy;
			uwsgi_temp_path $dir/tmp/uwsgi;
			scgi_temp_path $dir/tmp/scgi;
			include $dir/site.conf;
		}
	CONF
	ngx=$(command -v nginx || echo /usr/sbin/nginx)
	"$ngx" -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
}

# anx_read_env_file FILE ARRAY — parses KEY=value lines (.env.example / systemd
# EnvironmentFile style: optional "export ", '…' or "…" quoting, " #" comments after
# unquoted values) into the associative array named ARRAY. Never executes the file.
anx_read_env_file() {
	local file=$1 line k v
	local -n _anx_out=$2
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
		k=${BASH_REMATCH[2]}
		v=${BASH_REMATCH[3]}
		if [[ $v =~ ^\'(.*)\'[[:space:]]*$ ]] || [[ $v =~ ^\"(.*)\"[[:space:]]*$ ]]; then
			v=${BASH_REMATCH[1]}
		else
			v=${v%%[[:space:]]#*}
			v=${v%"${v##*[![:space:]]}"}
		fi
		# shellcheck disable=SC2004
		_anx_out[$k]=$v
	done <"$file"
}

# anx_lock NAME — one scripts/NAME (test, bench) at a time per checkout: runs share
# var/NAME/. Waits while another holds it. A directory holding the owner's pid, not
# flock(1): a descriptor would be inherited by the services a run starts and outlive
# it. A lock whose owner is gone is taken over. anx_unlock releases it (on exit).
anx_lock() {
	local dir=$ANX_ROOT/var/.$1.lockdir pid said=0
	mkdir -p "$ANX_ROOT/var"
	while ! mkdir "$dir" 2>/dev/null; do
		pid=$(cat "$dir/pid" 2>/dev/null || true)
		if [ -n "$pid" ] && ! { anx_alive "$pid" && grep -q "scripts/$1" "/proc/$pid/cmdline" 2>/dev/null; }; then
			rm -rf "$dir" # its owner died
			continue
		fi
		if [ -z "$pid" ] && [ -n "$(find "$dir" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then
			rm -rf "$dir" # created but never owned
			continue
		fi
		[ $said = 1 ] || anx_say "another scripts/$1 (pid ${pid:-?}) is running in this checkout: waiting for it"
		said=1
		sleep 1
	done
	echo $$ >"$dir/pid"
	ANX_LOCK_DIR=$dir
}

anx_unlock() {
	if [ -n "${ANX_LOCK_DIR:-}" ] && [ "$(cat "$ANX_LOCK_DIR/pid" 2>/dev/null)" = "$$" ]; then
		rm -rf "$ANX_LOCK_DIR"
	fi
	ANX_LOCK_DIR=
}
