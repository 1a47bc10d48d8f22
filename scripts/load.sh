#!/usr/bin/env bash
# Load test: server CPU per request with and without tollgate's AuthLayer.
#
#   bash scripts/load.sh
#
# Builds benches/load/target.rs (the example target `load_target`) in release mode and starts it
# (one trivial handler served on /open without authentication and on /authed behind AuthLayer,
# an embedded development issuer, RS256 tokens). For each worker-thread count it loads it on loopback with wrk, one scenario at a
# time, and reads the server process's CPU time (utime + stime from /proc/<pid>/stat) before and
# after each run: CPU per request, not latency, is what the layer costs a service. It prints one
# markdown table per worker count. It is a measurement, not a test: nothing is asserted, and it
# is not part of .ci/run.
#
# Scenarios: /open (the baseline; it is sent the warm token too, which it ignores, so that the
# baseline reads the same request bytes as the authenticated rows and the difference is the
# layer's work, not the ~1 KiB header's); /authed with one token reused on every request (warm path);
# /authed cycling round robin over DISTINCT_TOKENS distinct valid tokens (cold path: a miss in
# the verified-token cache as long as DISTINCT_TOKENS is well above its per-thread capacity);
# /authed with a garbage token; /authed with no token.
#
# The server is pinned to SERVER_CPUS and the load generator to LOADGEN_CPUS with taskset (when
# it exists), so that on a 2-core machine the two do not compete for one core. With the server
# pinned to one CPU, WORKERS=2 shows the cost of two threads sharing a core, not throughput
# scaling; set SERVER_CPUS=0,1 (and accept the competition) to see the latter. Requests/s also
# depends on how much of its core the server gets when other processes want it too; CPU per
# request much less so, which makes it the figure to compare.
#
# Environment (defaults in brackets):
#   DURATION [10]            seconds of load per scenario and round
#   ROUNDS [1]               rounds over all scenarios; the table shows medians over rounds
#   WARMUP [2]               seconds of unmeasured load after each server start
#   CONNECTIONS [32]         concurrent keep-alive connections
#   LOADGEN_THREADS [1]      wrk threads
#   WORKERS_LIST ["1 2"]     tokio worker counts to run, one server start each
#   DISTINCT_TOKENS [10000]  tokens for the cold path
#   SERVER_CPUS [0]          taskset CPU list for the server ("" to not pin)
#   LOADGEN_CPUS [1]         taskset CPU list for the load generator ("" to not pin)
#   TOLLGATE_TOKEN_CACHE     passed to the server: verified-token cache capacity (0 disables)
#   LOADGEN [auto]           wrk or oha; auto prefers wrk, installing it with apt-get when
#                            root, else builds oha into .tools/ (oha cannot run the cold path)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-32}
LOADGEN_THREADS=${LOADGEN_THREADS:-1}
WORKERS_LIST=${WORKERS_LIST:-"1 2"}
DISTINCT_TOKENS=${DISTINCT_TOKENS:-10000}
SERVER_CPUS=${SERVER_CPUS-0}
LOADGEN_CPUS=${LOADGEN_CPUS-1}
LOADGEN=${LOADGEN:-auto}

say() { echo "load.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# --- the load generator -------------------------------------------------------------------------

find_loadgen() {
    if [[ $LOADGEN == auto || $LOADGEN == wrk ]]; then
        if command -v wrk >/dev/null; then
            LOADGEN=wrk
            return
        fi
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            say "installing wrk with apt-get"
            if apt-get install -y wrk >/dev/null 2>&1 ||
                { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; }; then
                LOADGEN=wrk
                return
            fi
            say "apt-get could not install wrk"
        fi
        [[ $LOADGEN == wrk ]] && die "wrk is not installed (apt-get install wrk)"
    fi
    if [[ -x .tools/bin/oha ]] || command -v oha >/dev/null; then
        LOADGEN=oha
    else
        say "building oha into .tools/ (cargo install oha --root .tools)"
        cargo install oha --locked --root .tools || die "could not install wrk or oha"
        LOADGEN=oha
    fi
    OHA=$(command -v .tools/bin/oha || command -v oha)
}

# run_load SECONDS URL [token|@cold]: runs the load generator, sets REQUESTS, ELAPSED, NON_2XX
# and ERRORS from its report.
run_load() {
    local seconds=$1 url=$2 auth=${3:-} out
    out=$tmp/loadgen.out
    if [[ $LOADGEN == wrk ]]; then
        local args=(-t"$LOADGEN_THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s)
        if [[ $auth == @cold ]]; then
            args+=(-s scripts/load_cold.lua)
        elif [[ -n $auth ]]; then
            args+=(-H "Authorization: Bearer $auth")
        fi
        TOKENS_FILE=$tmp/tokens $loadgen_pin wrk "${args[@]}" "$url" >"$out" 2>&1 ||
            die "wrk failed: $(cat "$out")"
        # "123456 requests in 10.00s, 12.34MB read" (wrk prints minutes as 1.00m)
        read -r REQUESTS ELAPSED < <(awk '/requests in/ {
            t = $4; sub(/,$/, "", t); f = 1
            if (t ~ /ms$/) f = 0.001; else if (t ~ /m$/) f = 60; else if (t ~ /h$/) f = 3600
            sub(/[a-z]+$/, "", t); print $1, t * f }' "$out") || true
        NON_2XX=$(awk -F': ' '/Non-2xx or 3xx responses/ { print $2 }' "$out")
        ERRORS=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
    else
        [[ $auth == @cold ]] && die "internal: oha cannot run the cold path"
        local args=(-z "${seconds}s" -c "$CONNECTIONS" --no-tui)
        [[ -n $auth ]] && args+=(-H "Authorization: Bearer $auth")
        $loadgen_pin "$OHA" "${args[@]}" "$url" >"$out" 2>&1 || die "oha failed: $(cat "$out")"
        read -r REQUESTS NON_2XX < <(awk '
            /^ *\[[0-9][0-9][0-9]\] [0-9]+ responses/ {
                code = substr($1, 2, 3); total += $2; if (code !~ /^2/) bad += $2
            }
            END { print total + 0, bad + 0 }' "$out") || true
        # "Total:	1002.1992 ms" (older versions: "4.4720 secs")
        ELAPSED=$(awk '/^ *Total:/ {
            v = $2; u = $3
            if (u == "ms") v /= 1000; else if (u == "µs" || u == "us") v /= 1e6
            else if (u ~ /^min/) v *= 60
            print v; exit }' "$out")
        ERRORS=$(awk '/^Error distribution/ { on = 1; next } on && /^ *\[[0-9]+\]/ && !/deadline/ { gsub(/[][]/, "", $1); n += $1 } END { print n + 0 }' "$out")
    fi
    NON_2XX=${NON_2XX:-0}
    ERRORS=${ERRORS:-0}
    [[ -n ${REQUESTS:-} && -n ${ELAPSED:-} && $REQUESTS -gt 0 ]] ||
        die "could not read a request count from the load generator: $(cat "$out")"
}

# --- the server ---------------------------------------------------------------------------------

server_pid=
tmp=$(mktemp -d)

stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# start_server WORKERS: starts load_target, waits for its listening line, sets BASE and pins it.
start_server() {
    : >"$tmp/server.out"
    # Started unpinned so that minting the tokens uses every core, then pinned (all threads).
    WORKERS=$1 ADDR=127.0.0.1:0 TOKENS_FILE=$tmp/tokens DISTINCT_TOKENS=$DISTINCT_TOKENS \
        "$bin" >"$tmp/server.out" 2>"$tmp/server.err" &
    server_pid=$!
    local waited=0
    until BASE=$(grep -o 'http://[0-9.]*:[0-9]*' "$tmp/server.out"); do
        kill -0 "$server_pid" 2>/dev/null || die "load_target exited: $(cat "$tmp/server.err")"
        ((waited++ < 1200)) || die "load_target did not start within 120 s"
        sleep 0.1
    done
    if [[ -n $server_pin ]]; then
        taskset -a -p -c "$SERVER_CPUS" "$server_pid" >/dev/null
    fi
}

# median "V1 V2 ...": the middle value (the lower middle of an even count).
median() {
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# CPU time of the server process (all threads), in clock ticks.
cpu_ticks() {
    local stat
    stat=$(<"/proc/$server_pid/stat")
    stat=${stat##*) } # the command name may contain spaces; fields from 3 (state) on follow
    # shellcheck disable=SC2086
    set -- $stat
    echo $((${12} + ${13})) # fields 14 (utime) and 15 (stime)
}

# --- the run ------------------------------------------------------------------------------------

[[ -r /proc/self/stat ]] || die "needs Linux /proc to read the server's CPU time"
find_loadgen
cargo build --release --example load_target
bin=${CARGO_TARGET_DIR:-target}/release/examples/load_target
hz=$(getconf CLK_TCK)

server_pin='' loadgen_pin=''
if command -v taskset >/dev/null; then
    [[ -n $SERVER_CPUS ]] && server_pin=yes
    [[ -n $LOADGEN_CPUS ]] && loadgen_pin="taskset -c $LOADGEN_CPUS"
else
    say "taskset not found: server and load generator are not pinned"
fi

loadgen_version=$(if [[ $LOADGEN == wrk ]]; then { wrk -v 2>&1 || true; } | head -1 | sed "s/ Copyright.*//"; else "$OHA" --version; fi)
echo "# tollgate load test"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
[[ $LOADGEN == wrk ]] && loadgen_version+=" with $LOADGEN_THREADS thread(s)"
echo "- load generator: $loadgen_version, $CONNECTIONS connections, ${DURATION} s per scenario, $ROUNDS round(s) (medians shown), after ${WARMUP} s warm-up"
server_where=any loadgen_where=any
[[ -n $server_pin ]] && server_where="CPUs $SERVER_CPUS"
[[ -n $loadgen_pin ]] && loadgen_where="CPUs $LOADGEN_CPUS"
echo "- pinning (taskset): server on $server_where, load generator on $loadgen_where"
echo "- token cache: TOLLGATE_TOKEN_CACHE=${TOLLGATE_TOKEN_CACHE-(library default)}; cold path over $DISTINCT_TOKENS distinct RS256 tokens"

for workers in $WORKERS_LIST; do
    start_server "$workers"
    warm_token=$(head -1 "$tmp/tokens")
    if ((WARMUP > 0)); then
        run_load "$WARMUP" "$BASE/open"
        run_load "$WARMUP" "$BASE/authed" "$warm_token"
    fi

    scenarios=(open warm cold garbage none)
    [[ $LOADGEN == oha ]] && scenarios=(open warm garbage none)
    declare -A label=(
        [open]="/open, no layer, same token sent (baseline)"
        [warm]="/authed, one token reused (warm)"
        [cold]="/authed, $DISTINCT_TOKENS distinct tokens (cold)"
        [garbage]="/authed, garbage token"
        [none]="/authed, no token"
    )
    # Rounds interleave the scenarios, so that a slow drift of the machine's load spreads over
    # all of them; each column shows its median over the rounds.
    declare -A cpus=() rates=() utils=() answered=() rejected=()
    for ((round = 1; round <= ROUNDS; round++)); do
        for s in "${scenarios[@]}"; do
            case $s in
            open) path=/open auth=$warm_token expect=2xx ;;
            warm) path=/authed auth=$warm_token expect=2xx ;;
            cold) path=/authed auth=@cold expect=2xx ;;
            garbage) path=/authed auth=not-a.jwt.at-all expect=401 ;;
            none) path=/authed auth='' expect=401 ;;
            esac
            before=$(cpu_ticks)
            run_load "$DURATION" "$BASE$path" "$auth"
            after=$(cpu_ticks)
            ticks=$((after - before))
            cpus[$s]+=" $(awk -v t=$ticks -v hz="$hz" -v n="$REQUESTS" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')"
            rates[$s]+=" $(awk -v n="$REQUESTS" -v s="$ELAPSED" 'BEGIN { printf "%.0f", n / s }')"
            utils[$s]+=" $(awk -v t=$ticks -v hz="$hz" -v s="$ELAPSED" 'BEGIN { printf "%.0f", t / hz / s * 100 }')"
            answered[$s]=$((${answered[$s]:-0} + REQUESTS))
            rejected[$s]=$((${rejected[$s]:-0} + NON_2XX))
            if [[ $expect == 2xx && $NON_2XX != 0 ]] || [[ $expect == 401 && $NON_2XX != "$REQUESTS" ]]; then
                say "WARNING: $s: $NON_2XX of $REQUESTS responses were not 2xx (expected $expect)"
            fi
            ((ERRORS == 0)) || say "WARNING: $s: $ERRORS requests failed (socket errors, timeouts)"
            say "workers $workers, round $round, $s: $REQUESTS requests, $ticks ticks"
        done
    done
    stop_server

    echo
    echo "## WORKERS=$workers"
    echo
    echo "| scenario | requests/s | server CPU (% of a core) | server CPU µs/request | × /open | auth cost µs/request | non-2xx / requests |"
    echo "|---|---|---|---|---|---|---|"
    base_cpu=$(median "${cpus[open]}")
    for s in "${scenarios[@]}"; do
        cpu_us=$(median "${cpus[$s]}")
        ratio=$(awk -v a="$cpu_us" -v b="$base_cpu" 'BEGIN { printf "%.2f", a / b }')
        diff=$(awk -v a="$cpu_us" -v b="$base_cpu" 'BEGIN { printf "%+.2f", a - b }')
        echo "| ${label[$s]} | $(median "${rates[$s]}") | $(median "${utils[$s]}") | $cpu_us | $ratio | $diff | ${rejected[$s]} / ${answered[$s]} |"
    done
done
[[ $LOADGEN == oha ]] && echo && echo "(oha cannot send a different header per request: no cold-path row; install wrk for it)"
exit 0
