/*
 * ext2.h: the second extended file system, on the disk, as Linux and
 * e2fsprogs lay it out (docs/ARCHITECTURE.md, "ext2 and the root on the
 * disk"; the format is Dave Poirier's "The Second Extended File System",
 * https://www.nongnu.org/ext2-doc/, and e2fsprogs' lib/ext2fs/ext2_fs.h).
 *
 *   super.c   the superblock and group descriptors: mount (every check
 *             a bad image fails), sync, umount, statfs
 *   balloc.c  the block and inode bitmaps: allocating and freeing
 *   inode.c   inodes: the table on disk, the block map with its
 *             indirect blocks, file data, truncate, the inode cache
 *   dir.c     directories: lookup, readdir, create, link, unlink, rename
 *
 * The blocks themselves come through the buffer cache (fs/bcache.c).
 */
#ifndef EXT2_H
#define EXT2_H

#include "defs.h"

#define EXT2_MAGIC          0xef53
#define EXT2_SUPER_OFFSET   1024      /* bytes from the disk's start */
#define EXT2_ROOT_INO       2
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_NDIR_BLOCKS    12
#define EXT2_IND_BLOCK      12
#define EXT2_DIND_BLOCK     13
#define EXT2_TIND_BLOCK     14
#define EXT2_N_BLOCKS       15
#define EXT2_FAST_LINK_MAX  60        /* a symlink target shorter than this lives in i_block */

/* s_state */
#define EXT2_VALID_FS  1
#define EXT2_ERROR_FS  2

/* Features (the three words of the superblock). */
#define EXT2_COMPAT_HAS_JOURNAL        0x0004
#define EXT2_INCOMPAT_COMPRESSION      0x0001
#define EXT2_INCOMPAT_FILETYPE         0x0002
#define EXT2_INCOMPAT_RECOVER          0x0004
#define EXT2_INCOMPAT_JOURNAL_DEV      0x0008
#define EXT2_INCOMPAT_META_BG          0x0010
#define EXT2_INCOMPAT_EXTENTS          0x0040
#define EXT2_INCOMPAT_64BIT            0x0080
#define EXT2_INCOMPAT_MMP              0x0100
#define EXT2_INCOMPAT_FLEX_BG          0x0200
#define EXT2_INCOMPAT_EA_INODE         0x0400
#define EXT2_INCOMPAT_DIRDATA          0x1000
#define EXT2_INCOMPAT_CSUM_SEED        0x2000
#define EXT2_INCOMPAT_LARGEDIR         0x4000
#define EXT2_INCOMPAT_INLINE_DATA      0x8000
#define EXT2_INCOMPAT_ENCRYPT          0x10000
#define EXT2_INCOMPAT_CASEFOLD         0x20000
#define EXT2_RO_COMPAT_SPARSE_SUPER    0x0001
#define EXT2_RO_COMPAT_LARGE_FILE      0x0002
#define EXT2_RO_COMPAT_BTREE_DIR       0x0004
#define EXT2_RO_COMPAT_HUGE_FILE       0x0008
#define EXT2_RO_COMPAT_GDT_CSUM        0x0010
#define EXT2_RO_COMPAT_DIR_NLINK       0x0020
#define EXT2_RO_COMPAT_EXTRA_ISIZE     0x0040
#define EXT2_RO_COMPAT_QUOTA           0x0100
#define EXT2_RO_COMPAT_BIGALLOC        0x0200
#define EXT2_RO_COMPAT_METADATA_CSUM   0x0400
#define EXT2_RO_COMPAT_READONLY        0x1000
#define EXT2_RO_COMPAT_PROJECT         0x2000
#define EXT2_RO_COMPAT_VERITY          0x8000
#define EXT2_INCOMPAT_SUPPORTED  EXT2_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_RO_COMPAT_SPARSE_SUPER | EXT2_RO_COMPAT_LARGE_FILE)

/* i_flags */
#define EXT2_IMMUTABLE_FL   0x00000010
#define EXT2_APPEND_FL      0x00000020
#define EXT2_INDEX_FL       0x00001000   /* an htree directory: read linearly */
#define EXT2_HUGE_FILE_FL   0x00040000
#define EXT2_EXTENTS_FL     0x00080000
#define EXT2_INLINE_DATA_FL 0x10000000

/* Directory entry file types (with the filetype feature). */
#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG     1
#define EXT2_FT_DIR     2
#define EXT2_FT_CHRDEV  3
#define EXT2_FT_BLKDEV  4
#define EXT2_FT_FIFO    5
#define EXT2_FT_SOCK    6
#define EXT2_FT_SYMLINK 7

/* The superblock on the disk: 1024 bytes at byte 1024. */
struct ext2_super_disk {
	u32 s_inodes_count;
	u32 s_blocks_count;
	u32 s_r_blocks_count;
	u32 s_free_blocks_count;
	u32 s_free_inodes_count;
	u32 s_first_data_block;
	u32 s_log_block_size;
	u32 s_log_frag_size;
	u32 s_blocks_per_group;
	u32 s_frags_per_group;
	u32 s_inodes_per_group;
	u32 s_mtime;
	u32 s_wtime;
	u16 s_mnt_count;
	s16 s_max_mnt_count;
	u16 s_magic;
	u16 s_state;
	u16 s_errors;
	u16 s_minor_rev_level;
	u32 s_lastcheck;
	u32 s_checkinterval;
	u32 s_creator_os;
	u32 s_rev_level;
	u16 s_def_resuid;
	u16 s_def_resgid;
	u32 s_first_ino;
	u16 s_inode_size;
	u16 s_block_group_nr;
	u32 s_feature_compat;
	u32 s_feature_incompat;
	u32 s_feature_ro_compat;
	u8 s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	u8 rest[1024 - 200];
} __attribute__((packed));
_Static_assert(sizeof(struct ext2_super_disk) == 1024, "the ext2 superblock is 1024 bytes");

/* A group descriptor: 32 bytes, in the blocks after the superblock. */
struct ext2_gd {
	u32 bg_block_bitmap;
	u32 bg_inode_bitmap;
	u32 bg_inode_table;
	u16 bg_free_blocks_count;
	u16 bg_free_inodes_count;
	u16 bg_used_dirs_count;
	u16 bg_flags;
	u8 reserved[12];
} __attribute__((packed));
_Static_assert(sizeof(struct ext2_gd) == 32, "an ext2 group descriptor is 32 bytes");

/* An inode on the disk: the 128 bytes of revision 0, then (inode size
 * 256, mke2fs's default) the extra fields Linux keeps nanoseconds in. */
struct ext2_inode_disk {
	u16 i_mode;
	u16 i_uid;
	u32 i_size;
	u32 i_atime;
	u32 i_ctime;
	u32 i_mtime;
	u32 i_dtime;
	u16 i_gid;
	u16 i_links_count;
	u32 i_blocks;             /* 512-byte units, indirect blocks included */
	u32 i_flags;
	u32 i_osd1;
	u32 i_block[EXT2_N_BLOCKS];
	u32 i_generation;
	u32 i_file_acl;
	u32 i_size_high;          /* i_dir_acl in revision 0 */
	u32 i_faddr;
	u16 i_blocks_hi;
	u16 i_file_acl_high;
	u16 i_uid_high;
	u16 i_gid_high;
	u16 i_checksum_lo;
	u16 i_reserved;
	/* Large inodes only */
	u16 i_extra_isize;
	u16 i_checksum_hi;
	u32 i_ctime_extra;
	u32 i_mtime_extra;
	u32 i_atime_extra;
	u32 i_crtime;
	u32 i_crtime_extra;
} __attribute__((packed));
#define EXT2_INODE_EXTRA 24       /* the extra fields we keep: i_extra_isize .. i_crtime_extra */
_Static_assert(sizeof(struct ext2_inode_disk) == 128 + EXT2_INODE_EXTRA, "ext2 inode layout");

/* A directory entry: 8 bytes, then the name, padded to 4 bytes. */
struct ext2_dirent {
	u32 inode;                /* 0: unused */
	u16 rec_len;              /* to the next entry */
	u8 name_len;
	u8 file_type;             /* with the filetype feature, else the name length's high byte */
	char name[];
} __attribute__((packed));
#define EXT2_DIRENT_LEN(n) ((8 + (n) + 3) & ~3u)

/* A mounted ext2 file system (super.data). */
struct e2sb {
	struct ext2_super_disk sd;   /* our copy, written back at sync */
	u32 bsize;                /* bytes per block */
	u32 apb;                  /* block numbers per (indirect) block */
	u32 ngroups;
	u32 bpg, ipg;             /* blocks, inodes per group */
	u32 isize;                /* bytes per inode on the disk */
	u32 gd_per_block;
	u64 nblocks;
	u32 first_data;
	bool filetype;            /* directory entries carry the type */
	bool dirty;               /* the superblock or counts changed since the last sync */
	struct inode *ihash[256]; /* the inodes in memory, by number */
	u32 ninodes;              /* how many */
	u32 last_dir_group;       /* where the last directory went */
};

/* An inode in memory (inode.data). */
struct e2inode {
	struct inode *hnext;      /* the inode hash chain */
	u32 block[EXT2_N_BLOCKS]; /* as on the disk */
	u32 flags;                /* i_flags */
	u32 blocks;               /* i_blocks */
	u32 file_acl;
	u32 generation;
	u32 dtime;
	u32 goal;                 /* where the next block of this file should go */
	struct ext2_inode_disk disk;  /* what the disk holds now (write_inode skips equal ones) */
};

static inline struct e2sb *E2(struct super *sb)
{
	return sb->data;
}

static inline struct e2inode *EI(struct inode *ip)
{
	return ip->data;
}

/* super.c */
extern const struct super_ops ext2_super_ops;
/* A problem found in a mounted file system: one console line, and the
 * superblock marked as having errors. */
#define ext2_error(sb, fmt, ...) \
	(kprintf("ext2 (sda): error: " fmt "\n", ##__VA_ARGS__), ext2_mark_error(sb))
void ext2_mark_error(struct super *sb);
struct buf *ext2_gd_get(struct super *sb, u32 group, struct ext2_gd **gd);
bool ext2_block_ok(struct super *sb, u32 blk);

/* balloc.c */
u32 ext2_block_alloc(struct super *sb, u32 goal);
void ext2_block_free(struct super *sb, u32 blk);
u32 ext2_inode_alloc(struct super *sb, u32 parent_ino, bool dir);
void ext2_inode_free(struct super *sb, u32 ino, bool dir);

/* inode.c */
extern const struct inode_ops ext2_file_iops, ext2_special_iops;
extern const struct file_ops ext2_file_fops;
int ext2_iget(struct super *sb, u32 ino, struct inode **out);
struct inode *ext2_inew(struct super *sb, u32 ino, u32 mode);
int ext2_write_inode(struct inode *ip);
int ext2_bmap(struct inode *ip, u64 lblk, bool alloc, u32 *pblk);
s64 ext2_read(struct inode *ip, void *buf, u64 off, u64 n);
s64 ext2_write(struct inode *ip, const void *buf, u64 off, u64 n);
int ext2_truncate(struct inode *ip, u64 size);
void ext2_evict(struct inode *ip);
void ext2_set_ops(struct inode *ip);
void ext2_icache_drop_all(struct super *sb);
void ext2_release_orphans(struct super *sb);
int ext2_fsync(struct file *f);
u64 ext2_blocks(struct inode *ip);

/* dir.c */
extern const struct inode_ops ext2_dir_iops;
extern const struct file_ops ext2_dir_fops;
int ext2_dir_init(struct inode *dir, u32 parent_ino);

#endif
