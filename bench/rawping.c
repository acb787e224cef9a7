/* How a raw-socket pinger's round trip depends on what it watches: 1000 echoes to
 * 127.0.0.1, 1 ms apart, each timed as ping(8) times it (the clock read just before
 * sendto, the reply's receive time stamped by the kernel). Prints the median.
 *
 *   rawping post      sends through IPPROTO_RAW, header included, and reads replies
 *                     from a raw ICMP socket that sees the requests too (as the post
 *                     does, and rawlab's `ping … mode raw` with a listener open)
 *   rawping ping      one raw ICMP socket whose ICMP_FILTER lets only echo replies
 *                     in (as ping(8) does, and rawlab's `ping` without a listener)
 *   ... busy          between echoes, keeps the CPU busy (reading the clock) instead
 *                     of sleeping, so each send starts on a CPU that never idled
 *
 * Run it in a network namespace of its own (bench/compare.sh does). Sends only to
 * 127.0.0.1; every wait is bounded. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* linux/icmp.h */
#endif

#define ECHOES 1000

static unsigned short sum(void *b, int len) {
  unsigned long s = 0;
  unsigned short *p = b;
  for (; len > 1; len -= 2) s += *p++;
  if (len) s += *(unsigned char *)p;
  s = (s >> 16) + (s & 0xffff);
  s += s >> 16;
  return ~s;
}

static long long now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int order(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int like_ping = argc > 1 && strcmp(argv[1], "ping") == 0;
  int busy = argc > 2 && strcmp(argv[2], "busy") == 0;
  int one = 1;
  int watch = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (watch < 0) { perror("raw ICMP socket"); return 1; }
  setsockopt(watch, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (like_ping) {
    unsigned int only_replies = ~(1u << ICMP_ECHOREPLY);
    setsockopt(watch, SOL_RAW, ICMP_FILTER, &only_replies, sizeof only_replies);
  }
  int out = like_ping ? watch : socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (out < 0) { perror("IPPROTO_RAW socket"); return 1; }
  struct sockaddr_in to = {.sin_family = AF_INET};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static long long rtt[ECHOES];
  int n = 0;
  for (int seq = 0; seq < ECHOES; seq++) {
    unsigned char pkt[84] = {0};
    struct iphdr *ip = (void *)pkt;
    struct icmphdr *icmp = (void *)(pkt + 20);
    icmp->type = ICMP_ECHO;
    icmp->un.echo.id = htons(0x7261);
    icmp->un.echo.sequence = htons(seq);
    icmp->checksum = sum(icmp, 64);
    ip->version = 4, ip->ihl = 5, ip->tot_len = htons(84), ip->ttl = 64;
    ip->protocol = IPPROTO_ICMP, ip->saddr = ip->daddr = to.sin_addr.s_addr;
    long long sent = now();
    if (like_ping)
      sendto(out, pkt + 20, 64, 0, (void *)&to, sizeof to);
    else
      sendto(out, pkt, 84, 0, (void *)&to, sizeof to);
    for (long long end = sent + 50000000LL; now() < end;) {
      char buf[2048], ctl[512];
      struct iovec io = {buf, sizeof buf};
      struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
      if (recvmsg(watch, &m, MSG_DONTWAIT) < 84 || buf[20] != ICMP_ECHOREPLY) continue;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
          struct timespec *t = (void *)CMSG_DATA(c);
          rtt[n++] = t->tv_sec * 1000000000LL + t->tv_nsec - sent;
        }
      break;
    }
    if (busy)
      for (long long end = now() + 1000000LL; now() < end;) {}
    else
      usleep(1000);
  }
  if (!n) { puts("no replies"); return 1; }
  qsort(rtt, n, sizeof rtt[0], order);
  printf("%s%s: median %.1f us over %d echoes\n",
         like_ping ? "one filtered raw ICMP socket (as ping(8))" : "IPPROTO_RAW, requests watched (as the post)",
         busy ? ", CPU kept busy between echoes" : "", rtt[n / 2] / 1000.0, n);
  return 0;
}
