#!/usr/bin/env bash
# CTest: scripts/package builds the RPMs from this build folder, and they hold
# what a host needs. Fails when a daemon, a tool, a unit, the sysusers or
# tmpfiles file or the topology (as %config(noreplace)) is missing, or when
# the systemd scriptlets or requirements are.
#
#   packaging/package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
out=$(mktemp -d -t triad-rpms-XXXXXX)
trap 'rm -rf "$out"' EXIT

failed=0
fail() { echo "FAIL $*"; failed=1; }

start=$(date +%s)
TRIAD_BUILD_DIR=$build_dir "$source_dir/scripts/package" "$out"
echo "scripts/package took $(($(date +%s) - start)) s"

main=$(ls "$out"/triad-[0-9]*.rpm 2>/dev/null | head -n1)
tools=$(ls "$out"/triad-tools-*.rpm 2>/dev/null | head -n1)
[ -n "$main" ] || { echo "FAIL no triad RPM in $out"; exit 1; }
[ -n "$tools" ] || { echo "FAIL no triad-tools RPM in $out"; exit 1; }

files=$(rpm -qlp "$main")
tool_files=$(rpm -qlp "$tools")
expect_file() {  # expect_file <listing> <path>
  if grep -qxF "$2" <<<"$1"; then echo "ok   contains $2"; else fail "missing $2"; fi
}
for daemon in triad-customerd triad-streetd triad-firmd triad-brokerd triad-exchanged; do
  expect_file "$files" "/usr/bin/$daemon"
done
for unit in triad.target triad-customerd@.service triad-streetd@.service triad-firmd.service \
  triad-brokerd@.service triad-exchanged@.service; do
  expect_file "$files" "/usr/lib/systemd/system/$unit"
done
expect_file "$files" /usr/lib/sysusers.d/triad.conf
expect_file "$files" /usr/lib/tmpfiles.d/triad.conf
expect_file "$files" /etc/triad/topology.conf
expect_file "$files" /etc/triad/operators.conf
expect_file "$files" /usr/share/doc/triad/operations.md
for tool in triadctl triad-trader triad-site triad-loadgen; do expect_file "$tool_files" "/usr/bin/$tool"; done
# Nothing built for tests or benchmarks ships.
if grep -qE 'triad-utilityd|testd|_bench' <<<"$files$tool_files"; then
  fail "a test or benchmark program is packaged"
fi

# The topology is configuration the operator edits: an upgrade keeps it.
flags=$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$main" | grep '^/etc/triad/topology.conf ' || true)
if [[ $flags == *c*n* ]]; then echo "ok   topology.conf is %config(noreplace) ($flags)"; else
  fail "topology.conf is not %config(noreplace): '$flags'"
fi

# The role map too (issue 17): an upgrade keeps the operators' roles.
flags=$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$main" | grep '^/etc/triad/operators.conf ' || true)
if [[ $flags == *c*n* ]]; then echo "ok   operators.conf is %config(noreplace) ($flags)"; else
  fail "operators.conf is not %config(noreplace): '$flags'"
fi

# The ELF programs are real, not stubs: a file over 100 kB.
size=$(rpm -qp --qf '[%{FILENAMES} %{FILESIZES}\n]' "$main" | awk '$1 == "/usr/bin/triad-firmd" { print $2 }')
if [ "${size:-0}" -gt 100000 ]; then echo "ok   triad-firmd is $size bytes"; else fail "triad-firmd is ${size:-0} bytes"; fi

scripts=$(rpm -qp --scripts "$main")
for scriptlet in "preinstall scriptlet" "postinstall scriptlet" "preuninstall scriptlet" \
  "postuninstall scriptlet"; do
  if grep -q "^$scriptlet" <<<"$scripts"; then echo "ok   has a $scriptlet"; else fail "no $scriptlet"; fi
done
for needle in "systemd-sysusers" "systemd-tmpfiles --create" "systemctl --no-reload preset" \
  "systemctl --no-reload disable --now" "systemctl daemon-reload" "try-restart"; do
  if grep -qF "$needle" <<<"$scripts"; then echo "ok   scriptlets run $needle"; else fail "scriptlets lack $needle"; fi
done

requires=$(rpm -qpR "$main")
tool_requires=$(rpm -qpR "$tools")
if grep -q '^systemd' <<<"$requires"; then echo "ok   triad requires systemd"; else fail "triad does not require systemd"; fi
if grep -q '^triad = ' <<<"$tool_requires"; then echo "ok   triad-tools requires triad"; else fail "triad-tools does not require triad"; fi
if grep -q 'libdb_cxx' <<<"$requires"; then echo "ok   triad requires Berkeley DB's library"; else fail "no automatic library requirement (libdb_cxx)"; fi

echo
rpm -qip "$main" | sed -n '1,4p'
echo "$(grep -c . <<<"$files") files in $(basename "$main"), $(grep -c . <<<"$tool_files") in $(basename "$tools")"
exit $failed
