# shellcheck shell=bash
# Loopback port helpers.
#
#     source scripts/lib/ports.sh
#     read -r a b < <(free_ports 2 | xargs)     # two distinct free ports
#     port=$(free_port)
#     wait_for_port 127.0.0.1 "$port" 30 "$server_pid" || die "server did not start"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# free_ports N — print N distinct free TCP ports on 127.0.0.1, one per line.
free_ports() { python3 "$TETHER_ROOT/scripts/lib/free_port.py" "${1:-1}"; }

# free_port — print one free TCP port on 127.0.0.1.
free_port() { free_ports 1; }

# port_open HOST PORT — succeeds if a TCP connect to HOST:PORT succeeds within 1 s.
port_open() {
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# wait_for_port HOST PORT TIMEOUT_SECONDS [PID] — poll (every 0.1 s) until HOST:PORT accepts a TCP
# connection. Fails (returns 1, with a message) after TIMEOUT_SECONDS, or as soon as process PID, when
# given, has exited.
wait_for_port() {
    local host="$1" port="$2" timeout_s="$3" pid="${4:-}"
    local deadline=$((SECONDS + timeout_s))
    while ! port_open "$host" "$port"; do
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited before $host:$port accepted connections"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "timed out after ${timeout_s}s waiting for $host:$port"
            return 1
        fi
        sleep 0.1
    done
}
