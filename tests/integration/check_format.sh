#!/usr/bin/env bash
# Every C source and header of the project is formatted as .clang-format says.
#   check_format.sh SOURCE_DIR
set -uo pipefail
cd "$1" || exit 1
bad=0
n=0
while IFS= read -r f; do
    n=$((n + 1))
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not clang-format'ed: $f (run: clang-format -i $f)"
        bad=$((bad + 1))
    fi
done < <(find agent probes tests fuzz -name '*.[ch]' -not -path '*/build*' | sort)
echo "$((n - bad)) passed, $bad failed"
[[ $bad == 0 ]]
