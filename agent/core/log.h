/* Component-tagged logging to stderr: "[component] message". Never pass secrets. */
#ifndef LC_LOG_H
#define LC_LOG_H

enum lc_log_level { LC_LOG_ERROR = 0, LC_LOG_WARN, LC_LOG_INFO, LC_LOG_DEBUG };

void lc_log_set_level(enum lc_log_level level);
enum lc_log_level lc_log_get_level(void);
/* Prefix lines with syslog priorities (<3>, <4>, <6>, <7>) for journald. */
void lc_log_set_syslog_prefix(int on);
void lc_log(enum lc_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LC_ERR(comp, ...)   lc_log(LC_LOG_ERROR, comp, __VA_ARGS__)
#define LC_WARN(comp, ...)  lc_log(LC_LOG_WARN, comp, __VA_ARGS__)
#define LC_INFO(comp, ...)  lc_log(LC_LOG_INFO, comp, __VA_ARGS__)
#define LC_DEBUG(comp, ...) lc_log(LC_LOG_DEBUG, comp, __VA_ARGS__)

#endif
