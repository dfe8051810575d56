# Pass/fail counting shared by the shell tests, the shell side of lctest.py's Checks:
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/lctest.sh"
#   ok WHAT...      count a pass, print "ok   WHAT"
#   fail WHAT...    count a failure, print "FAIL WHAT"
#   summary         print "N passed, M failed"; its status is 0 when nothing failed (end with it)
# A test that only prints its failures counts its passes with passed=$((passed + 1)).
# shellcheck shell=bash
passed=0
failed=0
ok() {
    passed=$((passed + 1))
    echo "ok   $*"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL $*"
}
summary() {
    echo "$passed passed, $failed failed"
    ((failed == 0))
}
