#!/usr/bin/env bash
# The Debian package, end to end, and the manual page's completeness.
#
#   test_package.sh deb       build the .deb (Release, no sanitizers) in a temporary build
#                             directory, install it with dpkg -i, check the binary, the user,
#                             the files and their modes, the units (systemd-analyze verify and
#                             security, exposure 2.5 or lower), a reinstall that keeps a local
#                             edit of the configuration, then dpkg -r (only the configuration
#                             stays) and dpkg -P (nothing stays). Needs root; skips (77) when
#                             not root. Whatever happens, the package is purged at the end.
#   test_package.sh manpage   packaging/logcanary.1 names every command and option the binary
#                             has, every exit status, configuration key and finding code.
#
# Environment: LC_SOURCE_DIR (the source tree), LC_BINARY (the built logcanary, for manpage),
# LC_PACKAGE_OUT (a directory for the records: security.txt with the exposure figures).
set -euo pipefail

src=${LC_SOURCE_DIR:?LC_SOURCE_DIR must name the source tree}
mode=${1:-deb}
out=${LC_PACKAGE_OUT:-}

say() { printf '%s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# ---- manpage ----------------------------------------------------------------------------------
# The roff source as plain words: font changes and escapes removed, \- as -.
man_text() {
    sed -e 's/\\f[BIRP]//g; s/\\f(..//g; s/\\-/-/g; s/\\e/\\/g; s/\\(dq/"/g; s/\\(aq/'"'"'/g' \
        -e 's/\\&//g' "$src/packaging/logcanary.1"
}

# The tags (the lines after .TP) of one section, without quotes.
section_tags() {
    man_text | awk -v sec="$1" '$0 == ".SH " sec { on = 1; next } /^\.SH/ { on = 0 }
        on && tag { print; tag = 0 } on && /^\.TP/ { tag = 1 }' | sed 's/"//g'
}

check_manpage() {
    local bin=${LC_BINARY:?LC_BINARY must name the logcanary binary}
    local text missing=() help cmd cmdhelp allhelp="" opts code key
    text=$(man_text)
    has() { grep -qF -- "$1" <<<"$text"; }

    # Commands, from the top-level help: "  <command words>  description" under "commands:".
    help=$("$bin" --help)
    mapfile -t cmds < <(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ {
            sub(/^  /, ""); split($0, f, /  +/); c = f[1]; sub(/ -.*/, "", c); print c }
            on && /^$/ { on = 0 }' <<<"$help")
    [ ${#cmds[@]} -gt 0 ] || fail "no commands found in 'logcanary --help'"
    # A command is documented when a tag of the COMMANDS section (the line after .TP) names it.
    local tags
    tags=$(section_tags COMMANDS)
    for cmd in "${cmds[@]}"; do
        grep -qE "^\.BR? (.* )?$cmd( |$)" <<<"$tags" || missing+=("command '$cmd'")
        # The options of the command, from its own --help.
        # shellcheck disable=SC2086
        cmdhelp=$("$bin" $cmd --help 2>/dev/null || true)
        allhelp+=$'\n'"$cmdhelp"
        opts=$(grep -oE -- '--[a-z][a-z-]*' <<<"$cmdhelp" | sort -u || true)
        for o in $opts; do
            has "$o" || missing+=("option '$o' of '$cmd'")
        done
    done
    for o in --version --help; do
        has "$o" || missing+=("option '$o'")
    done

    # Exit statuses: the ones the --help of the binary and of each command lists, and the enum
    # in agent/cmd/cli.h.
    local codes
    codes=$( (grep -oE '^exit codes:.*' <<<"$help$allhelp" | grep -oE '\b[0-9]+ [a-z]' |
                  cut -d' ' -f1
              grep -oE 'LC_EXIT_[A-Z_]+ *= *[0-9]+' "$src/agent/cmd/cli.h" | grep -oE '[0-9]+$') |
            sort -u)
    local exit_section
    exit_section=$(awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on' \
        "$src/packaging/logcanary.1")
    for code in $codes; do
        grep -qx "\.B $code" <<<"$exit_section" || missing+=("exit status $code")
    done

    # Configuration keys: the generated reference's tables (the backquotes are Markdown's).
    # shellcheck disable=SC2016
    while read -r key; do
        has "$key" || missing+=("configuration key '$key'")
    done < <(grep -oE '^\| `[^`]+`' "$src/config/README.md" | sed 's/^| `//; s/`$//')

    # Finding codes: every code of the finding registry, each a tag of the FINDINGS section.
    tags=$(section_tags FINDINGS)
    while read -r code; do
        grep -qx "\.B $code" <<<"$tags" || missing+=("finding code '$code'")
    done < <(grep -oE '^ *\[LC_F_[A-Z0-9_]+\] = \{"[A-Z][A-Z0-9_]+"' "$src/agent/pipeline/codes.c" |
                 grep -oE '"[A-Z0-9_]+"' | tr -d '"' | sort -u)
    [ "$(grep -c '^ *\[LC_F_' "$src/agent/pipeline/codes.c")" -gt 0 ] ||
        missing+=("the finding registry (agent/pipeline/codes.c has no codes)")

    # The page renders without warnings.
    if command -v man >/dev/null; then
        local warn
        warn=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -E UTF-8 -l "$src/packaging/logcanary.1" \
            2>&1 >/dev/null || true)
        [ -z "$warn" ] || missing+=("clean rendering: $warn")
    fi

    if [ ${#missing[@]} -gt 0 ]; then
        printf 'packaging/logcanary.1 does not document:\n' >&2
        printf '  %s\n' "${missing[@]}" >&2
        exit 1
    fi
    say "manpage: ${#cmds[@]} commands, their options, exit statuses, keys and findings documented"
}

# ---- deb --------------------------------------------------------------------------------------
status_of() { dpkg-query -W -f='${Status}' logcanary 2>/dev/null || true; }
names_on_system() {
    find /etc /usr /var/lib /opt -xdev -name '*logcanary*' \
        -not -path '/var/lib/dpkg/*' 2>/dev/null | sort
}
mode_of() { stat -c '%a %U:%G' "$1"; }
expect_mode() {
    local got
    got=$(mode_of "$1")
    [ "$got" = "$2" ] || fail "$1: mode and owner $got, expected $2"
}
expect_absent() {
    local p
    for p in "$@"; do
        if [ -e "$p" ] || [ -L "$p" ]; then
            fail "$p is still there"
        fi
    done
}

work=
cleanup() {
    local rc=$?
    set +e
    if [ -n "$(status_of)" ] && [ "$(status_of)" != "unknown ok not-installed" ]; then
        say "cleanup: purging logcanary"
        dpkg -P logcanary </dev/null >/dev/null 2>&1
    fi
    # What a failed purge may leave; none of it existed before the test (checked at the start).
    rm -rf /etc/logcanary /var/lib/logcanary
    rm -f /etc/systemd/system/*.wants/logcanary*
    rm -rf /var/lib/systemd/deb-systemd-helper-enabled/*logcanary* \
        /var/lib/systemd/deb-systemd-helper-enabled/*.wants/logcanary*
    getent passwd logcanary >/dev/null && userdel logcanary
    getent group logcanary >/dev/null && groupdel logcanary
    [ -n "$work" ] && rm -rf "$work"
    exit $rc
}

check_deb() {
    if [ "$(id -u)" -ne 0 ]; then
        say "SKIP: the package test installs and purges a .deb on this machine: it needs root" \
            "(CI runs it as root)"
        exit 77
    fi
    local t
    for t in dpkg dpkg-deb dpkg-query dpkg-shlibdeps cmake cpack systemd-analyze systemd-sysusers \
        setpriv; do
        command -v "$t" >/dev/null ||
            fail "$t is not installed (packaging/install-deps.sh --test installs what the test needs)"
    done
    # The test owns the name logcanary on this machine while it runs: refuse to touch a real one.
    [ -z "$(status_of)" ] || [ "$(status_of)" = "unknown ok not-installed" ] ||
        fail "a logcanary package is on this machine ($(status_of)); the test would replace and" \
            "purge it. Remove it (dpkg -P logcanary) or run the test on another machine"
    ! getent passwd logcanary >/dev/null || fail "a user logcanary exists; the test would delete it"
    ! getent group logcanary >/dev/null || fail "a group logcanary exists; the test would delete it"
    expect_absent /etc/logcanary /var/lib/logcanary
    local before
    before=$(names_on_system)

    work=$(mktemp -d /tmp/lc-package.XXXXXX)
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # ---- build ----
    say "== build the .deb (Release, no sanitizers) in $work/build"
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLC_SANITIZE=OFF \
        -DLC_BUILD_TESTS=OFF -DLC_FUZZ=OFF -DCMAKE_INSTALL_PREFIX=/usr >"$work/configure.log" 2>&1 ||
        { cat "$work/configure.log"; fail "cmake configure"; }
    cmake --build "$work/build" -j"$(nproc)" >"$work/build.log" 2>&1 ||
        { tail -50 "$work/build.log"; fail "cmake --build"; }
    (cd "$work/build" && cpack -G DEB) >"$work/cpack.log" 2>&1 ||
        { cat "$work/cpack.log"; fail "cpack -G DEB"; }
    local deb
    deb=$(ls "$work"/build/logcanary_*.deb)
    say "built $(basename "$deb")"

    # ---- the package's metadata ----
    local depends version conffiles contents
    depends=$(dpkg-deb -f "$deb" Depends)
    version=$(dpkg-deb -f "$deb" Version)
    say "Depends: $depends"
    for lib in libc6 libcurl4 libssl3 libevent-2.1-7 libcjson1 libexpat1 zlib1g; do
        grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib (dpkg-shlibdeps?)"
    done
    grep -qE 'systemd \| systemd-standalone-sysusers' <<<"$depends" ||
        fail "Depends lacks the sysusers provider"
    ! grep -qE 'libasan|libubsan' <<<"$depends" || fail "a sanitizer build was packaged"
    conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
    [ "$conffiles" = $'/etc/logcanary/logcanary.json\n/etc/logcanary/logcanary.env' ] ||
        fail "conffiles: $conffiles"
    contents=$(dpkg-deb -c "$deb")
    for f in ./usr/bin/logcanary ./usr/share/man/man1/logcanary.1.gz \
        ./usr/lib/systemd/system/logcanary.service ./usr/lib/systemd/system/logcanary.timer \
        ./usr/lib/systemd/system/logcanary-daemon.service ./usr/lib/sysusers.d/logcanary.conf \
        ./usr/share/doc/logcanary/examples/flowlogs-bucket.json \
        ./usr/share/doc/logcanary/examples/control-tower-log-archive.json ./var/lib/logcanary/; do
        grep -qE " $f\$" <<<"$contents" || fail "the package lacks $f"
    done
    grep -qE '^-rw-r----- root/root .* \./etc/logcanary/logcanary\.json$' <<<"$contents" ||
        fail "logcanary.json is not packaged with mode 0640"

    # ---- install ----
    say "== dpkg -i"
    dpkg -i "$deb" </dev/null >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
    ! grep -qi 'warning' "$work/install.log" || { cat "$work/install.log"; fail "dpkg -i warned"; }
    [ "$(status_of)" = "install ok installed" ] || fail "status after dpkg -i: $(status_of)"

    local got
    got=$(logcanary --version)
    [ "$got" = "logcanary ${version%-*}" ] || fail "logcanary --version: '$got', expected ${version%-*}"
    say "logcanary --version: $got"

    local pw uid
    pw=$(getent passwd logcanary) || fail "no user logcanary after installation"
    uid=$(cut -d: -f3 <<<"$pw")
    [ "$uid" -lt 1000 ] || fail "logcanary is not a system user: $pw"
    [ "$(cut -d: -f6,7 <<<"$pw")" = "/var/lib/logcanary:/usr/sbin/nologin" ] || fail "user: $pw"
    getent group logcanary >/dev/null || fail "no group logcanary"
    say "user: $pw"

    expect_mode /etc/logcanary "750 root:logcanary"
    expect_mode /etc/logcanary/logcanary.json "640 root:logcanary"
    expect_mode /etc/logcanary/logcanary.env "640 root:logcanary"
    expect_mode /var/lib/logcanary "750 logcanary:logcanary"
    cmp -s /etc/logcanary/logcanary.json "$src/config/examples/flowlogs-bucket.json" ||
        fail "/etc/logcanary/logcanary.json is not the flow-log bucket example"

    # The service user reads its configuration; others may not.
    local as_lc=(setpriv --reuid=logcanary --regid=logcanary --init-groups --)
    got=$("${as_lc[@]}" logcanary config validate --config /etc/logcanary/logcanary.json) ||
        fail "config validate of the shipped configuration, as logcanary: $got"
    say "config validate (as logcanary): $(head -1 <<<"$got")"
    got=$(LOGCANARY_EXTERNAL_ID=test-external-id logcanary config validate \
        --config /usr/share/doc/logcanary/examples/control-tower-log-archive.json) ||
        fail "config validate of the Control Tower example: $got"
    say "config validate (Control Tower example): $(head -1 <<<"$got")"
    ! setpriv --reuid=nobody --regid=nogroup --clear-groups -- cat /etc/logcanary/logcanary.json \
        >/dev/null 2>&1 || fail "any user can read /etc/logcanary/logcanary.json"
    "${as_lc[@]}" touch /var/lib/logcanary/probe || fail "logcanary cannot write its state directory"

    # Nothing enabled, nothing started.
    got=$(find /etc/systemd/system -name 'logcanary*' 2>/dev/null)
    [ -z "$got" ] || fail "installation enabled units: $got"

    # The manual page is where man looks.
    if command -v man >/dev/null; then
        got=$(man -w logcanary 2>/dev/null) || fail "man -w logcanary finds nothing"
        [ "$got" = /usr/share/man/man1/logcanary.1.gz ] || fail "man -w logcanary: $got"
        got=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -E UTF-8 logcanary 2>&1 >/dev/null)
        [ -z "$got" ] || fail "man logcanary warns: $got"
    fi

    # ---- the units ----
    say "== systemd-analyze"
    local units=(/usr/lib/systemd/system/logcanary.service /usr/lib/systemd/system/logcanary.timer
                 /usr/lib/systemd/system/logcanary-daemon.service)
    if ! got=$(systemd-analyze verify "${units[@]}" 2>&1) || grep -q logcanary <<<"$got"; then
        printf '%s\n' "$got"
        fail "systemd-analyze verify"
    fi
    say "systemd-analyze verify: clean (${units[*]##*/})"
    local u level records=""
    for u in logcanary.service logcanary-daemon.service; do
        got=$(systemd-analyze security --offline=true --no-pager "/usr/lib/systemd/system/$u" 2>&1) ||
            { printf '%s\n' "$got"; fail "systemd-analyze security $u"; }
        level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$got")
        [ -n "$level" ] || { printf '%s\n' "$got"; fail "no exposure level for $u"; }
        say "exposure $u: $level"
        records+="exposure $u: $level"$'\n'
        awk -v l="$level" 'BEGIN { exit !(l <= 2.5) }' ||
            { printf '%s\n' "$got"; fail "$u: exposure $level, above 2.5"; }
        if [ -n "$out" ]; then
            mkdir -p "$out"
            printf '%s\n' "$got" >"$out/security-$u.txt"
        fi
    done
    [ -z "$out" ] || printf '%s' "$records" >"$out/security.txt"

    # The admin enables the timer (this works offline too): remove keeps that, purge undoes it.
    local wants=/etc/systemd/system/timers.target.wants/logcanary.timer enabled=no
    if systemctl enable logcanary.timer >/dev/null 2>&1 && [ -L "$wants" ]; then
        enabled=yes
        say "systemctl enable logcanary.timer, as an admin would"
    fi

    # ---- an upgrade keeps local edits of the configuration ----
    say "== dpkg -i again, with a local edit of the configuration"
    sed -i '0,/^{/s//{\n  "\/\/ local": "edited on this machine",/' /etc/logcanary/logcanary.json
    dpkg -i "$deb" </dev/null >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log"; fail "dpkg -i (again)"; }
    grep -q '"// local": "edited on this machine"' /etc/logcanary/logcanary.json ||
        fail "reinstalling lost the local edit of logcanary.json"
    expect_mode /etc/logcanary/logcanary.json "640 root:logcanary"
    expect_absent /etc/logcanary/logcanary.json.dpkg-new /etc/logcanary/logcanary.json.dpkg-dist
    [ -e /var/lib/logcanary/probe ] || fail "reinstalling lost the state"
    "${as_lc[@]}" logcanary config validate --config /etc/logcanary/logcanary.json >/dev/null ||
        fail "config validate after the reinstall"

    # ---- remove: the configuration stays ----
    say "== dpkg -r"
    dpkg -r logcanary </dev/null >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
    ! grep -qi 'warning' "$work/remove.log" || { cat "$work/remove.log"; fail "dpkg -r warned"; }
    [ "$(status_of)" = "deinstall ok config-files" ] || fail "status after dpkg -r: $(status_of)"
    expect_absent /usr/bin/logcanary /usr/share/man/man1/logcanary.1.gz /usr/share/doc/logcanary \
        /usr/lib/systemd/system/logcanary.service /usr/lib/systemd/system/logcanary.timer \
        /usr/lib/systemd/system/logcanary-daemon.service /usr/lib/sysusers.d/logcanary.conf \
        /usr/lib/tmpfiles.d/logcanary.conf /var/lib/logcanary
    got=$(find /etc/logcanary | sort | tr '\n' ' ')
    [ "$got" = "/etc/logcanary /etc/logcanary/logcanary.env /etc/logcanary/logcanary.json " ] ||
        fail "after dpkg -r, /etc/logcanary holds: $got"
    grep -q '"// local"' /etc/logcanary/logcanary.json || fail "dpkg -r changed logcanary.json"
    [ "$enabled" = no ] || [ -L "$wants" ] || fail "dpkg -r removed the admin's enablement link"
    say "after dpkg -r: /etc/logcanary with the edited logcanary.json and logcanary.env"

    # ---- purge: nothing stays ----
    say "== dpkg -P"
    dpkg -P logcanary </dev/null >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
    ! grep -qi 'warning' "$work/purge.log" || { cat "$work/purge.log"; fail "dpkg -P warned"; }
    [ -z "$(status_of)" ] || [ "$(status_of)" = "unknown ok not-installed" ] ||
        fail "status after dpkg -P: $(status_of)"
    expect_absent /etc/logcanary /var/lib/logcanary "$wants"
    ! getent passwd logcanary >/dev/null || fail "the user logcanary survived the purge"
    ! getent group logcanary >/dev/null || fail "the group logcanary survived the purge"
    local after
    after=$(names_on_system)
    if [ "$after" != "$before" ]; then
        diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") || true
        fail "the purge left files behind"
    fi
    say "after dpkg -P: no package, no user, no files"
    say "PASS"
}

case "$mode" in
deb) check_deb ;;
manpage) check_manpage ;;
*)
    echo "usage: $0 deb|manpage" >&2
    exit 2
    ;;
esac
