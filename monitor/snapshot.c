/*
 * snapshot.c: the snapshot format, and a whole VM saved to it and loaded
 * from it.  The same stream carries a live move (migrate.c): a snapshot is
 * a migration stream with one pass over RAM.
 *
 *   header    magic "TRAPVISR", format version, RAM size, the kernel
 *             image's size and crc32, crc32 of the header
 *   sections  each: type, its own version, payload length, crc32 of the
 *             payload, crc32 of these four fields; then the payload
 *     ram     records: page number (bit 63: a zero page, no data), then
 *             4096 bytes; a snapshot skips zero pages, a migration's later
 *             rounds send them as zero records.  Any number of sections.
 *     vcpu    struct vcpu             fpu    the host's XSAVE image
 *     time    host time and guest TSC at the save, the watchdog
 *     pv      the paravirtual page and FPU bookkeeping
 *     pic, pit, rtc, uart             each device's registers and state
 *     disk    the attachment (size, crc32 of its first 4 KiB, mode) and
 *             the ATA registers
 *     end     RAM records and sections counted: nothing was lost
 *
 * Nothing of the shadow is saved: it is a cache of the guest's own page
 * tables, rebuilt by hidden faults after the load (docs/ARCHITECTURE.md,
 * "Snapshots and the live move").  The device sections are the device
 * structs with their host side (file descriptors, IRQ lines, callbacks)
 * cleared; each section's version and exact size say which layout it is.
 *
 * Guest time goes on from the save: the PIT's counters and the NMI
 * watchdog are reckoned from host CLOCK_MONOTONIC times, which are moved
 * by the time that passed (vm_time_shift()), and the guest TSC starts
 * again from its value at the save.  The guest's own clocks count PIT
 * ticks in its RAM, so they continue too.  The RTC follows the host's
 * wall clock with the guest's offset, as QEMU's default clock=host does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "vm.h"
#include "host_time.h"

#define SNAP_MAGIC       "TRAPVISR"
#define SNAP_PAGE        4096u
#define SNAP_ZERO        (1ull << 63)     /* a RAM record without data */
#define SNAP_RAM_CHUNK   256              /* pages in one RAM section at most */
#define SNAP_REC         (8 + SNAP_PAGE)  /* bytes of a record with data */
#define SNAP_MAX_SECTION (1u << 20)       /* larger non-RAM sections are corrupt */
#define DISK_HEADER      4096             /* bytes of the disk hashed */

enum snap_type {
	SEC_RAM = 1, SEC_VCPU, SEC_FPU, SEC_TIME, SEC_PV, SEC_PIC, SEC_PIT, SEC_RTC,
	SEC_UART, SEC_DISK, SEC_END, SEC_MAX
};

static const char *const sec_name[SEC_MAX] = {
	[SEC_RAM] = "ram", [SEC_VCPU] = "vcpu", [SEC_FPU] = "fpu", [SEC_TIME] = "time",
	[SEC_PV] = "pv", [SEC_PIC] = "pic", [SEC_PIT] = "pit", [SEC_RTC] = "rtc",
	[SEC_UART] = "uart", [SEC_DISK] = "disk", [SEC_END] = "end",
};

/* Each section's version: raise it when its payload changes. */
static const u32 sec_version[SEC_MAX] = {
	[SEC_RAM] = 1, [SEC_VCPU] = 1, [SEC_FPU] = 1, [SEC_TIME] = 1, [SEC_PV] = 1,
	[SEC_PIC] = 1, [SEC_PIT] = 1, [SEC_RTC] = 1, [SEC_UART] = 1, [SEC_DISK] = 1,
	[SEC_END] = 1,
};

struct snap_header {
	char magic[8];           /* SNAP_MAGIC */
	u32 version;             /* SNAP_VERSION */
	u32 size;                /* sizeof(struct snap_header) */
	u64 ram_size;            /* bytes of guest RAM */
	u64 kernel_size;         /* the kernel image file: bytes */
	u32 kernel_crc;          /* ... and crc32 */
	u32 page_size;           /* SNAP_PAGE */
	u64 created;             /* Unix time of the save */
	u32 reserved;
	u32 crc;                 /* crc32 of the fields above */
};

struct snap_section {
	u32 type;                /* enum snap_type */
	u32 version;             /* sec_version[type] */
	u64 len;                 /* payload bytes */
	u32 crc;                 /* crc32 of the payload */
	u32 hcrc;                /* crc32 of the four fields above */
};

struct snap_time {
	u64 mono_ns;             /* host CLOCK_MONOTONIC at the save */
	u64 guest_tsc;           /* the guest's TSC at the save */
	u64 tsc_khz;             /* the TSC rate the guest was told at boot */
	u64 nmi_left_ns;         /* NMI watchdog: time left, 0 if off */
};

struct snap_pv {
	u64 pv_gpa;              /* the registered struct pv_vcpu, 0 if none */
	u64 fpu_live_gpa;        /* paravirtual FPU: the area whose state is live */
	u32 fpu_size;            /* the XSAVE size told to the guest */
	u32 reserved;
};

struct snap_disk {
	u64 sectors;             /* capacity */
	u32 header_crc;          /* crc32 of the image's first DISK_HEADER bytes */
	u32 read_only;           /* attached ,ro */
	struct ata_disk regs;    /* ata_save(): the registers, no host side */
};

struct snap_end {
	u64 ram_records;         /* RAM records in the stream */
	u32 sections;            /* sections before this one */
	u32 reserved;
};

struct snap_stream {
	int fd;                  /* a file or a connected socket */
	const char *name;        /* for messages */
	u64 bytes;               /* moved so far */
	u8 *ram;                 /* the RAM section being assembled */
	u32 ram_len;             /* bytes in it */
	u64 ram_records;         /* RAM records written or read */
	u32 sections;            /* sections written or read */
};

struct snap_stream *snap_open(int fd, const char *name)
{
	struct snap_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ram = malloc(SNAP_RAM_CHUNK * SNAP_REC);
	if (!s->ram) {
		free(s);
		return NULL;
	}
	s->fd = fd;
	s->name = name;
	return s;
}

void snap_close(struct snap_stream *s)
{
	if (!s)
		return;
	free(s->ram);
	free(s);
}

u64 snap_bytes(const struct snap_stream *s)
{
	return s->bytes;
}

/* ---- Writing ---- */

static int put(struct snap_stream *s, const void *buf, size_t len)
{
	if (fd_write_all(s->fd, buf, len) < 0)
		return -1;
	s->bytes += len;
	return 0;
}

static int put_section(struct snap_stream *s, enum snap_type type, const void *payload, u64 len)
{
	struct snap_section h = { .type = type, .version = sec_version[type], .len = len,
				  .crc = (u32)crc32(0, payload, (uInt)len) };

	h.hcrc = (u32)crc32(0, (const Bytef *)&h, offsetof(struct snap_section, hcrc));
	s->sections++;
	return put(s, &h, sizeof(h)) < 0 || put(s, payload, len) < 0 ? -1 : 0;
}

/* The kernel image's identity: its size and crc32, read once. */
int snapshot_kernel_id(struct vm *vm, char *err, size_t errlen)
{
	u8 buf[1 << 16];
	uLong crc = crc32(0, NULL, 0);
	u64 size = 0;
	ssize_t n;

	if (vm->kernel_size)
		return 0;
	int fd = open(vm->opt.kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", vm->opt.kernel, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		size += (u64)n;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", vm->opt.kernel, strerror(errno));
		return -1;
	}
	vm->kernel_crc = (u32)crc;
	vm->kernel_size = size;
	return 0;
}

int snap_write_header(struct snap_stream *s, struct vm *vm)
{
	struct snap_header h = { .version = SNAP_VERSION, .size = sizeof(h),
				 .ram_size = vm->ram_size, .kernel_size = vm->kernel_size,
				 .kernel_crc = vm->kernel_crc, .page_size = SNAP_PAGE,
				 .created = (u64)time(NULL) };

	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.crc = (u32)crc32(0, (const Bytef *)&h, offsetof(struct snap_header, crc));
	return put(s, &h, sizeof(h));
}

static bool page_is_zero(const u8 *p)
{
	const u64 *q = (const u64 *)p;

	for (unsigned i = 0; i < SNAP_PAGE / 8; i++)
		if (q[i])
			return false;
	return true;
}

int snap_flush_ram(struct snap_stream *s)
{
	int r = 0;

	if (s->ram_len)
		r = put_section(s, SEC_RAM, s->ram, s->ram_len);
	s->ram_len = 0;
	return r;
}

int snap_write_page(struct snap_stream *s, struct vm *vm, u64 pfn, bool skip_zero)
{
	const u8 *p = vm->ram + pfn * SNAP_PAGE;
	bool zero = page_is_zero(p);
	u64 rec = pfn | (zero ? SNAP_ZERO : 0);

	if (zero && skip_zero)
		return 0;
	if (s->ram_len + SNAP_REC > SNAP_RAM_CHUNK * SNAP_REC && snap_flush_ram(s) < 0)
		return -1;
	memcpy(s->ram + s->ram_len, &rec, 8);
	s->ram_len += 8;
	if (!zero) {
		memcpy(s->ram + s->ram_len, p, SNAP_PAGE);
		s->ram_len += SNAP_PAGE;
	}
	s->ram_records++;
	return 1;
}

u64 snap_next_data(struct vm *vm, u64 pfn)
{
	u64 npages = vm->ram_size / SNAP_PAGE;
	off_t at = pfn < npages ? lseek(vm->ram_fd, (off_t)(pfn * SNAP_PAGE), SEEK_DATA) : -1;

	if (pfn >= npages || (at < 0 && errno == ENXIO))
		return npages;
	return at < 0 ? pfn : (u64)at / SNAP_PAGE;
}

s64 snap_write_ram(struct snap_stream *s, struct vm *vm, const u64 *bits, bool skip_zero)
{
	u64 npages = vm->ram_size / SNAP_PAGE;
	s64 sent = 0;

	for (u64 pfn = 0; pfn < npages; pfn++) {
		/* Pages never written are holes in the memfd: jump over them
		 * (reading them would allocate them). */
		if (skip_zero && pfn % 64 == 0 && (pfn = snap_next_data(vm, pfn)) >= npages)
			break;
		if (bits && !(bits[pfn / 64] & (1ull << (pfn % 64))))
			continue;
		int r = snap_write_page(s, vm, pfn, skip_zero);
		if (r < 0)
			return -1;
		sent += r;
	}
	return snap_flush_ram(s) < 0 ? -1 : sent;
}

/* crc32 of the first DISK_HEADER bytes of the attached image. */
static int disk_header_crc(struct ata_disk *d, u32 *crc)
{
	u8 buf[DISK_HEADER];
	u64 len = d->sectors * ATA_SECTOR < sizeof(buf) ? d->sectors * ATA_SECTOR : sizeof(buf);

	if (ata_file_io(d, buf, len, 0, false) < 0)
		return -1;
	*crc = (u32)crc32(0, buf, (uInt)len);
	return 0;
}

int snap_write_state(struct snap_stream *s, struct vm *vm)
{
	static u8 fpu[HOST_FPU_MAX];
	/* A paused VM's guest time stood still at the pause. */
	u64 now = vm->paused ? vm->paused_ns : host_mono_ns();
	u64 stood = host_mono_ns() - now;
	struct snap_time t = { .mono_ns = now, .tsc_khz = vm->tsc_khz,
			       .guest_tsc = host_tsc() + vm->vcpu.tsc_offset -
					    (u64)((unsigned __int128)stood * vm->tsc_khz / 1000000),
			       .nmi_left_ns = !vm->nmi_deadline_ns ? 0 :
					      vm->nmi_deadline_ns > now ? vm->nmi_deadline_ns - now : 1 };
	struct snap_pv pv = { .pv_gpa = vm->pv_gpa, .fpu_live_gpa = vm->fpu_live_gpa,
			      .fpu_size = vm->fpu_size };
	struct snap_end end;
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct uart uart;
	int r;

	if (snap_flush_ram(s) < 0 || put_section(s, SEC_VCPU, &vm->vcpu, sizeof(vm->vcpu)) < 0)
		return -1;
	if (vm->shadow.fpu) {
		int n = host_get_fpu(vm->shadow.fpu->pid, fpu, sizeof(fpu));
		if (n < 0) {
			errno = -n;
			return -1;
		}
		if (put_section(s, SEC_FPU, fpu, (u64)n) < 0)
			return -1;
	}
	pic_save(&vm->pic, &pic);
	pit_save(&vm->pit, &pit);
	rtc_save(&vm->rtc, &rtc);
	uart_save(&vm->com1, &uart);
	r = put_section(s, SEC_TIME, &t, sizeof(t)) | put_section(s, SEC_PV, &pv, sizeof(pv)) |
	    put_section(s, SEC_PIC, &pic, sizeof(pic)) | put_section(s, SEC_PIT, &pit, sizeof(pit)) |
	    put_section(s, SEC_RTC, &rtc, sizeof(rtc)) | put_section(s, SEC_UART, &uart, sizeof(uart));
	if (r < 0)
		return -1;
	if (vm->ata.fd >= 0) {
		struct snap_disk d = { .sectors = vm->ata.sectors, .read_only = vm->ata.read_only };
		if (disk_header_crc(&vm->ata, &d.header_crc) < 0) {
			errno = vm->ata.last_errno ? vm->ata.last_errno : EIO;
			return -1;
		}
		ata_save(&vm->ata, &d.regs);
		if (put_section(s, SEC_DISK, &d, sizeof(d)) < 0)
			return -1;
	}
	end = (struct snap_end){ .ram_records = s->ram_records, .sections = s->sections };
	return put_section(s, SEC_END, &end, sizeof(end));
}

int snapshot_save(struct vm *vm, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	struct snap_stream *s = NULL;
	int fd = -1;

	if (snapshot_kernel_id(vm, err, errlen) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(s = snap_open(fd, path)))
		goto fail;
	if (snap_write_header(s, vm) < 0 || snap_write_ram(s, vm, NULL, true) < 0 ||
	    snap_write_state(s, vm) < 0 || fdatasync(fd) < 0)
		goto fail;
	snap_close(s);
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", fd < 0 ? tmp : path, strerror(errno));
	snap_close(s);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* ---- Reading ---- */

/* Read exactly len bytes: 0, 1 at the end of the stream (or a short
 * read), -1 with errno on an error. */
static int get(struct snap_stream *s, void *buf, size_t len)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = read(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		p += n;
		len -= (size_t)n;
		s->bytes += (u64)n;
	}
	return 0;
}

/* One line about the stream, "NAME: ...", in err. */
static int __attribute__((format(printf, 4, 5)))
bad(struct snap_stream *s, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", s->name);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int get_or_say(struct snap_stream *s, void *buf, size_t len, const char *what,
		      char *err, size_t errlen)
{
	int r = get(s, buf, len);

	if (r > 0)
		return bad(s, err, errlen, "truncated: the stream ends in %s at byte %llu", what,
			   (unsigned long long)s->bytes);
	if (r < 0)
		return bad(s, err, errlen, "reading %s: %s", what, strerror(errno));
	return 0;
}

static int read_header(struct snap_stream *s, struct vm *vm, char *err, size_t errlen)
{
	struct snap_header h;
	char a[32], b[32];

	memset(&h, 0, sizeof(h));
	int r = get(s, &h, sizeof(h));
	/* What is there of the magic must match, before "truncated" is said. */
	if (memcmp(h.magic, SNAP_MAGIC, s->bytes < sizeof(h.magic) ? s->bytes : sizeof(h.magic)))
		return bad(s, err, errlen, "not a trapvisor snapshot or migration stream");
	if (r > 0 && s->bytes == 0)
		return bad(s, err, errlen, "empty: no snapshot or migration stream");
	if (r > 0)
		return bad(s, err, errlen, "truncated: the stream ends in the header at byte %llu",
			   (unsigned long long)s->bytes);
	if (r < 0)
		return bad(s, err, errlen, "reading the header: %s", strerror(errno));
	if (memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)))
		return bad(s, err, errlen, "not a trapvisor snapshot or migration stream");
	if (h.version != SNAP_VERSION)
		return bad(s, err, errlen, "format version %u, this trapvisor reads version %u",
			   h.version, SNAP_VERSION);
	if (h.size != sizeof(h) || h.crc != (u32)crc32(0, (const Bytef *)&h,
						       offsetof(struct snap_header, crc)))
		return bad(s, err, errlen, "corrupt: the header's checksum does not match");
	if (h.ram_size != vm->ram_size)
		return bad(s, err, errlen, "made with %s of RAM, this VM has %s (-m)",
			   cli_format_size(h.ram_size, a, sizeof(a)),
			   cli_format_size(vm->ram_size, b, sizeof(b)));
	if (snapshot_kernel_id(vm, err, errlen) < 0)
		return -1;
	if (h.kernel_size != vm->kernel_size || h.kernel_crc != vm->kernel_crc)
		return bad(s, err, errlen, "made with another kernel image (%llu bytes, crc32 %08x); "
			   "%s is %llu bytes, crc32 %08x", (unsigned long long)h.kernel_size,
			   h.kernel_crc, vm->opt.kernel, (unsigned long long)vm->kernel_size,
			   vm->kernel_crc);
	return 0;
}

/* Apply one RAM section's records. */
static int load_ram(struct snap_stream *s, struct vm *vm, const u8 *p, u64 len, char *err,
		    size_t errlen)
{
	u64 npages = vm->ram_size / SNAP_PAGE;

	while (len) {
		u64 rec;
		if (len < 8)
			return bad(s, err, errlen, "corrupt: a RAM record is cut short");
		memcpy(&rec, p, 8);
		p += 8;
		len -= 8;
		u64 pfn = rec & ~SNAP_ZERO;
		if (pfn >= npages)
			return bad(s, err, errlen, "corrupt: RAM page %#llx is beyond RAM",
				   (unsigned long long)pfn);
		u8 *dst = vm->ram + pfn * SNAP_PAGE;
		if (rec & SNAP_ZERO) {
			memset(dst, 0, SNAP_PAGE);
		} else {
			if (len < SNAP_PAGE)
				return bad(s, err, errlen, "corrupt: a RAM record is cut short");
			memcpy(dst, p, SNAP_PAGE);
			p += SNAP_PAGE;
			len -= SNAP_PAGE;
		}
		s->ram_records++;
	}
	return 0;
}

/* What the state sections said, applied once the end has arrived. */
struct snap_loaded {
	bool seen[SEC_MAX];      /* sections present */
	struct vcpu vcpu;
	u8 *fpu;                 /* the XSAVE image, NULL if none */
	u32 fpu_len;
	struct snap_time time;
	struct snap_pv pv;
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct uart uart;
	struct snap_disk disk;
};

/* The fixed-size sections: where each goes and how big it must be. */
static void *fixed_slot(struct snap_loaded *l, u32 type, size_t *size)
{
	switch (type) {
	case SEC_VCPU: *size = sizeof(l->vcpu); return &l->vcpu;
	case SEC_TIME: *size = sizeof(l->time); return &l->time;
	case SEC_PV:   *size = sizeof(l->pv);   return &l->pv;
	case SEC_PIC:  *size = sizeof(l->pic);  return &l->pic;
	case SEC_PIT:  *size = sizeof(l->pit);  return &l->pit;
	case SEC_RTC:  *size = sizeof(l->rtc);  return &l->rtc;
	case SEC_UART: *size = sizeof(l->uart); return &l->uart;
	case SEC_DISK: *size = sizeof(l->disk); return &l->disk;
	default:       return NULL;
	}
}

/* The disk: the image attached here must be the one saved with. */
static int load_disk(struct snap_stream *s, struct vm *vm, struct snap_loaded *l,
		     const char *disk_spec, char *err, size_t errlen)
{
	struct irq_line irq = vm->ata.irq;
	u32 crc;

	if (disk_spec && disk_open(disk_spec, &vm->ata, err, errlen) < 0)
		return -1;
	vm->ata.irq = irq;
	if (!l->seen[SEC_DISK] && vm->ata.fd < 0)
		return 0;
	if (!l->seen[SEC_DISK])
		return bad(s, err, errlen, "the VM had no disk; start without --disk");
	if (vm->ata.fd < 0)
		return bad(s, err, errlen, "the VM had a disk of %llu sectors; start with --disk "
			   "and the same image", (unsigned long long)l->disk.sectors);
	if (vm->ata.sectors != l->disk.sectors)
		return bad(s, err, errlen, "the VM's disk had %llu sectors, the one given has %llu",
			   (unsigned long long)l->disk.sectors, (unsigned long long)vm->ata.sectors);
	if (disk_header_crc(&vm->ata, &crc) < 0)
		return bad(s, err, errlen, "reading the disk: %s", strerror(vm->ata.last_errno));
	if (crc != l->disk.header_crc)
		return bad(s, err, errlen, "the disk given is not the VM's image (its first %d bytes "
			   "differ: crc32 %08x, the VM's %08x)", DISK_HEADER, crc, l->disk.header_crc);
	if (vm->ata.read_only != (bool)l->disk.read_only)
		return bad(s, err, errlen, "the VM's disk was attached %s, the one given %s",
			   l->disk.read_only ? "read-only" : "read-write",
			   vm->ata.read_only ? "read-only" : "read-write");
	ata_load(&vm->ata, &l->disk.regs);
	return 0;
}

/* Everything arrived and checked: it becomes the VM. */
static int load_commit(struct snap_stream *s, struct vm *vm, struct snap_loaded *l,
		       char *err, size_t errlen)
{
	u64 now = host_mono_ns();
	int e = 0;

	vm->vcpu = l->vcpu;
	vm->tsc_khz = l->time.tsc_khz;
	vm->pv_gpa = l->pv.pv_gpa;
	vm->fpu_live_gpa = l->pv.fpu_live_gpa;
	vm->fpu_size = l->pv.fpu_size;
	pic_load(&vm->pic, &l->pic);
	pit_load(&vm->pit, &l->pit);
	rtc_load(&vm->rtc, &l->rtc);
	uart_load(&vm->com1, &l->uart);
	/* Time: the deadlines as they were, moved to now; the TSC from its
	 * value at the save. */
	vm->nmi_deadline_ns = l->time.nmi_left_ns ? l->time.mono_ns + l->time.nmi_left_ns : 0;
	vm_time_shift(vm, now - l->time.mono_ns);
	vm->vcpu.tsc_offset = (s64)(l->time.guest_tsc - host_tsc());
	/* The FPU state into the context the vCPU resumes in. */
	if (l->fpu) {
		struct context *c = shadow_context(&vm->shadow, vm->vcpu.cr3, vm->vcpu.cpl == 3, &e);
		if (!c)
			return bad(s, err, errlen, "cannot create a context process: %s", strerror(-e));
		e = host_set_fpu(c->pid, l->fpu, l->fpu_len);
		if (e < 0)
			return bad(s, err, errlen, "this host refuses the saved FPU state (%s): "
				   "saved on another CPU?", strerror(-e));
		vm->shadow.cur = vm->shadow.fpu = c;
	}
	/* The run loop's first look at the events arms the timer for the
	 * PIT's next tick. */
	io_wake(&vm->io);
	return 0;
}

int snap_read(struct snap_stream *s, struct vm *vm, const char *disk_spec, char *err,
	      size_t errlen)
{
	struct snap_loaded l = { 0 };
	u8 *buf = malloc(SNAP_RAM_CHUNK * SNAP_REC);
	int r = -1;

	if (!buf)
		return bad(s, err, errlen, "out of memory");
	if (read_header(s, vm, err, errlen) < 0)
		goto out;
	/* Guest RAM starts out zero: what the loader put there goes. */
	if (fallocate(vm->ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)vm->ram_size) < 0)
		memset(vm->ram, 0, vm->ram_size);
	for (;;) {
		struct snap_section h;
		size_t size = 0;
		void *slot;

		if (get_or_say(s, &h, sizeof(h), "a section header", err, errlen) < 0)
			goto out;
		if (h.hcrc != (u32)crc32(0, (const Bytef *)&h, offsetof(struct snap_section, hcrc))) {
			bad(s, err, errlen, "corrupt: the section header at byte %llu has a bad checksum",
			    (unsigned long long)(s->bytes - sizeof(h)));
			goto out;
		}
		const char *name = h.type && h.type < SEC_MAX ? sec_name[h.type] : NULL;
		if (!name) {
			bad(s, err, errlen, "corrupt: unknown section type %u", h.type);
			goto out;
		}
		if (h.version != sec_version[h.type]) {
			bad(s, err, errlen, "section %s has version %u, this trapvisor reads version %u",
			    name, h.version, sec_version[h.type]);
			goto out;
		}
		if (h.len > (h.type == SEC_RAM ? SNAP_RAM_CHUNK * SNAP_REC : SNAP_MAX_SECTION)) {
			bad(s, err, errlen, "corrupt: section %s claims %llu bytes", name,
			    (unsigned long long)h.len);
			goto out;
		}
		if (h.type != SEC_RAM && h.type != SEC_FPU && h.type != SEC_END &&
		    (slot = fixed_slot(&l, h.type, &size)) && h.len != size) {
			bad(s, err, errlen, "section %s is %llu bytes, this trapvisor's is %zu "
			    "(made by another build)", name, (unsigned long long)h.len, size);
			goto out;
		}
		u8 *p = h.type == SEC_FPU ? (l.fpu = realloc(l.fpu, h.len ? h.len : 1)) : buf;
		if (!p) {
			bad(s, err, errlen, "out of memory");
			goto out;
		}
		if (get_or_say(s, p, h.len, name, err, errlen) < 0)
			goto out;
		if (h.crc != (u32)crc32(0, p, (uInt)h.len)) {
			bad(s, err, errlen, "corrupt: section %s (ending at byte %llu) fails its checksum",
			    name, (unsigned long long)s->bytes);
			goto out;
		}
		s->sections++;
		l.seen[h.type] = true;
		if (h.type == SEC_RAM) {
			if (load_ram(s, vm, p, h.len, err, errlen) < 0)
				goto out;
		} else if (h.type == SEC_FPU) {
			l.fpu_len = (u32)h.len;
		} else if (h.type == SEC_END) {
			struct snap_end end;
			if (h.len != sizeof(end)) {
				bad(s, err, errlen, "corrupt: the end section is %llu bytes",
				    (unsigned long long)h.len);
				goto out;
			}
			memcpy(&end, p, sizeof(end));
			if (end.ram_records != s->ram_records || end.sections != s->sections - 1) {
				bad(s, err, errlen, "corrupt: %llu RAM records and %u sections were sent, "
				    "%llu and %u arrived", (unsigned long long)end.ram_records,
				    end.sections, (unsigned long long)s->ram_records, s->sections - 1);
				goto out;
			}
			break;
		} else {
			memcpy(fixed_slot(&l, h.type, &size), p, h.len);
		}
	}
	for (int t = SEC_VCPU; t < SEC_END; t++)
		if (t != SEC_FPU && t != SEC_DISK && !l.seen[t]) {
			bad(s, err, errlen, "corrupt: no %s section", sec_name[t]);
			goto out;
		}
	if (load_disk(s, vm, &l, disk_spec, err, errlen) < 0 || load_commit(s, vm, &l, err, errlen) < 0)
		goto out;
	r = 0;
out:
	free(l.fpu);
	free(buf);
	return r;
}

int snapshot_load(struct vm *vm, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct snap_stream *s;
	int r;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	s = snap_open(fd, path);
	if (!s) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	r = snap_read(s, vm, NULL, err, errlen);
	if (r == 0) {
		char extra;
		if (read(fd, &extra, 1) > 0) {
			bad(s, err, errlen, "corrupt: data after the end section");
			r = -1;
		}
	}
	snap_close(s);
	close(fd);
	return r;
}

void vm_time_shift(struct vm *vm, u64 delta_ns)
{
	pit_shift(&vm->pit, delta_ns);
	if (vm->nmi_deadline_ns)
		vm->nmi_deadline_ns += delta_ns;
	/* delta_ns may be "negative" (a restore after the host rebooted). */
	vm->vcpu.tsc_offset -= (s64)((__int128)(s64)delta_ns * vm->tsc_khz / 1000000);
}
