#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Path policies refused in the kernel (BPF-LSM; docs/integrity.md, "Path
# policies"). This host's doctor line first; then, since CI hosts refuse LSM
# programs, the refusal itself in a VM: qemu under TCG boots Debian 12's own
# kernel with bpf in its LSM list and runs tests/vm/lsm-guest.sh with this
# buildward (tests/vm/lsm-vm.sh). The guest's checks are relayed one by one.
#
# Safety (TESTING.md): the VM has no network device; the only download is the
# kernel package, by apt-get from the configured Debian mirror.
. "$(dirname "$0")/lib.sh"
require_root
vm=$(cd "$(dirname "$0")/../vm" && pwd)

# -- this host: doctor says which mode it gets, and why
secfs_before=$(grep -c ' /sys/kernel/security ' /proc/self/mountinfo)
"$BUILDWARD" doctor >"$TEST_TMP/doctor.out" 2>&1
expect_eq "doctor leaves the host's mounts as they were (securityfs is read in a namespace of its own)" \
        "$secfs_before" "$(grep -c ' /sys/kernel/security ' /proc/self/mountinfo)"
line=$(grep '^path policies' "$TEST_TMP/doctor.out")
if "$BUILDWARD" doctor --json 2>/dev/null | grep -q '"refused in the kernel'; then
        expect_match "doctor on this host: path policies refused in the kernel" 'refused in the kernel \(BPF-LSM' "$line"
else
        expect_match "doctor on this host (no usable BPF-LSM): path policies detected only, with the reason" \
                '^path policies +yes +detected only \((BPF-LSM is enabled, .*but |BPF-LSM not enabled|BPF-LSM state unknown)' \
                "$line"
fi

# -- this host: a run with a protecting policy says in report.json which mode it got
SRC=$TEST_TMP/src
mkdir -p "$SRC/keys"
echo "not a real key" >"$SRC/keys/k"
printf 'version: 1\nprotect:\n  - path: %s/keys/**\n    read: []\n    reason: nobody reads it\n' "$SRC" \
        >"$TEST_TMP/policy.yml"
run_build host --policy "$TEST_TMP/policy.yml" -- true
if [ "$(rj 'd["monitor"]["enabled"]')" != true ]; then
        skip "the eBPF monitor is unavailable here" "this host: report.json says which mode path policies got"
elif grep -q 'refused in the kernel (BPF-LSM' "$TEST_TMP/doctor.out"; then
        expect_eq "this host: report.json says path policies are refused in the kernel" \
                "refused in the kernel and detected" "$(rj 'd["monitor"]["path_policies"]["mode"]')"
else
        expect_eq "this host: report.json says path policies are detected only, with the reason" \
                '["detected", true]' "$(rj '[d["monitor"]["path_policies"]["mode"], bool(d["monitor"]["path_policies"]["reason"])]')"
        expect_match "this host: the entry is listed as detected only" "^\[\"$SRC/keys/\*\*\"\]$" \
                "$(rj 'd["monitor"]["path_policies"]["detected_only"]')"
        if grep -q 'BPF-LSM is enabled' "$TEST_TMP/doctor.out"; then
                expect_eq "this host refuses the LSM program: one warning names the cause" 1 \
                        "$(grep -c 'warning: path policies are detected, not refused in the kernel: the kernel refused' "$RUN_ERR")"
        fi
fi

# -- the VM
start=$(date +%s)
BW_VM_WORK=$TEST_TMP/vm "$vm/lsm-vm.sh" "$vm/lsm-guest.sh" >"$TEST_TMP/console" 2>"$TEST_TMP/vm.err"
rc=$?
if [ "$rc" = 77 ]; then
        skip "$(tail -n 1 "$TEST_TMP/console")" "path policies refused in the kernel, in a VM"
        done_testing
        exit
fi
diag "the VM ran $(($(date +%s) - start)) s (qemu exit $rc)"
n=0
while IFS= read -r l; do
        l=${l%$'\r'}
        case $l in
        "BWTAP ok - "*) ok "vm: ${l#BWTAP ok - }"; n=$((n + 1)) ;;
        "BWTAP not ok - "*) not_ok "vm: ${l#BWTAP not ok - }"; n=$((n + 1)) ;;
        "BWTAP #"*) diag "${l#BWTAP # }" ;;
        esac
done <"$TEST_TMP/console"
grep -q '^BWDONE' "$TEST_TMP/console" && ok "the guest ran every scenario and powered off" ||
        not_ok "the guest ran every scenario and powered off" "qemu exit $rc" \
                "$(grep -v '^BWTAP' "$TEST_TMP/console" | tail -n 15 | tr -d '\r')" "$(tail -n 3 "$TEST_TMP/vm.err")"
[ "$n" -ge 92 ] && ok "the guest reported all its checks ($n)" || not_ok "the guest reported all its checks" "only $n"
done_testing
