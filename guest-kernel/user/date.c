/*
 * date: print the wall-clock time, "2026-11-22 05:40:12 UTC": the RTC's
 * time at boot plus the time since (clock_gettime(CLOCK_REALTIME)).
 */
#include "ulib.h"

int main(void)
{
	struct timespec ts;
	long days, secs, y, m, d, era, doe, yoe, doy, mp;

	clock_gettime(CLOCK_REALTIME, &ts);
	days = ts.tv_sec / 86400;
	secs = ts.tv_sec % 86400;

	/* Days since 1970 to a date: H. Hinnant's civil_from_days, with years
	 * that start in March so that the leap day comes last. */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;                                  /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
	mp = (5 * doy + 2) / 153;                                   /* [0, 11], 0 = March */
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);

	print_long(y);
	print("-");
	print2(m);
	print("-");
	print2(d);
	print(" ");
	print2(secs / 3600);
	print(":");
	print2(secs / 60 % 60);
	print(":");
	print2(secs % 60);
	print(" UTC\n");
	return 0;
}
