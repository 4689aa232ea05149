/*
 * procfs.c: /proc.  For now an empty directory: the files busybox reads
 * (/proc/self, /proc/<pid>/..., meminfo, uptime, mounts, cpuinfo) come
 * next.
 */
#include "defs.h"

struct super *procfs_new(void)
{
	struct super *sb = ramfs_new();

	if (!sb)
		return 0;
	sb->type = "proc";
	sb->magic = PROC_SUPER_MAGIC;
	sb->root->mode = S_IFDIR | 0555;
	return sb;
}
