#!/usr/bin/env bash
# Every C source and header of the project is formatted as .clang-format says.
#   check_format.sh SOURCE_DIR
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/lctest.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lctest.sh"
cd "$1" || exit 1
while IFS= read -r f; do
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        fail "not clang-format'ed: $f (run: clang-format -i $f)"
    fi
done < <(find agent probes tests fuzz -name '*.[ch]' -not -path '*/build*' | sort)
summary
