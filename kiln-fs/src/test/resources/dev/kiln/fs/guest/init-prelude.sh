#!/bin/sh
# The start of every boot-test /init (PID 1 in a busybox-only initramfs). LinuxGuest appends
# the test's own commands and a final power-off. Everything a test reads off the console is
# framed by KILN-* markers so kernel noise around it cannot be mistaken for results.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Only emergencies on the console from here on: partition scanning of small disks logs errors
# ("unable to read RDB block") that would otherwise land in the middle of a listing.
echo 1 > /proc/sys/kernel/printk

kiln_fail() {
  echo "KILN-GUEST-ERROR: $*"
  poweroff -f
  sleep 60
}

# Loads the modules LinuxGuest copied to /modules, in dependency order.
kiln_insmod() {
  for m in "$@"; do
    insmod "/modules/$m.ko" || kiln_fail "insmod $m"
  done
}

# Waits up to 20 s for a block device node: virtio disks are probed asynchronously after
# their driver loads, so /dev/vda may appear a moment after insmod returns.
kiln_wait_block() {
  i=0
  while [ ! -b "$1" ]; do
    i=$((i + 1))
    [ "$i" -gt 200 ] && kiln_fail "no block device $1 after 20 s"
    usleep 100000
  done
}

# Waits (up to 20 s) until N virtio disks exist, then mounts each read-only with type FSTYPE
# at /mnt/<serial>, the serial QEMU gave it (so a test never depends on vda/vdb naming order).
# Usage: kiln_mount_disks FSTYPE N
kiln_mount_disks() {
  i=0
  while [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -lt "$2" ]; do
    i=$((i + 1))
    [ "$i" -gt 200 ] && kiln_fail "fewer than $2 virtio disks after 20 s: $(ls /sys/block)"
    usleep 100000
  done
  for b in /sys/block/vd*; do
    d=${b##*/}
    s=$(cat "$b/serial")
    kiln_wait_block "/dev/$d"
    mkdir -p "/mnt/$s"
    mount -t "$1" -o ro "/dev/$d" "/mnt/$s" || kiln_fail "mount -t $1 /dev/$d (serial $s)"
    echo "KILN-MOUNTED $s /dev/$d"
  done
}

# Prints what the guest sees under a directory, one record per line, for GuestListing to parse:
#   S|<raw mode hex>|<nlink>|<ino>|<uid>|<gid>|<size>|<major hex>|<minor hex>|<mtime s>|<mtime text>|<path>
#   H|<sha256>  <path>                    (regular files)
#   L|<path> then T|<target>              (symlinks)
# Errors (a short read, EIO from a corrupt image) go to stderr, which is the console too, and
# show up inside the markers as lines the parser rejects.
kiln_listing() {
  echo "KILN-LISTING-BEGIN $1"
  find "$2" -exec stat -c 'S|%f|%h|%i|%u|%g|%s|%t|%T|%Y|%y|%n' {} + 2>&1
  find "$2" -type f -exec sha256sum {} + 2>&1 | sed 's/^/H|/'
  find "$2" -type l | while IFS= read -r l; do
    printf 'L|%s\n' "$l"
    printf 'T|%s\n' "$(readlink "$l")"
  done
  echo "KILN-LISTING-END $1"
}

echo "KILN-INIT-START uptime $(cat /proc/uptime)"
