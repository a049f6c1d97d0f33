#!/usr/bin/env bash
# Shared by the daemon scripts (sourced): process and port checks read from /proc (no
# iproute2 needed), and stopping a daemon together with every process it started.

# True if process $1 exists and is not a zombie (read from /proc: no procps needed).
alive() {
    local line
    read -r line 2>/dev/null </proc/$1/stat || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

# True if a process (not a zombie) of session $1 exists: the masters of postfix and dovecot run setsid.
session_alive() {
    local sid=$1 f line
    for f in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$f" || continue
        set -- ${line##*) } # state ppid pgrp session ...
        [ "$4" = "$sid" ] && [ "$1" != Z ] && return 0
    done
    return 1
}

# Does process $1 hold the socket listening on 127.0.0.1:$2?
owns_port() {
    local inode
    for inode in $(awk -v a="$(printf '0100007F:%04X' "$2")" '$2 == a && $4 == "0A" {print $10}' /proc/net/tcp); do
        ls -l "/proc/$1/fd" 2>/dev/null | grep -qF "socket:[$inode]" && return 0
    done
    return 1
}

# Wait up to 30 s until process $1 listens on every port $2... and they accept connections.
wait_ports() {
    local pid=$1 port; shift
    for _ in $(seq 300); do
        alive "$pid" || return 1
        for port in "$@"; do
            owns_port "$pid" "$port" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { sleep 0.1; continue 2; }
        done
        return 0
    done
    return 1
}

descendants() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }

# Stop the process in pid file $1 (if its command line contains $2) and all its descendants;
# wait until they are gone (zombies count as gone), SIGKILL after 10 s.
stop_tree() {
    local pidfile=$1 marker=$2 pid pids p
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
        kill -STOP "$pid" 2>/dev/null || true   # no new children while we list them
        pids="$pid $(descendants "$pid")"
        kill -TERM $pids 2>/dev/null || true
        kill -CONT "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            for p in $pids; do alive "$p" && { sleep 0.1; continue 2; }; done
            pids=""; break
        done
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

# Prints the pid in pid file $1 if that process runs, and returns 1 otherwise.
running_pid() {
    local pid
    pid=$(tr -cd 0-9 2>/dev/null <"$1") || return 1
    [ -n "$pid" ] && alive "$pid" && echo "$pid"
}

# Stops a daemon whose master runs setsid (Postfix, Dovecot): runs its stop command
# ($3...; output to log file $1), or kills the master in pid file $2 if that fails, then waits
# until no process of its session is left; kills the session after 10 s. 0 if it was not running.
stop_master() {
    local log=$1 pidfile=$2 pid i
    shift 2
    pid=$(running_pid "$pidfile") || return 0
    "$@" >>"$log" 2>&1 || kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        session_alive "$pid" || return 0
        sleep 0.1
    done
    echo "${0##*/}: instance of $pidfile still running after 10 s; killing it" >&2
    kill -9 -- "-$pid" 2>/dev/null || true
    return 1
}
