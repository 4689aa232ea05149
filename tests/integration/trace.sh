# --trace FILE: the timeline as Chrome trace event JSON (monitor/trace.c).
# A boot of the default initramfs running a short busybox workload: the
# file parses as JSON, the vCPU's slices per name are exactly --stats'
# counts of the same run, and the guest's processes, system calls, hidden
# faults and interrupt flows are there.  --trace-limit keeps the file
# within its size with the newest events.  Needs python3 to read the JSON.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp" "$OUT" "$ERR"' EXIT
INITRAMFS=${INITRAMFS:-build/initramfs.cpio.gz}

# traced ARGS...: the workload on busybox's shell, with --stats.
traced() {
	printf 'echo traced; ls /bin >/dev/null; cat /proc/self/stat >/dev/null; exit 0\n' |
		timeout "$(limit 300)" "$TRAPVISOR" --initrd "$INITRAMFS" --stats "$@" >"$OUT" 2>"$ERR"
	STATUS=$?
}

# check.py TRACE STATS MODE: the checks below, one line per failure.
cat >"$tmp/check.py" <<'PY'
import json, re, sys
path, stats_path, mode = sys.argv[1:4]
t = json.load(open(path))
ev = t["traceEvents"]
other = t["otherData"]
bad = []
def fail(s): bad.append(s)
if mode == "full":
    # --stats' three tables, row by row: section title -> category.
    cats = {"emulated instructions": "emulated instruction", "other stops": "stop",
            "port I/O": "port I/O"}
    want, cat = {}, None
    for line in open(stats_path):
        m = re.match(r"^(\S.*?)\s{2,}count\s", line)
        if m:
            cat = cats.get(m.group(1).strip())
            continue
        m = re.match(r"^  (.+?)\s+(\d+)\s+[\d.]+\s+[\d.]+$", line)
        if cat and m and m.group(1) != "total":
            want[(cat, m.group(1))] = int(m.group(2))
        elif not line.strip():
            cat = None
    got = {}
    for e in ev:
        if e.get("ph") == "X" and e["pid"] == 1000000 and e["tid"] == 1:
            got[(e["cat"], e["name"])] = got.get((e["cat"], e["name"]), 0) + 1
    if not want:
        fail("no --stats rows read")
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            fail("%s %r: --stats %s, trace %s" % (k[0], k[1], want.get(k), got.get(k)))
    if other["dropped_events"] != 0:
        fail("dropped %d events under the default limit" % other["dropped_events"])
    names = {e["args"]["name"] for e in ev if e.get("name") == "process_name"}
    # busybox's ash runs an applet either by executing /bin/NAME or, from a
    # vfork'ed child, by executing /proc/self/exe, whose process Linux too
    # names "exe": which one depends on how the shell read its input.
    for want in (("guest init",), ("guest sh",), ("guest ls", "guest exe"), ("guest cat", "guest exe")):
        if not any(p in names for p in want):
            fail("no process track %s (have %s)" % (" or ".join(want), sorted(names)))
    sys_names = {e["name"] for e in ev if e.get("cat") == "syscall"}
    for s in ("execve", "write", "openat", "exit_group"):
        if s not in sys_names:
            fail("no %s system call slice" % s)
    if any(e["pid"] < 1 or e["pid"] >= 1000000 for e in ev if e.get("cat") == "syscall"):
        fail("a system call outside a guest process's track")
    for n in ("hidden fault", "page-table write"):
        if not any(e.get("ph") == "i" and e["name"] == n for e in ev):
            fail("no %r instant" % n)
    # Slices on one track nest (what the viewers need to draw them).
    tracks = {}
    for e in ev:
        if e.get("ph") == "X":
            tracks.setdefault((e["pid"], e["tid"]), []).append(e)
    for k, xs in tracks.items():
        stack = []
        for e in sorted(xs, key=lambda e: (e["ts"], -e["dur"])):
            end = e["ts"] + e["dur"]
            while stack and stack[-1][0] <= e["ts"] + 1e-6:
                stack.pop()
            if stack and end > stack[-1][0] + 1e-6:
                fail("on track %s %r [%.3f, %.3f] overlaps %r without nesting"
                     % (k, e["name"], e["ts"], end, stack[-1][1]))
                break
            stack.append((end, e["name"]))
    starts = {e["id"] for e in ev if e.get("ph") == "s"}
    ends = {e["id"] for e in ev if e.get("ph") == "f"}
    if not starts or starts != ends:
        fail("interrupt flows: %d starts, %d ends" % (len(starts), len(ends)))
else:
    import os
    limit = int(mode)
    size = os.path.getsize(path)
    if size > limit:
        fail("file is %d bytes, over --trace-limit %d" % (size, limit))
    if other["dropped_events"] <= 0:
        fail("nothing dropped: the run fit anyway, the test shows nothing")
    xs = [e for e in ev if e.get("ph") == "X"]
    if not xs or not any("debug-exit" in e["name"] for e in xs[-10:]):
        fail("the newest events (the shutdown's debug-exit port) are not kept")
for b in bad:
    print(b)
PY

traced --trace "$tmp/t.json"
expect_status 0
expect_out 'traced'
python3 "$tmp/check.py" "$tmp/t.json" "$ERR" full >"$tmp/why" 2>&1 || echo "check.py failed" >>"$tmp/why"
[ -s "$tmp/why" ] && why+="$(head -5 "$tmp/why" | tr '\n' ';') "
report "--trace: a busybox workload's timeline is JSON and its stops are --stats' counts"

traced --trace "$tmp/small.json" --trace-limit 64K
expect_status 0
python3 "$tmp/check.py" "$tmp/small.json" "$ERR" 65536 >"$tmp/why" 2>&1 || echo "check.py failed" >>"$tmp/why"
[ -s "$tmp/why" ] && why+="$(head -5 "$tmp/why" | tr '\n' ';') "
report "--trace-limit 64K: the file stays within it and keeps the newest events"

boot --trace "$tmp/x.json" --trace-limit 1K
expect_status 2
expect_err 'trapvisor: --trace-limit 1K: expected a size from 64K to 64G'
expect_err_lines 1
boot --trace "$tmp/no/such/dir/t.json"
expect_status 2
expect_err "trapvisor: --trace $tmp/no/such/dir/t.json: No such file or directory"
report "--trace: a bad limit or an unwritable file is refused before the guest runs"
