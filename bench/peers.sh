#!/usr/bin/env bash
# Issue 13, step 5: trapvisor side by side with its peers.  The same static
# musl program, bench/micro.c (null system call, fork+exit+wait,
# fork+exec+wait, first touch of a page, mmap+munmap, mprotect, pipe round
# trip, a CPU-only loop, sha256 of 64 MiB, 1 MiB file write+read), runs
#   native     on the host
#   uml        in User Mode Linux (Debian's user-mode-linux, /usr/bin/linux.uml)
#   qemu       in QEMU TCG (qemu-system-x86_64 -accel tcg, Debian's
#              qemu-system-x86) with a Debian kernel (linux-image-amd64's
#              /boot/vmlinuz, fetched with apt-get download and unpacked
#              into build/peers/: the host's own boot is not touched)
#   trapvisor  in trapvisor, from the default initramfs (/bench/micro)
# every one pinned to the same host CPU (taskset -c, trapvisor --cpu):
# unpinned UML swings 2-4x from run to run.  UML and QEMU boot the same
# initramfs, Debian's busybox-static and micro with bench/peer-init.sh as
# /init.  Beside them, on the host, bench/sysemu_stop.c: one bare
# PTRACE_SYSEMU stop with GETREGS+SETREGS, the floor of a ptrace monitor.
#
# One run interleaves: PEERS_ROUNDS rounds, each of which boots every
# environment once in turn; in each, micro times every benchmark over
# PEERS_INNER rounds of at least PEERS_MS ms and prints their median (the
# trapvisor guest's clock moves at 10 ms ticks, so rounds must be long).
# The table gives, per environment, the median over the PEERS_ROUNDS of
# those medians.  An environment that does not boot or a benchmark that
# fails keeps its cell empty, with the reason under the table.
#
# Writes build/bench/peers.md (the table), build/bench/peers.csv (the
# medians), build/bench/peers-rounds.csv (every round), build/bench/peers.png
# (gnuplot), and each console under build/peers/.
#
# Installs what it needs and is missing (user-mode-linux, qemu-system-x86,
# gnuplot-nox) with tools/apt-install.sh when run as root; otherwise it
# names the apt-get command and leaves those columns out.  make test needs
# none of them.
#
# Environment:
#   PEERS_ROUNDS   interleaved rounds (default 3)
#   PEERS_INNER    micro's own rounds per boot (default 3)
#   PEERS_MS       least time of one of micro's rounds, ms (default 100)
#   PEERS_ENVS     which environments (default "native uml qemu trapvisor
#                  nofold signal"; nofold: trapvisor with --map-on-resume=off,
#                  for the fold's own table; signal: with --backend=signal)
#   PEERS_BENCHES  which benchmarks (default all; micro's names)
#   PEERS_CPU      the host CPU everything is pinned to (default the last)
#   PEERS_KERNEL   QEMU's kernel (default: Debian's, fetched as above)
#   PEERS_TIMEOUT  seconds one boot may take before it is killed (default 1200)
#   PEERS_TRAPVISOR_ARGS  more trapvisor options (e.g. --shadow-prefetch 16)
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=${PEERS_ROUNDS:-3}
INNER=${PEERS_INNER:-3}
MS=${PEERS_MS:-100}
ENVS=${PEERS_ENVS:-native uml qemu trapvisor nofold signal}
BENCHES=${PEERS_BENCHES:-all}
CPU=${PEERS_CPU:-$(($(nproc) - 1))}
TIMEOUT=${PEERS_TIMEOUT:-1200}
TV_ARGS=${PEERS_TRAPVISOR_ARGS:-}
for v in "PEERS_ROUNDS=$ROUNDS" "PEERS_INNER=$INNER" "PEERS_MS=$MS" "PEERS_CPU=$CPU" "PEERS_TIMEOUT=$TIMEOUT"; do
	case ${v#*=} in
	'' | *[!0-9]*) echo "peers.sh: $v: expected a whole number"; exit 2 ;;
	esac
done
[ "$ROUNDS" -ge 1 ] && [ "$INNER" -ge 1 ] && [ "$INNER" -le 99 ] && [ "$MS" -ge 1 ] ||
	{ echo "peers.sh: PEERS_ROUNDS and PEERS_MS must be 1 or more, PEERS_INNER 1 to 99"; exit 2; }
[ "$CPU" -lt "$(nproc)" ] || { echo "peers.sh: PEERS_CPU=$CPU: this host has CPUs 0 to $(($(nproc) - 1))"; exit 2; }
pd=build/peers
mkdir -p "$pd"
notes=$pd/notes.txt
: >"$notes"
note() { echo "peers: $*"; echo "$*" >>"$notes"; }
args="-r $INNER -t $MS $BENCHES"

for f in build/bench/micro "$B/trapvisor" build/guest-kernel.elf build/initramfs.cpio.gz; do
	[ -e "$f" ] || { echo "peers.sh: $f missing (make all builds it)"; exit 1; }
done
# micro's usage names its benchmarks.
known=" all $(build/bench/micro 2>&1 | sed -n 's/^  NAME: //p') "
for b in $BENCHES; do
	[[ $known == *" $b "* ]] || { echo "peers.sh: PEERS_BENCHES: $b: expected some of:$known"; exit 2; }
done
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$out/sysemu_stop" bench/sysemu_stop.c || exit 1

# ---- What the peers need ----
# need CMD PACKAGE: CMD, installed from PACKAGE if missing and we are root.
has() { command -v "$1" >/dev/null 2>&1; }
missing=""
need() {
	has "$1" || missing="$missing $2"
}
case " $ENVS " in *" uml "*) need linux.uml user-mode-linux ;; esac
case " $ENVS " in *" qemu "*) need qemu-system-x86_64 qemu-system-x86 ;; esac
need gnuplot gnuplot-nox
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "  APT    $missing (bench/peers.sh's peers and plot)"
		tools/apt-install.sh $missing || note "apt-get install$missing failed: what it gives is left out"
	else
		note "not root: run apt-get install$missing for the missing columns and the plot"
	fi
fi
envs=""
for e in $ENVS; do
	case $e in
	uml) has linux.uml || { note "UML: linux.uml is not installed (Debian's user-mode-linux): not measured"; continue; } ;;
	qemu) has qemu-system-x86_64 || { note "QEMU: qemu-system-x86_64 is not installed (Debian's qemu-system-x86): not measured"; continue; } ;;
	native | trapvisor | nofold | signal) ;;
	*) echo "peers.sh: PEERS_ENVS: $e: expected native, uml, qemu, trapvisor, nofold or signal"; exit 2 ;;
	esac
	envs="$envs $e"
done

# QEMU's kernel: Debian's current one, unpacked from its package alone.
kernel=${PEERS_KERNEL:-}
if [ -z "$kernel" ] && [[ " $envs " == *" qemu "* ]]; then
	kernel=$(ls "$pd"/boot/vmlinuz-* 2>/dev/null | head -1)
	if [ -z "$kernel" ]; then
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[^ ]*\).*/\1/p' | head -1)
		echo "  FETCH  $pkg (QEMU's kernel, into $pd/boot)"
		if [ -n "$pkg" ] && (cd "$pd" && apt-get download -q "$pkg" >/dev/null 2>&1); then
			dpkg-deb --fsys-tarfile "$pd/$pkg"_*.deb | tar -x -C "$pd" --wildcards './boot/vmlinuz-*'
			rm -f "$pd/$pkg"_*.deb
		fi
		kernel=$(ls "$pd"/boot/vmlinuz-* 2>/dev/null | head -1)
	fi
	[ -n "$kernel" ] || { note "QEMU: no Debian kernel (apt-get download linux-image-amd64's kernel failed; PEERS_KERNEL=FILE gives one): not measured"; envs=${envs/ qemu/}; }
fi

# The peers' initramfs: busybox-static, micro, bench/peer-init.sh as /init.
cpio=$pd/initramfs.cpio
rm -rf "$pd/root"
mkdir -p "$pd/root/bin" "$pd/root/bench" "$pd/root/tmp" "$pd/root/proc" "$pd/root/dev"
cp /bin/busybox "$pd/root/bin/busybox"
ln -s busybox "$pd/root/bin/sh"
cp build/bench/micro "$pd/root/bench/micro"
cp bench/peer-init.sh "$pd/root/init"
chmod 1777 "$pd/root/tmp"
(cd "$pd/root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$cpio"

# ---- The runs ----
# boot ENV ROUND: micro once in ENV, console to $pd/ENV-ROUND.txt.
boot() {
	local con=$pd/$1-$2.txt marks=$pd/$1-$2-marks.csv
	rm -f "$marks"
	case $1 in
	native) timeout -k 10 "$TIMEOUT" taskset -c "$CPU" build/bench/micro $args ;;
	uml) timeout -k 10 "$TIMEOUT" taskset -c "$CPU" linux.uml mem=256M initrd="$cpio" \
		con0=fd:0,fd:1 con=null quiet -- $args ;;
	qemu) timeout -k 10 "$TIMEOUT" taskset -c "$CPU" qemu-system-x86_64 -accel tcg -m 512M -smp 1 \
		-nographic -no-reboot -nic none -kernel "$kernel" -initrd "$cpio" \
		-append "console=ttyS0 quiet panic=-1 -- $args" ;;
	trapvisor | nofold | signal) timeout -k 10 "$TIMEOUT" "$B/trapvisor" --cpu "$CPU" $TV_ARGS \
		$([ "$1" = signal ] && echo --backend=signal) \
		$([ "$1" = nofold ] && echo --map-on-resume=off) --initrd build/initramfs.cpio.gz \
		--bench-log "$marks" --append "-- /bench/guest.sh /bench/micro -m $args" build/guest-kernel.elf ;;
	esac </dev/null 2>&1 | tr -d '\r' | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' >"$con"
	local rc=${PIPESTATUS[0]}
	if ! grep -q '^micro: ' "$con"; then
		note "$1, round $2: no results (exit status $rc); the console's end: $(grep -v '^$' "$con" | tail -2 | tr '\n' ' ' | cut -c1-200)"
		return
	fi
	grep '^micro: [^ ]* failed: ' "$con" | while read -r _ name _ why; do
		note "$1: $name failed: $why"
	done
	# In trapvisor, the host's clock at micro's marks replaces the
	# guest's (kept as guest_clock_ns), with the monitor's hand-offs per op.
	awk -v env="$1" -v round="$2" -v marks="$marks" '
		function sort(a, n,    i, j, t) {
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		}
		BEGIN { while ((getline l < marks) > 0) {
			# Host hand-offs: stops, and batches not folded into a resume.
			split(l, f, ","); if (f[1] ~ /^[0-9]+$/) { ns[f[1]] = f[2]; st[f[1]] = f[3] + f[12] - f[13] } } }
		$1 == "micro-phase:" && ((2 * $2) in ns) && ((2 * $2 + 1) in ns) {
			c = ++cnt[$3]; per[$3, c] = (ns[2 * $2 + 1] - ns[2 * $2]) / $4
			sp[$3, c] = (st[2 * $2 + 1] - st[2 * $2]) / $4 }
		$1 == "micro:" && $3 ~ /^[0-9]+$/ {
			med = $5; mn = $6; gc = ""; stops = ""
			if (cnt[$2]) {
				n = cnt[$2]; delete a; delete b
				for (i = 1; i <= n; i++) { a[i] = per[$2, i]; b[i] = sp[$2, i] }
				sort(a, n); sort(b, n)
				gc = $5; med = a[int((n + 1) / 2)]; mn = a[1]; stops = b[int((n + 1) / 2)]
			}
			printf "%s,%s,%s,%s,%s,%.1f,%.1f,%s,%s\n", env, round, $2, $3, $4, med, mn, gc, stops }' "$con" >>"$rcsv"
	sed -n "s/^micro: sha256 digest \([0-9a-f]*\)/$1,\1/p" "$con" >>"$pd/digests.txt"
}

rcsv=$out/peers-rounds.csv
echo "env,round,bench,ops,inner_rounds,median_ns,min_ns,guest_clock_ns,stops_per_op" >"$rcsv"
: >"$pd/digests.txt"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
echo "peers: $ROUNDS interleaved rounds of:$envs, pinned to CPU $CPU; micro $args"
for round in $(seq 1 "$ROUNDS"); do
	for e in $envs; do
		echo "  round $round: $e"
		boot "$e" "$round"
	done
	for v in "" "-p 2" "-t" "-T" "-g"; do
		# shellcheck disable=SC2086 # $v: options or nothing
		taskset -c "$CPU" "$out/sysemu_stop" -r "$INNER" $v |
			awk -v round="$round" '$1 == "micro:" { printf "host,%s,%s,%s,%s,%s,%s,,\n", round, $2, $3, $4, $5, $6 }' >>"$rcsv"
	done
done
secs=$(($(date +%s) - t0))
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# A wrong digest is a wrong answer, not a time.  The right one is
# Python's hashlib.sha256 over the same 64 MiB (micro.c's b_sha256).
ref=bf2f7714b125fd80589563f586edb56381b5b87c0d93cb3dc398820c30a90478
awk -F, -v ref="$ref" '$2 != ref { print $1 }' "$pd/digests.txt" | sort -u | while read -r e; do
	note "$e: sha256 gave a wrong digest (not $ref): its sha256 cells are left out"
	sed -i "/^$e,[0-9]*,sha256,/d" "$rcsv"
done

# ---- The table ----
{
	echo "# trapvisor and its peers: time per operation"
	echo
	echo "\`PEERS_ROUNDS=$ROUNDS PEERS_INNER=$INNER PEERS_MS=$MS bench/peers.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "$secs s. Host: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs, Linux $(uname -r);"
	echo "everything pinned to CPU $CPU; load average $load0 at the start, $load1 at the end"
	[[ " $envs " != *" uml "* ]] || echo "UML: Debian's linux.uml $(dpkg-query -W -f '${Version}' user-mode-linux 2>/dev/null), mem=256M;"
	[[ " $envs " != *" qemu "* ]] || echo "QEMU: $(qemu-system-x86_64 --version | head -1 | sed 's/ *(.*//'), -accel tcg -m 512M, kernel $(basename "$kernel");"
	echo "trapvisor: $(git rev-parse --short HEAD 2>/dev/null), default options but --cpu $CPU${TV_ARGS:+ $TV_ARGS}, times by the host's clock at micro's marks."
	echo "(other work on the machine shares that CPU: compare columns, not runs)."
	echo "Hand-offs: the context processes' stops, and the batches of mapping changes that took a stop of their own (not folded into a resume)."
	echo "Median over $ROUNDS interleaved rounds of micro's median over $INNER rounds of at least $MS ms"
	echo "(bench/micro.c, static musl, the same binary everywhere)."
	echo
} >"$pd/header.md"
# Two tables (medians; fastest rounds), peers.csv and the plot's data:
# per benchmark and environment, the median over rounds of micro's
# medians, and the fastest round of all; "" where there is none.
awk -F, -v csv="$out/peers.csv" -v dat="$pd/ratios.dat" \
    -v md="$out/peers.md" -v hdr="$pd/header.md" -v notes="$notes" '
	function median(list,    n, i, j, t, a) {
		n = split(list, a, " ")
		if (n == 0) return ""
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return a[int((n + 1) / 2)]
	}
	function show(ns) {
		if (ns == "") return ""
		if (ns < 1000) return sprintf("%.0f ns", ns)
		if (ns < 1e6) return sprintf("%.2f us", ns / 1e3)
		if (ns < 1e9) return sprintf("%.2f ms", ns / 1e6)
		return sprintf("%.2f s", ns / 1e9)
	}
	function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : sprintf("%.2fx", a / b) }
	function per_native(x, n) { return (x == "" || n == "") ? "?" : x / n }
	# table(WHICH): the rows of one table, WHICH "med" or "min".
	function table(which,    i, b, n, u, q, t, k, g) {
		for (i = 1; i <= 10; i++) {
			b = order[i]
			n = val[which, "native", b]; u = val[which, "uml", b]
			q = val[which, "qemu", b]; t = val[which, "trapvisor", b]
			g = val[which, "signal", b]
			if (n u q t g == "") continue
			k = median(stops[b])
			printf "| %s | %s | %s | %s | %s | %s | %s |%s %s | %s |\n", label[b], show(n), show(u), show(q), show(t),
				ratio(t, u), ratio(t, n), which == "med" ? " " (k == "" ? "" : sprintf("%.1f", k)) " |" : "",
				show(g), ratio(g, u) > md
			if (which != "med") continue
			printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", b, n, u, q, t, ratio(t, u), ratio(t, n), k, g, ratio(g, u) > csv
			printf "%s %s %s %s\n", b, per_native(u, n), per_native(q, n), per_native(t, n) > dat
		}
	}
	# The fold (docs/ARCHITECTURE.md, "Folding the mappings into the
	# resume"): the ptrace backend with and without it, side by side.
	function fold_table(    i, b, t, f) {
		for (i = 1; i <= 10; i++)
			if (val["med", "nofold", order[i]] != "") break
		if (i > 10) return
		print "" > md
		print "The ptrace backend without folding the last mapping changes of a context into its resume (`--map-on-resume=off`), in the same rounds:" > md
		print "" > md
		print "| benchmark | trapvisor | hand-offs/op | --map-on-resume=off | hand-offs/op | off/on |" > md
		print "|---|---:|---:|---:|---:|---:|" > md
		for (i = 1; i <= 10; i++) {
			b = order[i]; t = val["med", "trapvisor", b]; f = val["med", "nofold", b]
			if (t f == "") continue
			printf "| %s | %s | %s | %s | %s | %s |\n", label[b], show(t), median(stops[b]) == "" ? "" : sprintf("%.1f", median(stops[b])),
				show(f), median(stopsn[b]) == "" ? "" : sprintf("%.1f", median(stopsn[b])), ratio(f, t) > md
			printf "nofold-%s,,,,%s,,,%s,,\n", b, f, median(stopsn[b]) > csv
		}
	}
	NR > 1 {
		meds[$1, $3] = meds[$1, $3] " " $6
		if (!(($1, $3) in best) || $7 + 0 < best[$1, $3]) best[$1, $3] = $7 + 0
		if ($1 == "trapvisor" && $9 != "") stops[$3] = stops[$3] " " $9
		if ($1 == "nofold" && $9 != "") stopsn[$3] = stopsn[$3] " " $9
	}
	END {
		split("getpid fork forkexec touch mmap mprotect pipe cpu sha256 file", order, " ")
		split("native uml qemu trapvisor signal nofold", envs, " ")
		for (i = 1; i <= 10; i++)
			for (e = 1; e <= 6; e++) {
				val["med", envs[e], order[i]] = median(meds[envs[e], order[i]])
				val["min", envs[e], order[i]] = ((envs[e], order[i]) in best) ? best[envs[e], order[i]] : ""
			}
		label["getpid"] = "null system call (getpid)"
		label["fork"] = "fork + exit + wait"
		label["forkexec"] = "fork + exec + wait"
		label["touch"] = "first touch of a page (per page)"
		label["mmap"] = "mmap + munmap of a page"
		label["mprotect"] = "mprotect of a page"
		label["pipe"] = "pipe round trip, 2 processes"
		label["cpu"] = "CPU-only loop (1000 xorshift steps)"
		label["sha256"] = "sha256 of 64 MiB"
		label["file"] = "1 MiB file write + read, /tmp"
		while ((getline l < hdr) > 0) print l > md
		print "| benchmark | native | UML pinned | QEMU TCG | trapvisor | trapvisor/UML | trapvisor/native | trapvisor hand-offs/op | trapvisor, signal backend | signal/UML |" > md
		print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" > md
		print "bench,native_ns,uml_ns,qemu_ns,trapvisor_ns,trapvisor_per_uml,trapvisor_per_native,trapvisor_stops_per_op,signal_ns,signal_per_uml" > csv
		table("med")
		fold_table()
		s = median(meds["host", "sysemu-stop"])
		print "" > md
		if (s != "") {
			printf "One bare PTRACE_SYSEMU stop with GETREGS+SETREGS on the host, pinned (bench/sysemu_stop.c): %s.\n", show(s) > md
			u = val["med", "uml", "getpid"]; t = val["med", "trapvisor", "getpid"]
			if (t != "") printf "A guest getpid costs %s such stops in trapvisor", ratio(t, s) > md
			if (u != "") printf "%s %s in UML pinned", (t != "" ? "," : "A guest getpid costs"), ratio(u, s) > md
			if (t u != "") print "." > md
			printf "sysemu-stop,%s,,,,,,,,\n", s > csv
			# The variants (bench/sysemu_stop.c): two address spaces in
			# turn, as a guest system call stops the user context and
			# then the kernel context; and the task-switch penalty.
			s2 = median(meds["host", "sysemu-stop-2proc"])
			if (s2 != "") {
				printf "Two traced processes stopped in turn (a guest system call stops the user context, then the kernel context): %s per stop", show(s2) > md
				if (t != "") printf "; a guest getpid costs %s of those (2 is the floor of this design)", ratio(t, s2) > md
				print "." > md
				printf "sysemu-stop-2proc,%s,,,,,,,,\n", s2 > csv
			}
			st = median(meds["host", "sysemu-stop-tsd"]); sm = median(meds["host", "sysemu-stop-tsd-matched"])
			if (st != "" && sm != "") {
				printf "The task-switch penalty: a stop of a child with RDTSC trapping costs %s when the tracer has it too, %s when not (%s).\n",
					show(sm), show(st), ratio(st, sm) > md
				printf "sysemu-stop-tsd,%s,,,,,,,,\nsysemu-stop-tsd-matched,%s,,,,,,,,\n", st, sm > csv
			}
			sg = median(meds["host", "gp-stop"])
			if (sg != "") {
				printf "An exception stop (#GP, with GETSIGINFO) costs %s, %s a system-call stop (what the guest kernel gate saves).\n",
					show(sg), ratio(sg, s) > md
				printf "gp-stop,%s,,,,,,,,\n", sg > csv
			}
		}
		print "" > md
		print "The fastest round of each (the least disturbed by other work on the CPU):" > md
		print "" > md
		print "| benchmark | native | UML pinned | QEMU TCG | trapvisor | trapvisor/UML | trapvisor/native | trapvisor, signal backend | signal/UML |" > md
		print "|---|---:|---:|---:|---:|---:|---:|---:|---:|" > md
		table("min")
		if (("host", "sysemu-stop") in best)
			printf "\nThe bare stop, fastest round: %s; a guest getpid in trapvisor, %s of it.\n",
				show(best["host", "sysemu-stop"]), ratio(val["min", "trapvisor", "getpid"], best["host", "sysemu-stop"]) > md
		first = 1
		while ((getline l < notes) > 0) {
			if (first) { print "" > md; print "Left out or failed:" > md; first = 0 }
			if (!(l in seen)) print "- " l > md
			seen[l] = 1
		}
	}' "$rcsv"
cat "$out/peers.md"

# ---- The plot: each peer's time over native's, per benchmark ----
if ! has gnuplot; then
	echo "peers: gnuplot is not installed (Debian's gnuplot-nox): no plot"
elif [ ! -s "$pd/ratios.dat" ]; then
	echo "peers: nothing to plot"
else
	# One bar per peer that has a number somewhere (xtic: the first one).
	plots="" xtic=":xtic(1)"
	for c in "2 UML pinned" "3 QEMU TCG" "4 trapvisor"; do
		awk -v c="${c%% *}" '$c != "?" { found = 1 } END { exit !found }' "$pd/ratios.dat" || continue
		plots="$plots${plots:+, }\"$pd/ratios.dat\" using ${c%% *}$xtic title \"${c#* }\""
		xtic=""
	done
	gnuplot <<-EOF && echo "plot: $out/peers.png"
		set terminal pngcairo size 1100,560 noenhanced
		set output "$out/peers.png"
		set title "time over native's, median of $ROUNDS interleaved rounds (log scale; lower is better)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set datafile missing "?"
		set logscale y
		set grid ytics
		set ylabel "x native"
		set xtics rotate by -25
		set key outside top center horizontal
		plot $plots
	EOF
fi
echo "raw numbers: $rcsv; consoles: $pd/"
