# Shadow paging under stress: a guest that forks (copy-on-write), maps,
# unmaps and remaps memory, frees page tables and reuses them as data, with
# more live address spaces than the context pool, while the checker compares
# every shadow mapping with the guest tables every 1000 stops.
. "$(dirname "$0")/lib.sh"

# Three rounds (about 170k entry changes), given through the shell: the
# whole eight of run=ptstress take minutes on a slow host.
printf 'ptstress 3\n' | timeout "$(limit 300)" "$TRAPVISOR" --stats --shadow-check=1000 \
	--shadow-contexts 8 --append init=sh >"$OUT" 2>"$ERR"
STATUS=$?
expect_status 0
expect_out 'ptstress: ok'
expect_no_out 'MISMATCH'
changed=$(err_number 'entries changed ')
recycled=$(err_number 'recycled ')
checks=$(err_number 'checks ' ' ')
[ "${changed:-0}" -ge 100000 ] || why+="only ${changed:-0} page-table entries changed; "
[ "${recycled:-0}" -gt 0 ] || why+="no context was recycled; "
[ "${checks:-0}" -gt 0 ] || why+="the checker never ran; "
report "ptstress: ${changed:-0} page-table changes, ${recycled:-0} context recycles, ${checks:-0} checks, no mismatch"

boot --append "run=cowtest,proctests"
expect_status 0
expect_out 'cowtest: ok'
expect_out 'proctests: ok'
report "copy-on-write fork semantics, checked at every stop"

boot --shadow-prefetch 16 --stats --append "run=cowtest,proctests"
expect_status 0
expect_out 'cowtest: ok'
expect_out 'proctests: ok'
pre=$(err_number 'prefetched pages ')
[ "${pre:-0}" -gt 0 ] || why+="nothing was prefetched; "
report "prefetch maps accessed neighbours and stays coherent (${pre:-0} prefetched)"
