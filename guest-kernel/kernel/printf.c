/*
 * printf.c: kprintf() to the console and panic().  Formats: %d %u %x with
 * an optional 'l' (long), %p, %s, %c and %%.  No widths, no padding: enough
 * for one-line messages and register dumps.  '\n' is sent as is; the
 * monitor's standard output is a pipe or a terminal that adds its own '\r'.
 */
#include "defs.h"

static void print_unsigned(u64 v, unsigned base)
{
	char buf[20];             /* 2^64 - 1 has 20 decimal digits */
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (i > 0)
		uart_putc(buf[--i]);
}

static void print_signed(s64 v)
{
	if (v < 0) {
		uart_putc('-');
		print_unsigned(-(u64)v, 10);   /* safe for INT64_MIN too */
	} else {
		print_unsigned(v, 10);
	}
}

static void vkprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		int is_long = 0;
		if (*fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
			print_signed(is_long ? va_arg(ap, long) : va_arg(ap, int));
			break;
		case 'u':
			print_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10);
			break;
		case 'x':
			print_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16);
			break;
		case 'p':
			uart_putc('0');
			uart_putc('x');
			print_unsigned((u64)va_arg(ap, void *), 16);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				uart_putc(*s);
			break;
		}
		case 'c':
			uart_putc((char)va_arg(ap, int));
			break;
		case '%':
			uart_putc('%');
			break;
		case 0:               /* a lone '%' at the end */
			return;
		default:              /* unknown: show it rather than guess */
			uart_putc('%');
			uart_putc(*fmt);
			break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
}

/* Print "panic: <message>" and stop the VM with status 3. */
void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("panic: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	poweroff(3);
}
