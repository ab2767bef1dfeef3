#!/usr/bin/env bash
# CTest: every systemd unit in packaging/systemd passes `systemd-analyze
# verify` with no warning at all, and its `systemd-analyze security` exposure
# score is printed (and must stay below 2.0, "OK").
#
# verify checks that ExecStart= names an executable, so the units are copied
# into a temporary folder with /usr/bin/ replaced by a folder of stub
# programs; templates are verified through one instance each. Needs no root.
#
#   packaging/verify_units.sh [SOURCE_DIR]
set -euo pipefail
source_dir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
units_dir="$source_dir/packaging/systemd"
max_exposure=2.0

work=$(mktemp -d -t triad-units-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/units"

failed=0
checked=0
for unit in "$units_dir"/*.service "$units_dir"/*.target; do
  name=$(basename "$unit")
  # Stubs for every program the unit starts.
  for program in $(sed -n 's#^ExecStart=[-@:+!]*/usr/bin/\([^ ]*\).*#\1#p' "$unit"); do
    printf '#!/bin/sh\nexit 0\n' >"$work/bin/$program"
    chmod +x "$work/bin/$program"
  done
  # A template is verified as one instance: the id a site would use.
  case $name in
    triad-brokerd@.service) instance=${name/@./@firm.} ;;
    triad-exchanged@.service) instance=${name/@./@xnys.} ;;
    triad-streetd@.service) instance=${name/@./@ss1.} ;;
    *@.service) instance=${name/@./@cf1.} ;;
    *) instance=$name ;;
  esac
  sed "s#/usr/bin/#$work/bin/#g" "$unit" >"$work/units/$instance"
  checked=$((checked + 1))
done

cd "$work/units"
for instance in *; do
  # Warnings (an unknown key, a bad value) go to stderr with exit 0: any
  # output at all fails the unit.
  if ! output=$(systemd-analyze verify --man=no --generators=no "./$instance" 2>&1) ||
    [ -n "$output" ]; then
    echo "FAIL verify $instance:"
    echo "$output"
    failed=1
    continue
  fi
  echo "ok   verify $instance"
done

echo
echo "systemd-analyze security --offline=yes (exposure, 0 = best, 10 = worst):"
for instance in *.service; do
  score=$(systemd-analyze security --offline=yes --no-pager "./$instance" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
  if [ -z "$score" ]; then
    echo "FAIL security $instance: no score"
    failed=1
    continue
  fi
  printf '  %-32s %s\n' "$instance" "$score"
  if awk -v s="${score%% *}" -v m="$max_exposure" 'BEGIN { exit !(s >= m) }'; then
    echo "FAIL security $instance: exposure ${score%% *} is not below $max_exposure"
    failed=1
  fi
done

if [ "$checked" -lt 6 ]; then
  echo "FAIL: only $checked units found in $units_dir"
  failed=1
fi
exit $failed
