/*
 * uapi/termios.h: the terminal's Linux ABI (asm-generic/termbits.h and
 * ioctls.h): struct termios as TCGETS sees it, its flags and control
 * characters, struct winsize, and the tty ioctls.
 */
#ifndef UAPI_TERMIOS_H
#define UAPI_TERMIOS_H

#define TCGETS      0x5401
#define TCSETS      0x5402
#define TCSETSW     0x5403
#define TCSETSF     0x5404
#define TCSBRK      0x5409
#define TCXONC      0x540a
#define TCFLSH      0x540b
#define TIOCEXCL    0x540c
#define TIOCNXCL    0x540d
#define TIOCSCTTY   0x540e
#define TIOCGPGRP   0x540f
#define TIOCSPGRP   0x5410
#define TIOCOUTQ    0x5411
#define TIOCSTI     0x5412
#define TIOCGWINSZ  0x5413
#define TIOCSWINSZ  0x5414
#define TIOCNOTTY   0x5422
#define TIOCGETD    0x5424
#define TCSBRKP     0x5425
#define TIOCGSID    0x5429
#define TIOCGPTN    0x80045430    /* _IOR('T', 0x30, unsigned int) */
#define TIOCSPTLCK  0x40045431    /* _IOW('T', 0x31, int) */
#define TIOCGPTLCK  0x80045439    /* _IOR('T', 0x39, int) */
#define TIOCGPTPEER 0x5441

/* The kernel's struct termios as TCGETS sees it (asm-generic/termbits.h). */
struct termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[19];
};

struct winsize {
	u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_cc indices */
#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSTART   8
#define VSTOP    9
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16
#define _POSIX_VDISABLE 0

/* c_iflag */
#define ISTRIP  0000040
#define INLCR   0000100
#define IGNCR   0000200
#define ICRNL   0000400
#define IXON    0002000
#define IXANY   0004000
#define IUTF8   0040000

/* c_oflag */
#define OPOST   0000001
#define ONLCR   0000004
#define OCRNL   0000010
#define ONOCR   0000020
#define ONLRET  0000040
#define TABDLY  0014000
#define XTABS   0014000

/* c_cflag */
#define B38400  0000017
#define CS8     0000060
#define CREAD   0000200
#define HUPCL   0002000

/* c_lflag */
#define ISIG    0000001
#define ICANON  0000002
#define ECHO    0000010
#define ECHOE   0000020
#define ECHOK   0000040
#define ECHONL  0000100
#define NOFLSH  0000200
#define TOSTOP  0000400
#define ECHOCTL 0001000
#define ECHOKE  0004000
#define IEXTEN  0100000

/* TCFLSH and TCXONC arguments */
#define TCIFLUSH  0
#define TCOFLUSH  1
#define TCIOFLUSH 2
#define TCOOFF    0
#define TCOON     1
#define TCIOFF    2
#define TCION     3

#endif
