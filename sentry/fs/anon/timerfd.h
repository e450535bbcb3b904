/* timerfd: a file whose reads return how many times a sentry timer (kernel/timer.h) expired. */
#ifndef MOAT_TIMERFD_H
#define MOAT_TIMERFD_H

#include <time.h>

struct file;

/* A new timerfd file on `clock` with open flags (O_NONBLOCK): 0 or -errno. */
long timerfd_file_new(int clock, unsigned int oflags, struct file **out);
/* -EINVAL when f is not a timerfd. flags: TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET. */
long timerfd_file_settime(struct file *f, int flags, const struct itimerspec *val,
                          struct itimerspec *old);
long timerfd_file_gettime(struct file *f, struct itimerspec *cur);

#endif
