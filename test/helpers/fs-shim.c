/*
 * An LD_PRELOAD shim that makes Linux's filesystem calls fail the way Windows and its
 * filesystems make them fail, so that the real CLI is tested on its real syscall path (Node's
 * libuv calls these libc functions; test/cli-fs-shim.test.ts builds this file with `cc`).
 *
 *   OSW_SHIM_LINK=EISDIR      link() and linkat() fail with this errno (Windows on exFAT and FAT32:
 *                             EISDIR; other Windows volumes: EINVAL; Linux vfat: EPERM)
 *   OSW_SHIM_RENAME=EPERM:2   rename(), renameat() and renameat2() onto an existing target fail
 *                             with this errno, this many times per target ("always": every time)
 *                             (Windows, when another program holds the target: EPERM or EBUSY)
 *   OSW_SHIM_DIR_FSYNC=EPERM  fsync() and fdatasync() of a folder fail with this errno
 *   OSW_SHIM_CHMOD=ignore     chmod(), fchmod() and fchmodat() do nothing (Windows has no modes)
 *   OSW_SHIM_LOG=FILE         each injected failure is appended to FILE as "call ERRNO path"
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
  const char *name;
  int code;
} ERRNOS[] = {
    {"EPERM", EPERM}, {"EACCES", EACCES}, {"EBUSY", EBUSY},   {"EISDIR", EISDIR}, {"EINVAL", EINVAL},
    {"ENOTSUP", ENOTSUP}, {"EXDEV", EXDEV}, {"ENOSYS", ENOSYS}, {"EIO", EIO},
};

static int errno_named(const char *name) {
  for (size_t i = 0; i < sizeof ERRNOS / sizeof ERRNOS[0]; i++)
    if (strcmp(ERRNOS[i].name, name) == 0) return ERRNOS[i].code;
  return 0;
}

static const char *errno_name(int code) {
  for (size_t i = 0; i < sizeof ERRNOS / sizeof ERRNOS[0]; i++)
    if (ERRNOS[i].code == code) return ERRNOS[i].name;
  return "E?";
}

/* The errno named in variable `var` (before any ':'), or 0 when it is unset. */
static int configured(const char *var) {
  const char *v = getenv(var);
  if (v == NULL) return 0;
  char name[16] = {0};
  strncpy(name, v, sizeof name - 1);
  char *colon = strchr(name, ':');
  if (colon != NULL) *colon = '\0';
  return errno_named(name);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int inject(const char *call, int code, const char *path) {
  const char *log = getenv("OSW_SHIM_LOG");
  if (log != NULL) {
    char line[4200];
    int n = snprintf(line, sizeof line, "%s %s %s\n", call, errno_name(code), path);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      if (write(fd, line, (size_t)n) < 0) { /* the log is best effort */ }
      close(fd);
    }
  }
  errno = code;
  return -1;
}

#define REAL(ret, name, ...)                                   \
  static ret (*real_##name)(__VA_ARGS__);                      \
  if (real_##name == NULL) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

int link(const char *from, const char *to) {
  REAL(int, link, const char *, const char *);
  int code = configured("OSW_SHIM_LINK");
  return code != 0 ? inject("link", code, to) : real_link(from, to);
}

int linkat(int fromdir, const char *from, int todir, const char *to, int flags) {
  REAL(int, linkat, int, const char *, int, const char *, int);
  int code = configured("OSW_SHIM_LINK");
  return code != 0 ? inject("linkat", code, to) : real_linkat(fromdir, from, todir, to, flags);
}

/* Targets seen by the rename faults, with how often each has been refused. */
#define MAX_TARGETS 512
static struct {
  char *path;
  int refused;
} targets[MAX_TARGETS];

/* Whether a rename onto `to` (in folder `dir`) must fail now: it exists, and has been refused fewer times than configured. */
static int refuse_rename(int dir, const char *to) {
  int code = configured("OSW_SHIM_RENAME");
  struct stat st;
  if (code == 0 || fstatat(dir, to, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  const char *times = strchr(getenv("OSW_SHIM_RENAME"), ':');
  int limit = times == NULL ? 1 : strcmp(times + 1, "always") == 0 ? -1 : atoi(times + 1);
  char key[4200];
  snprintf(key, sizeof key, "%d:%s", dir, to);
  int refuse = 0;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < MAX_TARGETS; i++) {
    if (targets[i].path == NULL) targets[i].path = strdup(key);
    if (targets[i].path == NULL || strcmp(targets[i].path, key) != 0) continue;
    refuse = limit < 0 || targets[i].refused < limit;
    if (refuse) targets[i].refused++;
    break;
  }
  pthread_mutex_unlock(&lock);
  return refuse ? code : 0;
}

int rename(const char *from, const char *to) {
  REAL(int, rename, const char *, const char *);
  int code = refuse_rename(AT_FDCWD, to);
  return code != 0 ? inject("rename", code, to) : real_rename(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to) {
  REAL(int, renameat, int, const char *, int, const char *);
  int code = refuse_rename(todir, to);
  return code != 0 ? inject("renameat", code, to) : real_renameat(fromdir, from, todir, to);
}

int renameat2(int fromdir, const char *from, int todir, const char *to, unsigned int flags) {
  REAL(int, renameat2, int, const char *, int, const char *, unsigned int);
  int code = refuse_rename(todir, to);
  return code != 0 ? inject("renameat2", code, to) : real_renameat2(fromdir, from, todir, to, flags);
}

static int refuse_dir_sync(int fd) {
  int code = configured("OSW_SHIM_DIR_FSYNC");
  struct stat st;
  return code != 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? code : 0;
}

int fsync(int fd) {
  REAL(int, fsync, int);
  int code = refuse_dir_sync(fd);
  return code != 0 ? inject("fsync", code, "(folder)") : real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(int, fdatasync, int);
  int code = refuse_dir_sync(fd);
  return code != 0 ? inject("fdatasync", code, "(folder)") : real_fdatasync(fd);
}

static int chmod_ignored(void) {
  const char *v = getenv("OSW_SHIM_CHMOD");
  return v != NULL && strcmp(v, "ignore") == 0;
}

int chmod(const char *path, mode_t mode) {
  REAL(int, chmod, const char *, mode_t);
  return chmod_ignored() ? 0 : real_chmod(path, mode);
}

int fchmod(int fd, mode_t mode) {
  REAL(int, fchmod, int, mode_t);
  return chmod_ignored() ? 0 : real_fchmod(fd, mode);
}

int fchmodat(int dir, const char *path, mode_t mode, int flags) {
  REAL(int, fchmodat, int, const char *, mode_t, int);
  return chmod_ignored() ? 0 : real_fchmodat(dir, path, mode, flags);
}
