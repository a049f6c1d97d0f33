# Shared by the integration scripts (sourced): results, background processes in sessions of
# their own, ports on loopback, log tails.

# Results: pass/fail record a check (RESULTS and FAILED, set up by the script); a missing tool
# is a failure under CI=true and SKIPPED (exit 0) elsewhere.
pass() { RESULTS+=("PASS  $*"); echo "PASS  $*"; }
fail() { RESULTS+=("FAIL  $*"); echo "FAIL  $*"; FAILED=$((FAILED + 1)); }
missing_tool() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL  $* (CI=true: a missing tool is a failure)"
        echo "RESULT: FAIL"
        exit 1
    fi
    echo "SKIPPED: $*"
    exit 0
}

# Stops process group $1 (started with setsid): TERM, up to 10 s, then KILL.
stop_group() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Runs "$@" in the background in a session of its own (so that its children can be stopped
# with it), with stdin from /dev/null, stdout and stderr to $LOG, and no other descriptor.
# Sets BG_PID.
spawn() {
    local log=$1
    shift
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && { eval "exec $fd>&-" 2>/dev/null || true; }
        done
        exec setsid "$@"
    ) </dev/null >"$log" 2>&1 &
    BG_PID=$!
}

# True when 127.0.0.1:$1 accepts connections.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the last lines of a log, indented, to help read a failure.
show_log() {
    [ -s "$1" ] || return 0
    echo "      --- last lines of $1:"
    tail -n "${2:-15}" "$1" | sed 's/^/      | /'
}
