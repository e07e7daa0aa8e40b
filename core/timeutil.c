/*
 * timeutil.c - API timestamps; see timeutil.h.
 */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

void
anx_ts_format(const struct timespec *ts, char out[ANX_TS_LEN + 1])
{
	char tmp[64];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	/* Years past 9999 do not fit the fixed width; they never occur. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000);
	memcpy(out, tmp, ANX_TS_LEN);
	out[ANX_TS_LEN] = '\0';
}

void
anx_ts_now(char out[ANX_TS_LEN + 1], long offset_seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += offset_seconds;
	anx_ts_format(&ts, out);
}
