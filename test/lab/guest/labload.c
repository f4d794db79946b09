/* Tiny static load generator for the lab guest (our own code, built on the host with gcc -static).
 *   labload thp  <MiB>        anonymous memory with MADV_HUGEPAGE, touched, then sleeps forever
 *   labload anon <MiB>        anonymous memory with MADV_NOHUGEPAGE, touched, then sleeps forever
 *   labload files <dir> <n>   creates n small files (in subdirectories of 1000) and exits
 *   labload pagesize          prints the kernel's page size in bytes (busybox has no getconf)
 * Prints "ready" once the memory is populated. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int mem(size_t mib, int huge) {
  size_t len = mib << 20, align = 2u << 20;
  char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) { perror("mmap"); return 1; }
  char *p = (char *)(((unsigned long)raw + align - 1) & ~(unsigned long)(align - 1));
  madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  for (size_t i = 0; i < len; i += 4096) p[i] = (char)(i >> 12 | 1);
  printf("ready %zu MiB %s at %p\n", mib, huge ? "thp" : "anon", (void *)p);
  fflush(stdout);
  for (;;) pause();
}

static int files(const char *dir, long n) {
  char path[512], buf[200];
  memset(buf, 'x', sizeof buf);
  mkdir(dir, 0755);
  for (long i = 0; i < n; i++) {
    if (i % 1000 == 0) { snprintf(path, sizeof path, "%s/d%ld", dir, i / 1000); mkdir(path, 0755); }
    snprintf(path, sizeof path, "%s/d%ld/f%ld", dir, i / 1000, i);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror(path); return 1; }
    if (write(fd, buf, sizeof buf) < 0) { perror("write"); return 1; }
    close(fd);
  }
  printf("ready %ld files in %s\n", n, dir);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "pagesize")) return printf("%ld\n", sysconf(_SC_PAGESIZE)) < 0;
  if (argc >= 3 && !strcmp(argv[1], "thp")) return mem(strtoul(argv[2], 0, 10), 1);
  if (argc >= 3 && !strcmp(argv[1], "anon")) return mem(strtoul(argv[2], 0, 10), 0);
  if (argc >= 4 && !strcmp(argv[1], "files")) return files(argv[2], strtol(argv[3], 0, 10));
  fprintf(stderr, "usage: labload thp|anon <MiB> | files <dir> <n> | pagesize\n");
  return 2;
}
