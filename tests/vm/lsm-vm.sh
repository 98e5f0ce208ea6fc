#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/vm/lsm-vm.sh GUEST-SCRIPT: boots Debian 12's own kernel (6.1, CONFIG_BPF_LSM=y,
# BTF) in qemu under TCG with bpf in its LSM list, and runs GUEST-SCRIPT there as
# root with the freshly built buildward. Prints the guest's serial console; the
# guest's results are the lines it starts with "BWTAP ". Used by
# tests/integration/t-lsm.sh, for hosts (like the CI's) that refuse LSM programs.
#
#   BUILDWARD     the binary to test
#   BW_VM_CACHE   where the kernel package is kept (default /var/cache/buildward/vm)
#   BW_VM_WORK    a scratch directory (the initramfs is built there)
#   BW_VM_TIMEOUT seconds the VM may run (default 600: under meson's 900, so a hung VM is
#                 reported by t-lsm itself; a passing run takes about 70 s)
#
# Exits 77 with the reason on stdout when something it needs is missing (qemu,
# busybox, the kernel package): the caller skips, never passes.
# Network: apt-get download from the configured Debian mirror only; the VM has
# no network device (-nic none).
set -euo pipefail
guest=$1
: "${BUILDWARD:?BUILDWARD must point at the built binary}"
: "${BW_VM_WORK:?BW_VM_WORK must name a scratch directory}"
cache=${BW_VM_CACHE:-/var/cache/buildward/vm}
skip() { echo "$*"; exit 77; }

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is missing (scripts/bootstrap installs qemu-system-x86)"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || skip "a static busybox is missing (scripts/bootstrap installs busybox-static)"

# The kernel: the package linux-image-amd64 depends on, downloaded, never installed.
mkdir -p "$cache"
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package index: apt-get update)"
deb=$(ls "$cache/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
        (cd "$cache" && apt-get download "$pkg" >"$cache/download.log" 2>&1) ||
                skip "cannot download $pkg: $(tail -n 1 "$cache/download.log")"
        deb=$(ls "$cache/${pkg}_"*.deb | head -n 1)
fi
kdir=$cache/${pkg}
# Only what the VM boots with: the kernel, its config, and the modules the guest loads
# (the whole package unpacks to 400 MB).
if [ ! -e "$kdir/.extracted" ]; then
        rm -rf "$kdir"
        mkdir -p "$kdir"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" --wildcards './boot/vmlinuz-*' './boot/config-*' \
                './lib/modules/*/kernel/fs/overlayfs/*' || skip "cannot unpack $deb"
        touch "$kdir/.extracted"
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
config=$kdir/boot/config-$kver
grep -q '^CONFIG_BPF_LSM=y' "$config" || skip "$pkg is built without CONFIG_BPF_LSM"
# The kernel's own LSM order, with bpf kept and the ones that need a policy left out.
lsm=landlock,lockdown,yama,bpf

# The guest's root: busybox, buildward and its libraries, the signer, the release tool and their libraries.
root=$BW_VM_WORK/root
rm -rf "$root"
mkdir -p "$root"/{usr/bin,usr/lib/x86_64-linux-gnu,usr/lib64,opt/bw,opt/tc/bin,work/src/keys,work/src/secrets,modules}
mkdir -p "$root"/{proc,sys,dev,tmp,run,etc,root,var/tmp,newroot}
ln -s usr/bin "$root/bin"
ln -s usr/bin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
cp "$busybox" "$root/usr/bin/busybox"
for a in $("$busybox" --list); do
        [ -e "$root/usr/bin/$a" ] || ln -s busybox "$root/usr/bin/$a"
done
copy_with_libs() { # copy_with_libs FILE DEST: FILE, and the shared libraries it loads, into the guest
        cp "$1" "$root/$2"
        ldd "$1" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r l; do
                real=$(readlink -f "$l")
                case $l in
                */ld-linux*) cp -L "$real" "$root/usr/lib64/$(basename "$l")" ;;
                *) cp -L "$real" "$root/usr/lib/x86_64-linux-gnu/$(basename "$l")" ;;
                esac
        done
}
copy_with_libs "$BUILDWARD" opt/bw/buildward
# dlopen()ed, so ldd does not list it: it hashes the policy and signs in the guest's runs
libcrypto=$(ldconfig -p | awk '/libcrypto\.so\.3 .*x86-64/ { print $NF; exit }')
[ -n "$libcrypto" ] || skip "libcrypto.so.3 is missing (scripts/bootstrap installs libssl3)"
copy_with_libs "$libcrypto" usr/lib/x86_64-linux-gnu/libcrypto.so.3
# The sealed signer: reads the file it is given, says why when it cannot.
cat >"$BW_VM_WORK/signer.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
        FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
        char b[256];
        if (!f) {
                printf("open: %s\n", strerror(errno));
                return 2;
        }
        size_t n = fread(b, 1, sizeof(b), f);
        fclose(f);
        printf("signed with %zu key bytes\n", n);
        return 0;
}
C
gcc -O2 -o "$BW_VM_WORK/signer" "$BW_VM_WORK/signer.c" || skip "cannot compile the test signer"
copy_with_libs "$BW_VM_WORK/signer" opt/tc/bin/signer
# The sealed release tool: one call by path, as named (busybox's truncate opens the file instead of
# calling truncate(2); creat is open(O_CREAT | O_EXCL), mkfifo is mknod(2)); says the call and its
# error, so EPERM is told apart from the rest.
cat >"$BW_VM_WORK/fsop.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
        if (argc < 3)
                return 2;
        const char *op = argv[1], *a = argv[2], *b = argc > 3 ? argv[3] : "";
        int fd = -1;
        int r = !strcmp(op, "unlink")     ? unlink(a)
                : !strcmp(op, "rmdir")    ? rmdir(a)
                : !strcmp(op, "rename")   ? rename(a, b)
                : !strcmp(op, "link")     ? link(a, b)
                : !strcmp(op, "truncate") ? truncate(a, 0)
                : !strcmp(op, "creat")    ? (fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644))
                : !strcmp(op, "mkdir")    ? mkdir(a, 0755)
                : !strcmp(op, "mkfifo")   ? mknod(a, S_IFIFO | 0644, 0)
                : !strcmp(op, "symlink")  ? symlink(a, b) /* fsop symlink TARGET NAME, as symlink(2) */
                                          : (errno = EINVAL, -1);
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                printf("%s: %s\n", op, strerror(errno));
                return 1;
        }
        printf("%s: done\n", op);
        return 0;
}
C
gcc -O2 -o "$BW_VM_WORK/fsop" "$BW_VM_WORK/fsop.c" || skip "cannot compile the test release tool"
copy_with_libs "$BW_VM_WORK/fsop" opt/tc/bin/fsop
for m in fs/overlayfs/overlay.ko; do
        f=$(ls "$kdir/lib/modules/$kver/kernel/$m"* | head -n 1)
        case $f in
        *.xz) xz -dc "$f" >"$root/modules/$(basename "$m")" ;;
        *.zst) zstd -qdc "$f" >"$root/modules/$(basename "$m")" ;;
        *) cp "$f" "$root/modules/" ;;
        esac
done
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
cp "$guest" "$root/guest.sh"
cat >"$root/init" <<'INIT'
#!/bin/sh
# The initramfs is rootfs, where pivot_root (the sandbox's) fails: copy it into a
# tmpfs and switch there first.
if [ ! -e /.in-tmpfs ]; then
        mount -t proc proc /proc
        mount -t tmpfs -o size=700m tmpfs /newroot
        for d in /*; do
                case $d in /newroot|/proc) ;; *) cp -a "$d" /newroot/ ;; esac
        done
        mkdir -p /newroot/proc /newroot/newroot
        touch /newroot/.in-tmpfs
        umount /proc
        exec switch_root /newroot /init
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
insmod /modules/overlay.ko
ip link set lo up 2>/dev/null
sh /guest.sh
echo "BWDONE"
poweroff -f
INIT
chmod 0755 "$root/init" "$root/guest.sh"
(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$BW_VM_WORK/initrd.gz"

exec timeout -s KILL "${BW_VM_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G -nographic \
        -no-reboot -nic none -kernel "$vmlinuz" -initrd "$BW_VM_WORK/initrd.gz" \
        -append "console=ttyS0 panic=-1 quiet loglevel=1 lsm=$lsm"
