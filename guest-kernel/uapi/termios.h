/*
 * uapi/termios.h: the terminal's Linux ABI (asm-generic/termbits.h and
 * ioctls.h): struct termios as TCGETS sees it, and the tty ioctls.
 */
#ifndef UAPI_TERMIOS_H
#define UAPI_TERMIOS_H

#define TCGETS      0x5401
#define TCSETS      0x5402
#define TCSETSW     0x5403
#define TCSETSF     0x5404
#define TCFLSH      0x540b
#define TCXONC      0x540a
#define TIOCSCTTY   0x540e
#define TIOCGPGRP   0x540f
#define TIOCSPGRP   0x5410
#define TIOCGWINSZ  0x5413
#define TIOCSWINSZ  0x5414
#define TIOCNOTTY   0x5422
#define TIOCGSID    0x5429

/* The kernel's struct termios as TCGETS sees it (asm-generic/termbits.h). */
struct termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[19];
};

#endif
