/* divzero: divides by zero, so the kernel must kill it with #DE. */
#include "ulib.h"

int main(void)
{
	/*
	 * Both operands volatile: with a constant dividend GCC may compute
	 * 1 / x without a divide instruction (division by zero is undefined,
	 * so it need not fault), and with a constant divisor it folds it.
	 */
	volatile int one = 1, zero = 0;
	volatile int q;

	print("divzero: dividing by zero\n");
	q = one / zero;
	print("divzero: still alive after dividing by zero\n");
	return q;
}
