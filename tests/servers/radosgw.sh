#!/bin/bash
# Throwaway single-node Ceph cluster (one monitor, one memstore OSD, one radosgw) on 127.0.0.1,
# used as the real S3 server for logcanary's integration tests.
#
#   radosgw.sh start DIR   build the cluster under DIR, create two S3 users, write DIR/env
#   radosgw.sh stop DIR    stop the daemons by their recorded pids and remove DIR (idempotent)
#
# DIR/env holds KEY=value lines (no quoting, no spaces in values):
#   LC_S3_ENDPOINT=http://127.0.0.1:<port>   LC_S3_PORT=<port>   LC_S3_REGION=us-east-1
#     (radosgw accepts any region in the SigV4 scope; path-style addressing on the endpoint)
#   LC_S3_VHOST_DOMAIN=s3.us-east-1.amazonaws.com   radosgw's DNS name: virtual-hosted requests
#     to <bucket>.s3.us-east-1.amazonaws.com:<port> work when that name is resolved to
#     127.0.0.1 by the client (e.g. CURLOPT_RESOLVE)
#   LC_S3_ACCESS_KEY / LC_S3_SECRET_KEY              owner user (uid lc-owner)
#   LC_S3_OTHER_ACCESS_KEY / LC_S3_OTHER_SECRET_KEY  second user (uid lc-other)
#   LC_S3_OWNER_UID / LC_S3_OTHER_UID                uids, for bucket policies
#                                                    (principal arn:aws:iam:::user/<uid>)
#   LC_KMS_KEY_1 / LC_KMS_KEY_2    key ARNs known to radosgw's "testing" KMS backend (SSE-KMS
#                                  with any other key id fails: 403 InvalidAccessKeyId)
#   LC_RGW_PID / LC_MON_PID / LC_OSD_PID / LC_CEPH_CONF
# Every wait has a deadline; a failing step prints the tail of DIR's logs and exits non-zero.
set -euo pipefail

readonly STEP_TIMEOUT=30 # seconds for any single ceph command or readiness wait
readonly REGION=us-east-1

die() {
    echo "radosgw.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

# A free loopback TCP port, chosen by the kernel.
free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

random_token() { # $1 = length, alphanumeric
    /usr/bin/python3 -c 'import secrets, string, sys
a = string.ascii_uppercase + string.digits
print("".join(secrets.choice(a) for _ in range(int(sys.argv[1]))))' "$1"
}

# Is pid $1 running (a zombie counts as gone)?
pid_alive() {
    local stat
    [[ -n "$1" ]] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

# Is pid $1 still program $2 started with config $3 (guards against pid reuse)?
pid_is() {
    local comm cmdline
    comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ "$comm" == "${2:0:15}" && "$cmdline" == *" $3 "* ]]
}

wait_gone() { # deadline (in SECONDS), pids...: true once all have exited
    local deadline=$1 pid
    shift
    for pid in "$@"; do
        while pid_alive "$pid"; do
            ((SECONDS < deadline)) || return 1
            sleep 0.1
        done
    done
}

# SIGTERM the daemons of DIR running one of the given programs, SIGKILL them after 5 s.
stop_programs() {
    local dir=$1 name pid
    shift
    local -a pids=()
    while read -r name pid; do
        if [[ " $* " == *" $name "* ]] && pid_is "$pid" "$name" "$dir/ceph.conf"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done <"$dir/pids"
    ((${#pids[@]})) || return 0
    wait_gone $((SECONDS + 5)) "${pids[@]}" && return 0
    echo "radosgw.sh: $* slow to exit on SIGTERM, sending SIGKILL" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone $((SECONDS + 5)) "${pids[@]}" || echo "radosgw.sh: pids ${pids[*]} did not exit" >&2
}

# Stop every daemon listed in DIR/pids ("program pid" lines) in reverse start order:
# radosgw needs the OSD to shut down cleanly, and both report to the monitor.
stop_daemons() {
    local dir=$1
    [[ -f "$dir/pids" ]] || return 0
    stop_programs "$dir" radosgw
    stop_programs "$dir" ceph-osd
    stop_programs "$dir" ceph-mon
    rm -f "$dir/pids"
}

show_logs() {
    local f
    for f in "$DIR"/log/*.log "$DIR"/log/*.out; do
        [[ -s "$f" ]] || continue
        echo "----- tail of $f -----" >&2
        tail -n 15 "$f" >&2
    done
}

on_start_error() {
    local rc=$?
    trap - EXIT
    if ((rc != 0)); then
        echo "radosgw.sh: start failed (step: ${STEP:-?}); logs are under $DIR/log" >&2
        show_logs
        stop_daemons "$DIR"
    fi
    exit "$rc"
}

# Name the current step (for error messages) and log when it began.
step() {
    STEP=$1
    echo "$((SECONDS - T0))s $STEP" >>"$DIR/log/steps.out"
}

# Run a ceph CLI command with a deadline; its output goes to stdout.
ceph_cmd() {
    timeout "$STEP_TIMEOUT" "$@" -c "$CONF" 2>>"$DIR/log/cli.out"
}

# Launch a daemon in the foreground of its own session, detached from our stdio.
# $1 = name for the pids file, rest = command. Sets LAST_PID.
launch() {
    local name=$1
    shift
    setsid "$@" -c "$CONF" -f </dev/null >>"$DIR/log/$name.out" 2>&1 &
    LAST_PID=$!
    echo "$1 $LAST_PID" >>"$DIR/pids"
}

wait_http() { # $1 = port, $2 = pid that must stay alive
    local deadline=$((SECONDS + STEP_TIMEOUT))
    while ((SECONDS < deadline)); do
        pid_alive "$2" || die "radosgw (pid $2) exited before answering"
        if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; then
            return 0
        fi
        sleep 0.2
    done
    die "radosgw did not answer on port $1 within ${STEP_TIMEOUT}s"
}

write_conf() {
    local fsid mon_port=$1 rgw_port=$2 key1=$3 key2=$4
    fsid=$(/usr/bin/python3 -c 'import uuid; print(uuid.uuid4())')
    cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
keyring = /dev/null
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
# Commit monitor updates quickly: radosgw creates its pools one by one at start-up.
paxos propose interval = 0.05
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$name
osd data = $DIR/osd/\$id
mon cluster log file = $DIR/log/cluster.log

[client.rgw.lc]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $key1=$(openssl rand -base64 32) $key2=$(openssl rand -base64 32)
rgw crypt require ssl = false
rgw dns name = s3.$REGION.amazonaws.com
EOF
}

cmd_start() {
    # A cluster left behind by an interrupted run is stopped first.
    stop_daemons "$DIR"
    rm -rf "$DIR"
    mkdir -p "$DIR"/{log,run,mon/mon.a,osd}
    CONF=$DIR/ceph.conf
    trap on_start_error EXIT
    T0=$SECONDS

    step "choose ports"
    local mon_port rgw_port
    mon_port=$(free_port)
    rgw_port=$(free_port)
    [[ "$mon_port" != "$rgw_port" ]] || rgw_port=$(free_port)
    local key1=arn:aws:kms:$REGION:111122223333:key/0f6a4c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6
    local key2=arn:aws:kms:$REGION:111122223333:key/7d3b9e2a-5c4f-4a61-9b8e-c0d1e2f3a4b5
    write_conf "$mon_port" "$rgw_port" "$key1" "$key2"

    step "create monitor"
    monmaptool --create --add a "v2:127.0.0.1:$mon_port" --fsid \
        "$(sed -n 's/^fsid = //p' "$CONF")" "$DIR/monmap" >>"$DIR/log/cli.out" 2>&1
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >>"$DIR/log/cli.out" 2>&1
    launch mon ceph-mon -i a
    local mon_pid=$LAST_PID

    step "create OSD"
    # The ceph CLI waits for the monitor itself (bounded by timeout).
    local osd_id
    osd_id=$(ceph_cmd ceph --connect-timeout "$STEP_TIMEOUT" osd create)
    [[ "$osd_id" =~ ^[0-9]+$ ]] || die "unexpected 'ceph osd create' output: $osd_id"
    mkdir -p "$DIR/osd/$osd_id"
    timeout "$STEP_TIMEOUT" ceph-osd -c "$CONF" -i "$osd_id" --mkfs >>"$DIR/log/cli.out" 2>&1
    launch osd ceph-osd -i "$osd_id"
    local osd_pid=$LAST_PID
    ceph_cmd ceph osd crush add "osd.$osd_id" 1.0 host=localhost root=default >/dev/null

    step "start radosgw"
    launch radosgw radosgw -n client.rgw.lc
    local rgw_pid=$LAST_PID
    wait_http "$rgw_port" "$rgw_pid"

    step "create users"
    local ak1 sk1 ak2 sk2
    ak1=$(random_token 20)
    sk1=$(random_token 40)
    ak2=$(random_token 20)
    sk2=$(random_token 40)
    ceph_cmd radosgw-admin user create --uid=lc-owner --display-name="logcanary owner" \
        --access-key="$ak1" --secret="$sk1" >/dev/null
    ceph_cmd radosgw-admin user create --uid=lc-other --display-name="logcanary other" \
        --access-key="$ak2" --secret="$sk2" >/dev/null

    step "write env"
    cat >"$DIR/env.tmp" <<EOF
LC_S3_ENDPOINT=http://127.0.0.1:$rgw_port
LC_S3_PORT=$rgw_port
LC_S3_VHOST_DOMAIN=s3.$REGION.amazonaws.com
LC_S3_REGION=$REGION
LC_S3_ACCESS_KEY=$ak1
LC_S3_SECRET_KEY=$sk1
LC_S3_OWNER_UID=lc-owner
LC_S3_OTHER_ACCESS_KEY=$ak2
LC_S3_OTHER_SECRET_KEY=$sk2
LC_S3_OTHER_UID=lc-other
LC_KMS_KEY_1=$key1
LC_KMS_KEY_2=$key2
LC_RGW_PID=$rgw_pid
LC_MON_PID=$mon_pid
LC_OSD_PID=$osd_pid
LC_CEPH_CONF=$CONF
EOF
    mv "$DIR/env.tmp" "$DIR/env"
    trap - EXIT
    echo "radosgw ready on http://127.0.0.1:$rgw_port in $((SECONDS - T0))s (env: $DIR/env)"
}

cmd_stop() {
    [[ -d "$DIR" ]] || return 0
    stop_daemons "$DIR"
    rm -rf "$DIR"
}

(($# == 2)) || usage
DIR=$2
[[ "$DIR" == /* ]] || DIR=$PWD/$DIR
[[ "$DIR" != *[[:space:]]* ]] || die "DIR must not contain whitespace: '$DIR'"
case "$1" in
start) cmd_start ;;
stop) cmd_stop ;;
*) usage ;;
esac
