#!/usr/bin/env bash
# logcanary's command line contract: exit codes and where usage goes.
#   cli_usage.sh BINARY SOURCE_DIR
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/lctest.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lctest.sh"
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect() { # what, expected exit code, command...
    local what=$1 want=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [[ $got == "$want" ]]; then
        ok "$what"
    else
        fail "$what: exit $got, wanted $want"
        cat "$work/out" "$work/err"
    fi
}
contains() { # what, file, text
    if grep -qF -- "$3" "$2"; then
        ok "$1"
    else
        fail "$1: '$3' not in $(basename "$2")"
        cat "$2"
    fi
}

expect "--version exits 0" 0 "$bin" --version
contains "--version prints the version" "$work/out" "logcanary "
expect "--help exits 0" 0 "$bin" --help
contains "--help lists check" "$work/out" "check"
expect "no command exits 2" 2 "$bin"
contains "usage goes to stderr" "$work/err" "usage: logcanary"
expect "unknown command exits 2" 2 "$bin" frobnicate
expect "unknown flag exits 2" 2 "$bin" --frobnicate
expect "check without --config exits 2" 2 "$bin" check
expect "check with an unknown flag exits 2" 2 "$bin" check --config x.json --bogus
expect "check with a bad --format exits 2" 2 "$bin" check --config x.json --format xml
expect "check --help exits 0" 0 "$bin" check --help
contains "check offers the html report" "$work/out" "--format text|json|html"
expect "preflight has no html report" 2 "$bin" preflight --config x.json --format html
contains "preflight names its formats" "$work/err" "--format: expected text or json, not 'html'"
expect "check with a missing file exits 2" 2 "$bin" check --config "$work/none.json"
printf '{"targets":[{"name":"t","bucket":"lc-logs","sources":[{"type":"cloudtrail","accounts":["111111111111"],"regions":["ap-northeast-1"],"max_age":"soon"}]}]}' >"$work/bad.json"
expect "invalid config exits 2" 2 "$bin" check --config "$work/bad.json"
contains "the error names the JSON path" "$work/err" 'targets[0].sources[0].max_age: expected a duration like "30m"'
contains "the error names the file" "$work/err" "$work/bad.json"
expect "config validate on the flow-log example" 0 "$bin" config validate --config "$src/config/examples/flowlogs-bucket.json"
contains "config validate lists streams" "$work/out" "vpcflowlogs"
expect "config validate on a bad file exits 2" 2 "$bin" config validate --config "$work/bad.json"
expect "check --target of an unknown target exits 2" 2 "$bin" check --config "$src/config/examples/flowlogs-bucket.json" --target nope
summary
