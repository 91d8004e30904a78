# Shared by the scripts that run the sandbox binary (schemathesis.sh, browser-check.sh).
# Source it, then: port=$(free_port); start_sandbox "$binary" "$work" --addr "127.0.0.1:$port" ...
# It sets sandbox_pid and installs an EXIT trap that stops the sandbox and removes $work.

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts the sandbox binary $1 with the remaining arguments, logging to $2/sandbox.log, and
# waits until it listens (10 s at most).
start_sandbox() {
  local binary=$1 work=$2
  shift 2
  local log="$work/sandbox.log"
  "$binary" "$@" >"$log" 2>&1 &
  sandbox_pid=$!
  # shellcheck disable=SC2064 # expand now: the trap must see these values
  trap "kill $sandbox_pid 2>/dev/null || true; wait $sandbox_pid 2>/dev/null || true; rm -rf '$work'" EXIT
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$log"; then return 0; fi
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then cat "$log"; echo "the sandbox did not start"; exit 1; fi
    sleep 0.1
  done
  cat "$log"
  echo "the sandbox did not start in time"
  exit 1
}
